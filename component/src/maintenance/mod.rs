//! Whole-store consistency check and repair (`idplex check [--repair]`).
//!
//! Verifies every invariant of `docs/storage.md` by walking the store — list directories
//! against chunks, listings against records, records against their uniqueness claims, claims
//! against records, counts against records, memberships against listings, members and
//! `member-of` hints, and keys that belong to no live connection. With `repair`, each
//! violation is fixed with the same CAS-based writes the request path uses, so a repair is
//! safe while the store is serving. Walks every key with `list-keys`: operators only, never
//! on a request path.

mod connections;
mod keyspace;
mod memberships;
mod report;
mod resources;

pub use report::{Report, Violation};

use crate::app::App;
use crate::storage::StorageError;

/// State of one check run.
pub(crate) struct Checker<'a, 'b> {
    pub(crate) app: &'a App<'b>,
    pub(crate) repair: bool,
    pub(crate) now: i64,
    pub(crate) report: Report,
}

impl Checker<'_, '_> {
    /// Whether a record not yet `Live` (or being deleted) is still within the grace period in
    /// which a create or delete may be in flight, so it is not judged yet.
    pub(crate) fn in_flight(
        &self,
        state: crate::storage::connections::RecordState,
        created: i64,
        last_modified: i64,
    ) -> bool {
        state != crate::storage::connections::RecordState::Live
            && self.now - last_modified.max(created) <= crate::storage::unique::GRACE_MILLIS
    }

    /// Records a violation and, when repairing, runs `fix`.
    pub(crate) fn violation(
        &mut self,
        kind: &'static str,
        key: String,
        detail: String,
        fix: impl FnOnce() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let repaired = if self.repair {
            fix()?;
            true
        } else {
            false
        };
        self.report.violations.push(Violation { kind, key, detail, repaired });
        Ok(())
    }
}

/// Checks the whole store; with `repair`, fixes what it finds.
pub fn check(app: &App<'_>, repair: bool) -> Result<Report, StorageError> {
    let all_keys = keyspace::all_keys(app)?;
    let mut checker =
        Checker { app, repair, now: app.now(), report: Report { keys: all_keys.len() as u64, ..Report::default() } };
    let live = connections::check(&mut checker, &all_keys)?;
    for connection in &live {
        resources::check(&mut checker, connection, &all_keys)?;
        memberships::check(&mut checker, connection, &all_keys)?;
    }
    keyspace::check_orphans(&mut checker, &live, &all_keys)?;
    Ok(checker.report)
}

#[cfg(test)]
mod tests;

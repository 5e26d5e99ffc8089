//! Whole-store consistency check and repair (`idplex check [--repair]`, `POST
//! /admin/api/v1/check`).
//!
//! Verifies every invariant of `docs/storage.md` and tells apart two kinds of findings:
//! - **unfinished work**: a state one of the protocols passes through, left behind by a crash
//!   (or still in flight): a committed create still marked pending, a deletion cut short, a
//!   directory behind its chunk, a stale claim, keys of a deleted connection. Readers skip or
//!   finish it; `--repair` finishes what is older than the in-flight grace period. Normal after
//!   a `kill -9`; not a reason to fail.
//! - **violations**: states no interleaving of the protocols can produce — corruption.
//!
//! The walk is streamed, so it runs at any store size in bounded guest memory: each listing
//! (connections, users, groups, members) is read a few chunks per store call, and the whole
//! key space is read one `list-keys` page at a time. What has to be remembered between the two
//! (which records and memberships a listing holds) is kept as 8-byte fingerprints. With
//! `repair`, each finding is fixed with the same CAS-based writes the request path uses, so a
//! repair is safe while the store is serving. Operators only, never on a request path.

mod connections;
mod health;
mod keyspace;
mod memberships;
mod report;
mod resources;
mod seen;

pub use report::{MAX_FINDINGS, Report, Unfinished, Violation};

use crate::app::App;
use crate::storage::StorageError;
use crate::storage::unique::GRACE_MILLIS;

/// Chunks read per store call while walking a listing (each up to about 40 KB).
const CHUNKS_PER_CALL: usize = 8;

/// Records, entries or claims read per `get-many`.
const RECORDS_PER_CALL: usize = 256;

/// How a check runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Fix what is found.
    pub repair: bool,
    /// Judge ages as if it were this time (milliseconds since the Unix epoch) instead of the
    /// clock's: lets tests look past the grace period without waiting.
    pub now: Option<i64>,
}

/// State of one check run.
pub(crate) struct Checker<'a, 'b> {
    pub(crate) app: &'a App<'b>,
    pub(crate) repair: bool,
    pub(crate) now: i64,
    pub(crate) report: Report,
    pub(crate) seen: seen::Seen,
    /// Deleted connections queued for reclamation (not repairing): their records and keys are
    /// reported once, as `reclaim-pending`, not as an interrupted deletion and orphan keys.
    pub(crate) reclaiming: std::collections::HashSet<String>,
}

impl Checker<'_, '_> {
    /// Whether something last changed at `since` is younger than the grace period, so a
    /// request may still be working on it.
    pub(crate) fn young(&self, since: i64) -> bool {
        self.now.saturating_sub(since) <= GRACE_MILLIS
    }

    /// The time repairs stamp on what they write (claims, releases): the clock's, never the
    /// `now` ages are judged by, which tests may set ahead.
    pub(crate) fn stamp(&self) -> i64 {
        self.app.now()
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
        self.report.push_violation(Violation { kind, key, detail, repaired });
        Ok(())
    }

    /// Reports (and when repairing, records) a directory entry behind its chunk `chunk` of the
    /// list under `prefix`: a crash between the chunk write and the directory write.
    pub(crate) fn directory_behind(
        &mut self,
        list: &crate::storage::chunked_list::ChunkedList<'_>,
        prefix: &str,
        chunk: &crate::storage::chunked_list::ChunkView,
    ) -> Result<(), StorageError> {
        if !chunk.directory_behind() {
            return Ok(());
        }
        let (n, len, seq) = (chunk.n, chunk.ids.len(), chunk.seq);
        self.unfinished(
            "directory-behind",
            crate::storage::keys::chunk(prefix, n),
            format!("directory says {} ids, chunk holds {len}", chunk.listed_len),
            i64::MIN,
            true,
            || list.record(n, len, seq),
        )
    }

    /// Keys a deletion left behind, found a page at a time: reported once per `owner` (the key
    /// it is reported under), and, when repairing past the grace period, deleted on every page.
    pub(crate) fn leftover_keys(
        &mut self,
        reported: &mut std::collections::HashSet<String>,
        kind: &'static str,
        owner: String,
        detail: String,
        since: i64,
        doomed: &[String],
    ) -> Result<(), StorageError> {
        let store = self.app.store;
        let delete = || -> Result<(), StorageError> {
            for batch in doomed.chunks(512) {
                store.delete_many(batch)?;
            }
            Ok(())
        };
        if reported.insert(owner.clone()) {
            self.unfinished(kind, owner, detail, since, false, delete)
        } else if self.repair && !self.young(since) {
            delete()
        } else {
            Ok(())
        }
    }

    /// Records work left half done that last changed at `since`. When repairing and it is
    /// older than the grace period (or `always_safe`: finishing it cannot race with a request,
    /// e.g. it only does what any reader does), runs `finish`.
    pub(crate) fn unfinished(
        &mut self,
        kind: &'static str,
        key: String,
        detail: String,
        since: i64,
        always_safe: bool,
        finish: impl FnOnce() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let in_flight = self.young(since);
        let finished = if self.repair && (always_safe || !in_flight) {
            finish()?;
            true
        } else {
            false
        };
        self.report.push_unfinished(Unfinished { kind, key, detail, in_flight, finished });
        Ok(())
    }
}

/// When a record that is not live last changed: its deletion, else its creation.
pub(crate) fn changed_at(state: crate::storage::connections::RecordState, created: i64, last_modified: i64) -> i64 {
    if state == crate::storage::connections::RecordState::Deleted { last_modified } else { created }
}

/// Checks the whole store; with `options.repair`, fixes what it finds.
pub fn check(app: &App<'_>, options: Options) -> Result<Report, StorageError> {
    let now = options.now.unwrap_or_else(|| app.now());
    let mut checker = Checker {
        app,
        repair: options.repair,
        now,
        report: Report::default(),
        seen: seen::Seen::default(),
        reclaiming: Default::default(),
    };
    reclaim_queued(&mut checker)?;
    let live = connections::check_listing(&mut checker)?;
    for connection in &live {
        let groups = resources::check_listings(&mut checker, connection)?;
        memberships::check_listings(&mut checker, connection, &groups)?;
    }
    checker.seen.seal();
    keyspace::walk(&mut checker, &live)?;
    // Last: counting reads users as readers do, finishing what they finish.
    for connection in &live {
        health::check_counters(&mut checker, connection)?;
    }
    Ok(checker.report)
}

/// Reports the deleted connections queued for reclamation (`reclaim-pending`: the wasmtime
/// host's background steps or admin API requests are on it); when repairing, finishes their
/// reclamation first.
fn reclaim_queued(checker: &mut Checker<'_, '_>) -> Result<(), StorageError> {
    let app = checker.app;
    let queued = crate::reclaim::queue::all(app.store)?;
    if queued.is_empty() {
        return Ok(());
    }
    if checker.repair {
        crate::reclaim::run_until_idle(app, crate::reclaim::BACKGROUND_BUDGET)?;
    }
    for id in queued {
        let detail = format!("connection {id} is deleted; its stored data is being reclaimed in bounded steps");
        checker.unfinished(
            "reclaim-pending",
            crate::storage::keys::connection(&id),
            detail,
            checker.now,
            true,
            || Ok(()),
        )?;
        if !checker.repair {
            checker.reclaiming.insert(id);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

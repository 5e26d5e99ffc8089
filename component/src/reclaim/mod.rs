//! Reclaiming the stored data of deleted connections in bounded steps.
//!
//! Deleting a connection ([`crate::connection::delete`]) only marks its record `Deleted` (its
//! token dies and its users leave every list at once) and queues it here. Its keys (users,
//! groups, memberships, claims, indexes, schemas, record) are deleted afterwards by
//! [`step`]s, each deleting about `budget` keys at most, so no request does work proportional
//! to the connection's size. Who runs steps:
//! - the wasmtime host, in the background while work is pending (`maintenance.reclaim`), and
//!   `idplex reclaim` / `idplex check --repair` until nothing is pending;
//! - every admin API request, one small step after its own work, and
//!   `POST /admin/api/v1/maintenance/reclaim` (all a Spin deployment has).
//!
//! Crash rules (see `docs/storage.md`): the queue is a chunked list (`reclaim-queue`), written
//! after the record is marked; a step finds its work from what is left in the store (the ends
//! of the connection's lists, then a key-space sweep's cursor), deletes what a slice of ids
//! owns before the ids leave their list, and deletes the record last and the queue entry after
//! it. A step cut short anywhere is redone by the next. A lease (`reclaim-lease`) keeps steps
//! from running two at a time.

mod phases;
pub mod queue;

#[cfg(test)]
mod tests;

use crate::app::App;
use crate::storage::StorageError;
use crate::storage::connections::{ConnectionRecord, RecordState};
use crate::storage::{keys, read_json};

/// Configuration key: `true` when the host's `list-keys` returns the key space a page at a
/// time (the wasmtime host's own SQLite and Redis stores). Reclamation then ends with a sweep
/// of the key space that deletes every key still naming the connection, whatever structure it
/// belongs to. Spin's `list-keys` returns every key at once, so without this key there is no
/// sweep (keys the lists do not lead to are left to `idplex check --repair`).
pub const CONFIG_LIST_KEYS_PAGES: &str = "list_keys_pages";

/// Keys a step run by an admin API request deletes at most (about).
pub const REQUEST_BUDGET: usize = 2_000;

/// Keys a step run by the host in the background deletes at most (about).
pub const BACKGROUND_BUDGET: usize = 20_000;

/// What a step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Deleted connections whose data still awaits reclamation, after this step.
    pub pending: u64,
    /// Keys this step deleted (deleting a key already gone counts).
    pub reclaimed_keys: u64,
    /// Connections whose reclamation this step finished.
    pub finished_connections: u64,
    /// Another step held the lease, so this one did nothing.
    pub busy: bool,
}

/// Queues deleted connection `id` for reclamation.
pub fn enqueue(app: &App<'_>, id: &str) -> Result<(), StorageError> {
    queue::push(app.store, id)
}

/// Whether this host's `list-keys` pages (see [`CONFIG_LIST_KEYS_PAGES`]).
fn sweeps(app: &App<'_>) -> bool {
    app.env.config(CONFIG_LIST_KEYS_PAGES).is_some_and(|v| v.trim() == "true")
}

/// Runs one bounded step: works on the oldest queued connection, deleting about `budget` keys
/// at most. When nothing is queued it costs one store call.
pub fn step(app: &App<'_>, budget: usize) -> Result<Progress, StorageError> {
    let queued = queue::len(app.store)?;
    if queued == 0 {
        return Ok(Progress::default());
    }
    let Some(lease) = queue::acquire(app)? else {
        return Ok(Progress { pending: queued as u64, busy: true, ..Progress::default() });
    };
    let result = work(app, budget.max(1));
    lease.release()?;
    let mut progress = result?;
    progress.pending = queue::len(app.store)? as u64;
    Ok(progress)
}

/// One step's work on the queue's head, holding the lease.
fn work(app: &App<'_>, budget: usize) -> Result<Progress, StorageError> {
    let store = app.store;
    let mut progress = Progress::default();
    let Some(id) = queue::head(store)? else { return Ok(progress) };
    let record = read_json::<ConnectionRecord>(store, &keys::connection(&id))?;
    if record.is_some_and(|r| r.state != RecordState::Deleted) {
        // Not a deleted connection (no protocol queues one): leave its data alone.
        queue::remove(store, &id)?;
        return Ok(progress);
    }
    let (deleted, lists_done) = phases::reclaim_lists(store, &id, budget)?;
    let mut deleted = deleted;
    let mut done = lists_done;
    if done && sweeps(app) {
        let (swept, sweep_done) = phases::sweep(store, &id, budget.saturating_sub(deleted).max(1))?;
        deleted += swept;
        done = sweep_done;
    }
    if done {
        deleted += phases::finish(store, &id)?;
        queue::remove(store, &id)?;
        progress.finished_connections = 1;
    }
    progress.reclaimed_keys = deleted as u64;
    Ok(progress)
}

/// Runs steps until nothing is queued (operators: `idplex check --repair`, and the repair of a
/// deletion cut short). A step another process holds the lease for is waited out.
pub fn run_until_idle(app: &App<'_>, budget: usize) -> Result<Progress, StorageError> {
    let mut total = Progress::default();
    loop {
        let step = step(app, budget)?;
        total.reclaimed_keys += step.reclaimed_keys;
        total.finished_connections += step.finished_connections;
        if step.pending == 0 {
            return Ok(total);
        }
    }
}

/// Deletes every key of connection `id` now, whatever state its record is in (repairs of
/// `idplex check`): marks the record deleted if it is not, queues it, and runs steps until
/// nothing is queued.
pub fn purge(app: &App<'_>, id: &str) -> Result<(), StorageError> {
    let key = keys::connection(id);
    if let Some(mut record) = read_json::<ConnectionRecord>(app.store, &key)?
        && record.state != RecordState::Deleted
    {
        record.state = RecordState::Deleted;
        app.store.set(&key, &crate::storage::encode(&record))?;
    }
    enqueue(app, id)?;
    run_until_idle(app, BACKGROUND_BUDGET)?;
    Ok(())
}

//! The durable queue of deleted connections awaiting reclamation, and the lease that lets one
//! reclamation step run at a time.

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::storage::chunked_list::ChunkedList;
use crate::storage::{StorageError, decode, encode, keys};
use crate::store::{KvStore, Update, update};

/// How long a lease holds: far longer than a step takes (a step's guest time is capped at
/// 30 s by the wasmtime host). A holder that crashed blocks reclamation this long at most.
pub const LEASE_MILLIS: i64 = 60_000;

fn list(store: &dyn KvStore) -> ChunkedList<'_> {
    ChunkedList::new(store, keys::RECLAIM_QUEUE.to_owned())
}

/// Queues connection `id` (idempotent: an id already queued is not queued twice).
pub fn push(store: &dyn KvStore, id: &str) -> Result<(), StorageError> {
    if !all(store)?.iter().any(|queued| queued == id) {
        list(store).append(id)?;
    }
    Ok(())
}

/// How many connections are queued: one store call.
pub fn len(store: &dyn KvStore) -> Result<usize, StorageError> {
    list(store).length()
}

/// The connection reclaimed first, if any: two store calls.
pub fn head(store: &dyn KvStore) -> Result<Option<String>, StorageError> {
    Ok(list(store).page(0, 1)?.ids.into_iter().next())
}

/// Every queued connection, oldest first.
pub fn all(store: &dyn KvStore) -> Result<Vec<String>, StorageError> {
    Ok(list(store).all()?.into_iter().map(|(_, id)| id).collect())
}

/// Takes connection `id` off the queue (wherever it is listed).
pub fn remove(store: &dyn KvStore, id: &str) -> Result<(), StorageError> {
    let queue = list(store);
    for (chunk, queued) in queue.all()? {
        if queued == id {
            queue.remove(chunk, id)?;
        }
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct LeaseDoc {
    holder: String,
    until: i64,
}

/// The right to run one reclamation step, held until [`Lease::release`] (or its expiry).
pub struct Lease<'a> {
    store: &'a dyn KvStore,
    holder: String,
}

impl Lease<'_> {
    /// Gives the lease back, unless it expired and another step took it meanwhile.
    pub fn release(self) -> Result<(), StorageError> {
        let key = keys::RECLAIM_LEASE;
        update(self.store, key, |current| {
            let Some(bytes) = current else { return Ok::<_, StorageError>(Update::Keep(())) };
            let lease: LeaseDoc = decode(key, bytes)?;
            if lease.holder != self.holder {
                return Ok(Update::Keep(()));
            }
            Ok(Update::Write(encode(&LeaseDoc { holder: String::new(), until: 0 }), ()))
        })
    }
}

/// Takes the lease unless another step holds it (then `None`).
pub fn acquire<'a>(app: &App<'a>) -> Result<Option<Lease<'a>>, StorageError> {
    let mut random = [0u8; 16];
    app.env.fill_random(&mut random);
    let holder = crate::token::hex(&random);
    let now = app.now();
    let key = keys::RECLAIM_LEASE;
    let won = update(app.store, key, |current| {
        if let Some(bytes) = current {
            let lease: LeaseDoc = decode(key, bytes)?;
            if lease.holder == holder {
                return Ok::<_, StorageError>(Update::Keep(true));
            }
            if lease.until > now {
                return Ok(Update::Keep(false));
            }
        }
        Ok(Update::Write(encode(&LeaseDoc { holder: holder.clone(), until: now + LEASE_MILLIS }), true))
    })?;
    Ok(won.then_some(Lease { store: app.store, holder }))
}

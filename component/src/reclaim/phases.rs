//! What reclaiming one deleted connection deletes, a bounded slice at a time. Every slice is
//! found from what is left in the store (the ends of the connection's lists, the sweep's
//! cursor), so a step cut short anywhere is simply redone by the next one.

use serde::{Deserialize, Serialize};

use crate::storage::chunked_list::{CHUNK_CAPACITY, ChunkedList};
use crate::storage::keys::{self, Kind};
use crate::storage::resources::ResourceRecord;
use crate::storage::{StorageError, decode, encode, read_json};
use crate::store::KvStore;

/// Keys deleted per `delete-many` call.
const DELETES_PER_CALL: usize = 512;

/// About how many keys one user owns (record, userName claim, externalId index, `member-of`):
/// sizes the slice of users one step takes.
const KEYS_PER_USER: usize = 4;

/// How many keys one key-space page read costs against a step's budget, per key read.
const SWEEP_READS_PER_KEY: usize = 8;

/// Deletes `doomed`, a few hundred keys per call; returns how many.
fn delete_all(store: &dyn KvStore, doomed: &[String]) -> Result<usize, StorageError> {
    for batch in doomed.chunks(DELETES_PER_CALL) {
        store.delete_many(batch)?;
    }
    Ok(doomed.len())
}

/// Deletes resources `ids` of connection `c` with what they own: claims, index entries and
/// `member-of` hints first, the records last (a step cut short finds the records again and
/// with them the keys they name).
fn delete_resources(store: &dyn KvStore, c: &str, kind: Kind, ids: &[String]) -> Result<usize, StorageError> {
    let record_keys: Vec<String> = ids.iter().map(|id| keys::resource(c, kind, id)).collect();
    let mut owned: Vec<String> = ids.iter().map(|id| keys::member_of(c, id)).collect();
    for (key, value) in record_keys.iter().zip(store.get_many(&record_keys)?) {
        let Some(bytes) = value else { continue };
        let record: ResourceRecord = decode(key, &bytes)?;
        owned.extend(record.unique.iter().map(|(a, v)| keys::resource_unique(c, kind, a, v)));
        owned.extend(record.lookup.iter().map(|(a, v)| keys::resource_index(c, kind, a, v)));
    }
    Ok(delete_all(store, &owned)? + delete_all(store, &record_keys)?)
}

/// Reclaims group `g` of connection `c` a slice at a time: its membership entries (every
/// entry's member is listed, invariant 3) and member list first, then the group's own keys.
/// Returns the keys deleted and whether the group is gone.
fn reclaim_group(store: &dyn KvStore, c: &str, g: &str, budget: usize) -> Result<(usize, bool), StorageError> {
    let members = ChunkedList::new(store, keys::members(c, g));
    let slice = members.reclaim_tail(budget.min(CHUNK_CAPACITY), |ids| {
        let entries: Vec<String> = ids.iter().map(|id| keys::member(c, g, id)).collect();
        Ok((delete_all(store, &entries)?, true))
    })?;
    match slice {
        Some(deleted) => Ok((deleted, false)),
        None => Ok((delete_resources(store, c, Kind::Group, &[g.to_owned()])? + 1, true)),
    }
}

/// Reclaims the users and groups of connection `c` (groups first, with their memberships),
/// deleting about `budget` keys at most. Returns the keys deleted and whether nothing of the
/// lists is left.
pub(crate) fn reclaim_lists(store: &dyn KvStore, c: &str, budget: usize) -> Result<(usize, bool), StorageError> {
    let mut deleted = 0;
    let groups = ChunkedList::new(store, keys::resource_list(c, Kind::Group));
    while deleted < budget {
        let left = budget - deleted;
        match groups.reclaim_tail(1, |ids| ids.first().map_or(Ok((0, true)), |g| reclaim_group(store, c, g, left)))? {
            Some(n) => deleted += n,
            None => break,
        }
    }
    let users = ChunkedList::new(store, keys::resource_list(c, Kind::User));
    while deleted < budget {
        let slice = ((budget - deleted) / KEYS_PER_USER).clamp(1, CHUNK_CAPACITY);
        match users.reclaim_tail(slice, |ids| Ok((delete_resources(store, c, Kind::User, ids)?, true)))? {
            Some(n) => deleted += n,
            None => return Ok((deleted, true)),
        }
    }
    Ok((deleted, false))
}

/// Where the key-space sweep of a connection stands.
#[derive(Serialize, Deserialize)]
struct Sweep {
    id: String,
    cursor: Option<String>,
}

/// Sweeps the key space for keys that still belong to connection `c` (whatever structure
/// they are part of: see [`keys::connection_owner`]) and deletes them, one `list-keys` page
/// after another until about `budget` keys are read or deleted. The cursor is kept in
/// [`keys::RECLAIM_SWEEP`] between steps. Returns the keys deleted and whether the sweep
/// reached the end. Only for stores whose `list-keys` pages (not Spin's, which returns every
/// key at once).
pub(crate) fn sweep(store: &dyn KvStore, c: &str, budget: usize) -> Result<(usize, bool), StorageError> {
    let mut cursor = read_json::<Sweep>(store, keys::RECLAIM_SWEEP)?.filter(|s| s.id == c).and_then(|s| s.cursor);
    let (mut deleted, mut cost) = (0, 0);
    loop {
        let (page, next) = store.list_keys(cursor.as_deref())?;
        let doomed: Vec<String> = page.iter().filter(|k| keys::connection_owner(k) == Some(c)).cloned().collect();
        deleted += delete_all(store, &doomed)?;
        cost += doomed.len() + page.len() / SWEEP_READS_PER_KEY + 1;
        match next {
            Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
            _ => return Ok((deleted, true)),
        }
        if cost >= budget {
            store.set(keys::RECLAIM_SWEEP, &encode(&Sweep { id: c.to_owned(), cursor }))?;
            return Ok((deleted, false));
        }
    }
}

/// The last keys of connection `c`: its custom schemas, its health document and counters, the
/// sweep's cursor, its record. Returns the keys deleted.
pub(crate) fn finish(store: &dyn KvStore, c: &str) -> Result<usize, StorageError> {
    crate::storage::schemas::forget(store, c)?;
    store.delete_many(&[keys::health(c), keys::health_requests(c), keys::health_inactive(c)])?;
    if read_json::<Sweep>(store, keys::RECLAIM_SWEEP)?.is_some_and(|s| s.id == c) {
        store.delete(keys::RECLAIM_SWEEP)?;
    }
    crate::storage::connections::forget(store, c)?;
    Ok(5)
}

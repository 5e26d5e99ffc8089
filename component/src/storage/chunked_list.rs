//! An ordered list of ids split over fixed-size chunks, so no single value grows without
//! bound (Spin caps values at 1 MiB).
//!
//! Layout under a prefix `P`: `P/n` holds the number of chunks (a JSON number, changed only
//! with CAS), `P/1` … `P/n` hold JSON arrays of ids. Appends go to the last chunk; a full last
//! chunk opens the next one. Every chunk change is a CAS, so concurrent appends and removals
//! never lose an entry. Order is append order. Callers remember the chunk an id went to, so
//! removal touches one chunk.

use super::{StorageError, decode, encode, keys};
use crate::store::{KvStore, Update, update};

/// Ids per chunk: 1,024 ids of 36 bytes stay far below the 1 MiB value limit.
pub const CHUNK_CAPACITY: usize = 1024;

/// An id list rooted at a key prefix.
pub struct ChunkedList<'a> {
    store: &'a dyn KvStore,
    prefix: String,
}

impl<'a> ChunkedList<'a> {
    /// The list stored under `prefix`.
    pub fn new(store: &'a dyn KvStore, prefix: String) -> Self {
        ChunkedList { store, prefix }
    }

    fn chunk_count(&self) -> Result<u32, StorageError> {
        let key = keys::chunk_count(&self.prefix);
        match self.store.get(&key)? {
            None => Ok(0),
            Some(bytes) => decode(&key, &bytes),
        }
    }

    /// Opens chunk `seen + 1` unless another writer already did.
    fn open_chunk_after(&self, seen: u32) -> Result<u32, StorageError> {
        let key = keys::chunk_count(&self.prefix);
        update(self.store, &key, |current| {
            let now: u32 = match current {
                None => 0,
                Some(bytes) => decode(&key, bytes)?,
            };
            Ok(if now > seen { Update::Keep(now) } else { Update::Write(encode(&(seen + 1)), seen + 1) })
        })
    }

    /// Appends `id`; returns the chunk number it went to.
    pub fn append(&self, id: &str) -> Result<u32, StorageError> {
        let mut chunk = self.chunk_count()?;
        if chunk == 0 {
            chunk = self.open_chunk_after(0)?;
        }
        loop {
            let key = keys::chunk(&self.prefix, chunk);
            let added = update(self.store, &key, |current| {
                let mut ids: Vec<String> = match current {
                    None => Vec::new(),
                    Some(bytes) => decode(&key, bytes)?,
                };
                if ids.len() >= CHUNK_CAPACITY {
                    return Ok::<_, StorageError>(Update::Keep(false));
                }
                ids.push(id.to_owned());
                Ok(Update::Write(encode(&ids), true))
            })?;
            if added {
                return Ok(chunk);
            }
            chunk = self.open_chunk_after(chunk)?;
        }
    }

    /// Appends many ids with one CAS per chunk touched; returns each id's chunk, in order.
    pub fn append_many(&self, ids: &[String]) -> Result<Vec<u32>, StorageError> {
        let mut placed = Vec::with_capacity(ids.len());
        let mut chunk = self.chunk_count()?;
        if chunk == 0 && !ids.is_empty() {
            chunk = self.open_chunk_after(0)?;
        }
        while placed.len() < ids.len() {
            let key = keys::chunk(&self.prefix, chunk);
            let rest = &ids[placed.len()..];
            let added = update(self.store, &key, |current| {
                let mut existing: Vec<String> = match current {
                    None => Vec::new(),
                    Some(bytes) => decode(&key, bytes)?,
                };
                let room = CHUNK_CAPACITY.saturating_sub(existing.len()).min(rest.len());
                if room == 0 {
                    return Ok::<_, StorageError>(Update::Keep(0));
                }
                existing.extend_from_slice(&rest[..room]);
                Ok(Update::Write(encode(&existing), room))
            })?;
            placed.extend(std::iter::repeat_n(chunk, added));
            if placed.len() < ids.len() {
                chunk = self.open_chunk_after(chunk)?;
            }
        }
        Ok(placed)
    }

    /// Removes many ids from one chunk with one CAS.
    pub fn remove_many(&self, chunk: u32, doomed: &[String]) -> Result<(), StorageError> {
        let key = keys::chunk(&self.prefix, chunk);
        update(self.store, &key, |current| {
            let Some(bytes) = current else { return Ok(Update::Keep(())) };
            let mut ids: Vec<String> = decode(&key, bytes)?;
            let before = ids.len();
            let doomed: std::collections::HashSet<&String> = doomed.iter().collect();
            ids.retain(|x| !doomed.contains(x));
            Ok(if ids.len() == before { Update::Keep(()) } else { Update::Write(encode(&ids), ()) })
        })
    }

    /// Removes `id` from chunk `chunk`; removing an absent id does nothing.
    pub fn remove(&self, chunk: u32, id: &str) -> Result<(), StorageError> {
        let key = keys::chunk(&self.prefix, chunk);
        update(self.store, &key, |current| {
            let Some(bytes) = current else { return Ok(Update::Keep(())) };
            let mut ids: Vec<String> = decode(&key, bytes)?;
            let before = ids.len();
            ids.retain(|x| x != id);
            Ok(if ids.len() == before { Update::Keep(()) } else { Update::Write(encode(&ids), ()) })
        })
    }

    /// Every id in order, with the chunk it is in. Two store calls whatever the length.
    pub fn all(&self) -> Result<Vec<(u32, String)>, StorageError> {
        let count = self.chunk_count()?;
        let chunk_keys: Vec<String> = (1..=count).map(|n| keys::chunk(&self.prefix, n)).collect();
        let mut out = Vec::new();
        for (n, (key, value)) in (1..=count).zip(chunk_keys.iter().zip(self.store.get_many(&chunk_keys)?)) {
            if let Some(bytes) = value {
                let ids: Vec<String> = decode(key, &bytes)?;
                out.extend(ids.into_iter().map(|id| (n, id)));
            }
        }
        Ok(out)
    }

    /// Every key the list occupies (for deleting the whole list).
    pub fn storage_keys(&self) -> Result<Vec<String>, StorageError> {
        let count = self.chunk_count()?;
        let mut out: Vec<String> = (1..=count).map(|n| keys::chunk(&self.prefix, n)).collect();
        out.push(keys::chunk_count(&self.prefix));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[test]
    fn appends_keep_order_across_chunks() {
        let store = MemoryStore::default();
        let list = ChunkedList::new(&store, "l".into());
        let n = CHUNK_CAPACITY * 2 + 5;
        for i in 0..n {
            list.append(&i.to_string()).expect("append");
        }
        let all = list.all().expect("all");
        assert_eq!(all.len(), n);
        assert_eq!(all[CHUNK_CAPACITY].0, 2);
        assert!(all.iter().enumerate().all(|(i, (_, id))| *id == i.to_string()));
    }

    #[test]
    fn remove_takes_out_only_that_id() {
        let store = MemoryStore::default();
        let list = ChunkedList::new(&store, "l".into());
        let chunk = list.append("a").expect("append");
        list.append("b").expect("append");
        list.remove(chunk, "a").expect("remove");
        list.remove(chunk, "zzz").expect("remove absent");
        let ids: Vec<String> = list.all().expect("all").into_iter().map(|(_, id)| id).collect();
        assert_eq!(ids, vec!["b".to_owned()]);
    }

    #[test]
    fn append_many_fills_chunks_in_order() {
        let store = MemoryStore::default();
        let list = ChunkedList::new(&store, "l".into());
        list.append("first").expect("append");
        let ids: Vec<String> = (0..CHUNK_CAPACITY + 3).map(|i| i.to_string()).collect();
        let chunks = list.append_many(&ids).expect("append many");
        assert_eq!(chunks[0], 1);
        assert_eq!(chunks[CHUNK_CAPACITY - 1], 2);
        let all = list.all().expect("all");
        assert_eq!(all.len(), CHUNK_CAPACITY + 4);
        list.remove_many(1, &ids[..10]).expect("remove many");
        assert_eq!(list.all().expect("all").len(), CHUNK_CAPACITY - 6);
    }

    #[test]
    fn concurrent_appends_lose_nothing() {
        let store = MemoryStore::default();
        std::thread::scope(|s| {
            for t in 0..8 {
                let store = store.clone();
                s.spawn(move || {
                    let list = ChunkedList::new(&store, "l".into());
                    for i in 0..300 {
                        list.append(&format!("{t}-{i}")).expect("append");
                    }
                });
            }
        });
        let list = ChunkedList::new(&store, "l".into());
        assert_eq!(list.all().expect("all").len(), 2400);
    }
}

//! An in-memory [`KvStore`] with real CAS semantics, for native tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{CasHandle, KvStore, StoreError, SwapError};

#[derive(Default)]
struct Inner {
    entries: BTreeMap<String, (u64, Vec<u8>)>,
    sequence: u64,
}

/// A thread-safe in-memory bucket. Clones share the same data. Every write takes a fresh
/// version from one sequence, so versions are never reused (no ABA across delete/re-create).
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Every key currently stored, in order (for test assertions).
    pub fn keys(&self) -> Vec<String> {
        self.lock().entries.keys().cloned().collect()
    }

    fn snapshot(&self, key: &str) -> (u64, Option<Vec<u8>>) {
        match self.lock().entries.get(key) {
            Some((version, value)) => (*version, Some(value.clone())),
            None => (0, None),
        }
    }
}

impl Inner {
    fn write(&mut self, key: &str, value: Vec<u8>) {
        self.sequence += 1;
        let version = self.sequence;
        self.entries.insert(key.to_owned(), (version, value));
    }
}

impl KvStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().entries.get(key).map(|(_, v)| v.clone()))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.lock().write(key, value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().entries.remove(key);
        Ok(())
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let inner = self.lock();
        Ok(keys.iter().map(|k| inner.entries.get(k).map(|(_, v)| v.clone())).collect())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for (key, value) in entries {
            inner.write(key, value.clone());
        }
        Ok(())
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for key in keys {
            inner.entries.remove(key);
        }
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let mut inner = self.lock();
        let current = match inner.entries.get(key) {
            None => 0,
            Some((_, bytes)) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| StoreError(format!("value at {key} is not an integer")))?,
        };
        let next = current.saturating_add(delta);
        inner.write(key, next.to_string().into_bytes());
        Ok(next)
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        const PAGE: usize = 100;
        let inner = self.lock();
        let keys: Vec<String> = match cursor {
            None => inner.entries.keys().take(PAGE + 1).cloned().collect(),
            Some(after) => inner
                .entries
                .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
                .map(|(k, _)| k.clone())
                .take(PAGE + 1)
                .collect(),
        };
        if keys.len() > PAGE {
            let page = keys[..PAGE].to_vec();
            let next = page.last().cloned();
            Ok((page, next))
        } else {
            Ok((keys, None))
        }
    }

    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError> {
        let (version, seen) = self.snapshot(key);
        Ok(Box::new(MemoryCas { store: self.clone(), key: key.to_owned(), version, seen }))
    }
}

struct MemoryCas {
    store: MemoryStore,
    key: String,
    version: u64,
    seen: Option<Vec<u8>>,
}

impl CasHandle for MemoryCas {
    fn current(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.seen.clone())
    }

    fn swap(self: Box<Self>, value: Vec<u8>) -> Result<(), SwapError> {
        let mut inner = self.store.lock();
        let now = inner.entries.get(&self.key).map_or(0, |(v, _)| *v);
        if now != self.version {
            drop(inner);
            let (version, seen) = self.store.snapshot(&self.key);
            let fresh = MemoryCas { store: self.store.clone(), key: self.key.clone(), version, seen };
            return Err(SwapError::Conflict(Box::new(fresh)));
        }
        inner.write(&self.key, value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_fails_after_concurrent_write_and_fresh_handle_succeeds() {
        let store = MemoryStore::default();
        let cas = store.cas("k").expect("cas");
        store.set("k", b"x").expect("set");
        let Err(SwapError::Conflict(fresh)) = cas.swap(b"y".to_vec()) else {
            panic!("expected conflict");
        };
        assert_eq!(fresh.current().expect("current"), Some(b"x".to_vec()));
        assert!(fresh.swap(b"z".to_vec()).is_ok());
        assert_eq!(store.get("k").expect("get"), Some(b"z".to_vec()));
    }

    #[test]
    fn versions_are_not_reused_after_delete() {
        let store = MemoryStore::default();
        store.set("k", b"a").expect("set");
        let cas = store.cas("k").expect("cas");
        store.delete("k").expect("delete");
        store.set("k", b"a").expect("set");
        assert!(matches!(cas.swap(b"b".to_vec()), Err(SwapError::Conflict(_))));
    }

    #[test]
    fn increment_creates_missing_key() {
        let store = MemoryStore::default();
        assert_eq!(store.increment("n", 5), Ok(5));
        assert_eq!(store.increment("n", -2), Ok(3));
    }
}

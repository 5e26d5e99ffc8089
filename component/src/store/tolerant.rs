//! [`Tolerant`]: the store as the component uses it, tolerant of what real providers get wrong.
//!
//! Spin's Redis provider implements `get-many` as `KEYS k1 k2 …` (Spin 3.x and 4.x), which Redis
//! refuses for more than one key. After the first failed `get-many`, an instance reads batches
//! with single gets: a store that is really down fails those too, so nothing is hidden.

use std::cell::Cell;

use super::{CasHandle, KvStore, StoreError};

/// A [`KvStore`] that falls back to single gets when `get-many` fails.
pub struct Tolerant<S> {
    inner: S,
    get_many_broken: Cell<bool>,
}

impl<S: KvStore> Tolerant<S> {
    /// `inner`, made tolerant.
    pub fn new(inner: S) -> Self {
        Tolerant { inner, get_many_broken: Cell::new(false) }
    }

    fn get_each(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().map(|k| self.inner.get(k)).collect()
    }
}

impl<S: KvStore> KvStore for Tolerant<S> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if keys.len() <= 1 || self.get_many_broken.get() {
            return self.get_each(keys);
        }
        match self.inner.get_many(keys) {
            Ok(values) => Ok(values),
            Err(_) => {
                self.get_many_broken.set(true);
                self.get_each(keys)
            }
        }
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.inner.set_many(entries)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.inner.delete_many(keys)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.inner.increment(key, delta)
    }

    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError> {
        self.inner.cas(key)
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.inner.list_keys(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::faulty::{Faults, FaultyStore};
    use crate::store::memory::MemoryStore;

    #[test]
    fn get_many_refused_by_the_store_is_served_by_single_gets() {
        let memory = MemoryStore::default();
        memory.set("a", b"1").expect("set");
        let store = Tolerant::new(FaultyStore::new(memory, Faults::spin_redis()));
        let got = store.get_many(&["a".into(), "b".into()]).expect("get-many");
        assert_eq!(got, vec![Some(b"1".to_vec()), None]);
    }
}

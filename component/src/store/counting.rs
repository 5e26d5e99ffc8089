//! A [`KvStore`] that counts the calls made through it, as a host sees them: each call of the
//! trait is one call into the host (`cas`, a handle's `current` and its `swap` count one each).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{CasHandle, KvStore, StoreError, SwapError};

/// `inner`, counting. Clones share the counts.
#[derive(Clone)]
pub struct CountingStore<S> {
    inner: S,
    counts: Arc<Mutex<BTreeMap<&'static str, usize>>>,
}

impl<S: KvStore + Clone + 'static> CountingStore<S> {
    /// `inner`, counting from zero.
    pub fn new(inner: S) -> Self {
        CountingStore { inner, counts: Arc::default() }
    }

    fn count(&self, call: &'static str) {
        *self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(call).or_default() += 1;
    }

    /// The calls made so far, by name, and resets the counts.
    pub fn take(&self) -> BTreeMap<&'static str, usize> {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// The total of `counts`.
pub fn total(counts: &BTreeMap<&'static str, usize>) -> usize {
    counts.values().sum()
}

impl<S: KvStore + Clone + 'static> KvStore for CountingStore<S> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.count("get");
        self.inner.get(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.count("set");
        self.inner.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.count("delete");
        self.inner.delete(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.count("get-many");
        self.inner.get_many(keys)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.count("set-many");
        self.inner.set_many(entries)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.count("delete-many");
        self.inner.delete_many(keys)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.count("increment");
        self.inner.increment(key, delta)
    }

    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError> {
        self.count("cas");
        Ok(Box::new(CountingCas { store: self.clone(), handle: self.inner.cas(key)? }))
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.count("list-keys");
        self.inner.list_keys(cursor)
    }
}

struct CountingCas<S> {
    store: CountingStore<S>,
    handle: Box<dyn CasHandle>,
}

impl<S: KvStore + Clone + 'static> CasHandle for CountingCas<S> {
    fn current(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.count("current");
        self.handle.current()
    }

    fn swap(self: Box<Self>, value: Vec<u8>) -> Result<(), SwapError> {
        self.store.count("swap");
        match self.handle.swap(value) {
            Err(SwapError::Conflict(fresh)) => {
                Err(SwapError::Conflict(Box::new(CountingCas { store: self.store.clone(), handle: fresh })))
            }
            other => other,
        }
    }
}

//! A [`KvStore`] that behaves like the real stores the component meets, not like our own:
//! writes whose outcome the caller cannot know, seeded so a failing run can be replayed.
//!
//! - [`Faults::spin_redis`]: every applied swap is reported as `cas-failed` (Spin's Redis
//!   provider, whose `UNWATCH <key>` fails after `EXEC`), and `get-many` fails for more than
//!   one key (it runs `KEYS k1 k2 …`).
//! - [`Faults::random`]: at a given rate per write, fail before applying, or apply and then
//!   report failure (a lost reply from a networked store).

use std::sync::{Arc, Mutex};

use super::{CasHandle, KvStore, StoreError, SwapError};

/// Which faults to inject, and how often.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Report every applied swap as a conflict (Spin's Redis provider).
    pub swap_reports_conflict_after_applying: bool,
    /// Fail `get-many` of more than one key (Spin's Redis provider).
    pub get_many_fails: bool,
    /// Per write (set, delete, batches, increment, swap), the chance in 1,000 of failing
    /// before it is applied.
    pub fail_before_per_mille: u32,
    /// Per write, the chance in 1,000 of applying it and then reporting failure (for a swap:
    /// a store error, the outcome unknown to the caller).
    pub fail_after_per_mille: u32,
    /// Seed of the fault sequence.
    pub seed: u64,
}

impl Faults {
    /// Spin's Redis provider as it is in Spin 3.x and 4.x.
    pub fn spin_redis() -> Faults {
        Faults { swap_reports_conflict_after_applying: true, get_many_fails: true, ..Faults::default() }
    }

    /// Random failures before and after applying, at `per_mille` each, from `seed`.
    pub fn random(per_mille: u32, seed: u64) -> Faults {
        Faults { fail_before_per_mille: per_mille, fail_after_per_mille: per_mille, seed, ..Faults::default() }
    }
}

/// What to do with one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Apply,
    FailBefore,
    FailAfter,
}

/// `inner` with [`Faults`] injected. Clones share the fault sequence.
#[derive(Clone)]
pub struct FaultyStore<S> {
    inner: S,
    faults: Faults,
    rng: Arc<Mutex<u64>>,
}

impl<S: KvStore + Clone + 'static> FaultyStore<S> {
    /// `inner` with `faults`.
    pub fn new(inner: S, faults: Faults) -> Self {
        let seed = faults.seed.max(1);
        FaultyStore { inner, faults, rng: Arc::new(Mutex::new(seed)) }
    }

    fn fate(&self) -> Fate {
        let mut state = match self.rng.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // xorshift64: deterministic for a seed, good enough to spread faults.
        let mut x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        let roll = (x % 1000) as u32;
        if roll < self.faults.fail_before_per_mille {
            Fate::FailBefore
        } else if roll < self.faults.fail_before_per_mille + self.faults.fail_after_per_mille {
            Fate::FailAfter
        } else {
            Fate::Apply
        }
    }

    fn write<T>(&self, apply: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        match self.fate() {
            Fate::FailBefore => Err(failed_before()),
            Fate::Apply => apply(),
            Fate::FailAfter => {
                apply()?;
                Err(lost_reply())
            }
        }
    }
}

fn failed_before() -> StoreError {
    StoreError("injected: failed before applying".into())
}

fn lost_reply() -> StoreError {
    StoreError("injected: applied, then the reply was lost".into())
}

impl<S: KvStore + Clone + 'static> KvStore for FaultyStore<S> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(|| self.inner.set(key, value))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.write(|| self.inner.delete(key))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if self.faults.get_many_fails && keys.len() > 1 {
            return Err(StoreError("ERR wrong number of arguments for 'keys' command".into()));
        }
        self.inner.get_many(keys)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.write(|| self.inner.set_many(entries))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.write(|| self.inner.delete_many(keys))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        if delta == 0 {
            return self.inner.increment(key, 0);
        }
        self.write(|| self.inner.increment(key, delta))
    }

    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError> {
        Ok(Box::new(FaultyCas { store: self.clone(), key: key.to_owned(), handle: self.inner.cas(key)? }))
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.inner.list_keys(cursor)
    }
}

struct FaultyCas<S> {
    store: FaultyStore<S>,
    key: String,
    handle: Box<dyn CasHandle>,
}

impl<S: KvStore + Clone + 'static> CasHandle for FaultyCas<S> {
    fn current(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.handle.current()
    }

    fn swap(self: Box<Self>, value: Vec<u8>) -> Result<(), SwapError> {
        let FaultyCas { store, key, handle } = *self;
        let fate = store.fate();
        if fate == Fate::FailBefore {
            return Err(SwapError::Store(failed_before()));
        }
        let applied = match handle.swap(value) {
            Ok(()) => true,
            Err(SwapError::Conflict(_)) => false,
            Err(SwapError::Store(e)) => return Err(SwapError::Store(e)),
        };
        if applied && fate == Fate::FailAfter {
            return Err(SwapError::Store(lost_reply()));
        }
        if applied && !store.faults.swap_reports_conflict_after_applying {
            return Ok(());
        }
        // A conflict, real or reported: a fresh handle through this store, as a provider
        // makes one after a failed swap.
        match store.cas(&key) {
            Ok(fresh) => Err(SwapError::Conflict(fresh)),
            Err(e) => Err(SwapError::Store(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[test]
    fn spin_redis_swap_is_applied_and_reported_as_conflict() {
        let memory = MemoryStore::default();
        let store = FaultyStore::new(memory.clone(), Faults::spin_redis());
        let cas = store.cas("k").expect("cas");
        let Err(SwapError::Conflict(fresh)) = cas.swap(b"v".to_vec()) else { panic!("expected a reported conflict") };
        assert_eq!(memory.get("k"), Ok(Some(b"v".to_vec())));
        assert_eq!(fresh.current(), Ok(Some(b"v".to_vec())));
        assert!(store.get_many(&["a".into(), "b".into()]).is_err());
    }

    #[test]
    fn random_faults_are_reproducible_from_the_seed() {
        let run = |seed| {
            let store = FaultyStore::new(MemoryStore::default(), Faults::random(300, seed));
            (0..50).map(|i| store.set(&i.to_string(), b"x").is_ok()).collect::<Vec<bool>>()
        };
        assert_eq!(run(7), run(7));
        assert!(run(7).iter().any(|ok| !ok));
        assert!(run(7).iter().any(|ok| *ok));
    }
}

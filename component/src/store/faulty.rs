//! A [`KvStore`] that behaves like the real stores the component meets, not like our own:
//! writes whose outcome the caller cannot know, seeded so a failing run can be replayed.
//!
//! - [`Faults::spin_redis`]: every applied swap is reported as `cas-failed` (Spin's Redis
//!   provider, whose `UNWATCH <key>` fails after `EXEC`), and `get-many` fails for more than
//!   one key (it runs `KEYS k1 k2 …`).
//! - [`Faults::spin_sqlite`]: a swap whose handle saw the key absent upserts unconditionally
//!   (Spin's SQLite provider runs `INSERT … ON CONFLICT DO UPDATE` then), so two creators of one
//!   key both succeed.
//! - [`Faults::random`]: at a given rate per write, fail before applying, or apply and then
//!   report failure (a lost reply from a networked store).
//! - [`Faults::rendezvous`]: handles that find a key absent wait for each other, so that
//!   concurrent creators of one key really interleave (both read before either swaps) and a
//!   threaded test's outcome does not depend on the scheduler.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
    /// A swap whose handle saw the key absent writes whatever the key holds now (Spin's
    /// SQLite provider).
    pub blind_absent_swap: bool,
    /// Handles on chosen keys that find the key absent wait until as many handles as the
    /// rendezvous names have found it absent (at most [`RENDEZVOUS_TIMEOUT`]).
    pub rendezvous: Option<Rendezvous>,
    /// Seed of the fault sequence.
    pub seed: u64,
}

/// Which handles meet before going on (see [`Faults::rendezvous`]).
#[derive(Debug, Clone, Copy)]
pub struct Rendezvous {
    /// The keys whose handles meet.
    pub on: fn(&str) -> bool,
    /// How many handles of one key meet.
    pub parties: usize,
}

/// How long a handle waits for the others of its rendezvous (only a broken test waits so long).
pub const RENDEZVOUS_TIMEOUT: Duration = Duration::from_secs(5);

impl Faults {
    /// Spin's Redis provider as it is in Spin 3.x and 4.x.
    pub fn spin_redis() -> Faults {
        Faults { swap_reports_conflict_after_applying: true, get_many_fails: true, ..Faults::default() }
    }

    /// Spin's SQLite provider as it is in Spin 3.x and 4.x.
    pub fn spin_sqlite() -> Faults {
        Faults { blind_absent_swap: true, ..Faults::default() }
    }

    /// The first `parties` handles of each key `on` accepts that find the key absent wait for
    /// each other.
    pub fn rendezvous(self, on: fn(&str) -> bool, parties: usize) -> Faults {
        Faults { rendezvous: Some(Rendezvous { on, parties }), ..self }
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

/// `inner` with [`Faults`] injected. Clones share the fault sequence and the rendezvous.
#[derive(Clone)]
pub struct FaultyStore<S> {
    inner: S,
    faults: Faults,
    rng: Arc<Mutex<u64>>,
    met: Arc<(Mutex<HashMap<String, usize>>, Condvar)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<S: KvStore + Clone + 'static> FaultyStore<S> {
    /// `inner` with `faults`.
    pub fn new(inner: S, faults: Faults) -> Self {
        let seed = faults.seed.max(1);
        FaultyStore { inner, faults, rng: Arc::new(Mutex::new(seed)), met: Arc::default() }
    }

    /// A handle found `key` absent: waits for the rest of its rendezvous, if it has one.
    fn meet(&self, key: &str) {
        let Some(Rendezvous { on, parties }) = self.faults.rendezvous else { return };
        if !on(key) {
            return;
        }
        let (arrived, all_here) = &*self.met;
        let mut arrived = lock(arrived);
        let count = arrived.entry(key.to_owned()).or_default();
        *count += 1;
        if *count > parties {
            return;
        }
        all_here.notify_all();
        let deadline = Instant::now() + RENDEZVOUS_TIMEOUT;
        while arrived.get(key).is_some_and(|n| *n < parties) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            arrived = all_here.wait_timeout(arrived, left).map_or_else(|e| e.into_inner().0, |(guard, _)| guard);
        }
    }

    fn fate(&self) -> Fate {
        let mut state = lock(&self.rng);
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
        let handle = self.inner.cas(key)?;
        Ok(Box::new(FaultyCas { store: self.clone(), key: key.to_owned(), handle, saw_absent: Default::default() }))
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.inner.list_keys(cursor)
    }
}

struct FaultyCas<S> {
    store: FaultyStore<S>,
    key: String,
    handle: Box<dyn CasHandle>,
    saw_absent: std::cell::Cell<Option<bool>>,
}

impl<S: KvStore + Clone + 'static> CasHandle for FaultyCas<S> {
    fn current(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.handle.current()?;
        if value.is_none() && self.saw_absent.get().is_none() {
            self.store.meet(&self.key);
        }
        self.saw_absent.set(Some(value.is_none()));
        Ok(value)
    }

    fn swap(self: Box<Self>, value: Vec<u8>) -> Result<(), SwapError> {
        let blind = self.store.faults.blind_absent_swap
            && match self.saw_absent.get() {
                Some(absent) => absent,
                None => self.handle.current().map_err(SwapError::Store)?.is_none(),
            };
        let FaultyCas { store, key, handle, .. } = *self;
        let fate = store.fate();
        if fate == Fate::FailBefore {
            return Err(SwapError::Store(failed_before()));
        }
        let applied = if blind {
            // Spin's SQLite provider: `INSERT … ON CONFLICT DO UPDATE`, whatever is there now.
            store.inner.set(&key, &value).map_err(SwapError::Store)?;
            true
        } else {
            match handle.swap(value) {
                Ok(()) => true,
                Err(SwapError::Conflict(_)) => false,
                Err(e @ (SwapError::Store(_) | SwapError::Busy(_))) => return Err(e),
            }
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
    fn spin_sqlite_lets_two_creators_of_one_key_both_win() {
        let memory = MemoryStore::default();
        let store = FaultyStore::new(memory.clone(), Faults::spin_sqlite());
        let (first, second) = (store.cas("k").expect("cas"), store.cas("k").expect("cas"));
        assert_eq!((first.current(), second.current()), (Ok(None), Ok(None)));
        assert!(first.swap(b"first".to_vec()).is_ok());
        assert!(second.swap(b"second".to_vec()).is_ok());
        assert_eq!(memory.get("k"), Ok(Some(b"second".to_vec())));
        // A swap from a value that is there still compares.
        let stale = store.cas("k").expect("cas");
        assert_eq!(stale.current(), Ok(Some(b"second".to_vec())));
        memory.set("k", b"third").expect("set");
        assert!(matches!(stale.swap(b"fourth".to_vec()), Err(SwapError::Conflict(_))));
    }

    #[test]
    fn a_rendezvous_holds_readers_of_an_absent_key_until_all_have_read() {
        let memory = MemoryStore::default();
        let store = FaultyStore::new(memory.clone(), Faults::spin_sqlite().rendezvous(|k| k == "k", 2));
        let wins = std::thread::scope(|s| {
            let racers: Vec<_> = (0..2)
                .map(|i| {
                    let store = store.clone();
                    s.spawn(move || {
                        let cas = store.cas("k").expect("cas");
                        let seen = cas.current().expect("current");
                        seen.is_none() && cas.swap(vec![i]).is_ok()
                    })
                })
                .collect();
            racers.into_iter().filter_map(|r| r.join().ok()).filter(|won| *won).count()
        });
        assert_eq!(wins, 2, "both read the key absent, both upserted");
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

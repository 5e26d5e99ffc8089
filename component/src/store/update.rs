//! Read-modify-write of one key with CAS and retry: the only way the product changes a key
//! that another request may change at the same time.
//!
//! # Writes whose outcome is unknown
//!
//! A store's answer to a swap is not always the truth. Spin's Redis provider reports every
//! applied swap as `cas-failed` (its `UNWATCH <key>` fails after `EXEC`); a networked store can
//! apply a write and lose the reply. So a failed swap is never taken as "not written":
//! [`swap_settled`] reads the key again and, if it holds exactly the bytes the swap wrote, the
//! swap counts as applied. If it holds something else, the caller decides again from that
//! value; every decision of the storage layer is idempotent (it recognises its own effect in
//! the value — an id already listed, a claim already held), so deciding again after a write
//! that did apply, and was then changed by someone else, writes nothing twice.

use super::{CasHandle, KvStore, StoreError, SwapError};

/// How many times a contended update is retried before giving up.
const MAX_ATTEMPTS: usize = 256;

/// How many times the outcome of a swap that failed with a store error is read back.
const READ_BACK_ATTEMPTS: usize = 3;

/// What an update closure decided.
pub enum Update<T> {
    /// Write this value, then return the result.
    Write(Vec<u8>, T),
    /// Leave the key as it is and return the result.
    Keep(T),
}

/// The settled outcome of one swap.
pub enum Swapped {
    /// The value is stored (the swap applied, whatever the store reported).
    Applied,
    /// The key holds another value: `current`, as read back through `handle` (so the caller
    /// decides again without reading it a second time).
    Conflict {
        /// A handle at the key's current value.
        handle: Box<dyn CasHandle>,
        /// That value (`None`: the key does not exist).
        current: Option<Vec<u8>>,
    },
}

/// Swaps `value` in with `handle` and settles what really happened: a reported conflict or
/// store error is checked against the key's value read back. Fails when the store stays
/// unreachable, and then the outcome is unknown (the protocols are ordered so that either
/// outcome reads correctly, as after a crash), or when the swap was [`SwapError::Busy`]
/// (nothing written).
pub fn swap_settled(
    store: &dyn KvStore,
    key: &str,
    handle: Box<dyn CasHandle>,
    value: Vec<u8>,
) -> Result<Swapped, StoreError> {
    let settle = |handle: Box<dyn CasHandle>| {
        handle.current().map(|current| {
            if current.as_deref() == Some(value.as_slice()) {
                Swapped::Applied
            } else {
                Swapped::Conflict { handle, current }
            }
        })
    };
    let mut last = match handle.swap(value.clone()) {
        Ok(()) => return Ok(Swapped::Applied),
        Err(SwapError::Conflict(fresh)) => match settle(fresh) {
            Ok(settled) => return Ok(settled),
            Err(e) => e,
        },
        Err(SwapError::Store(e)) => e,
        Err(SwapError::Busy(e)) => return Err(e),
    };
    for _ in 0..READ_BACK_ATTEMPTS {
        match store.cas(key).and_then(settle) {
            Ok(settled) => return Ok(settled),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Applies `decide` to the current value of `key` and writes its answer with CAS, retrying
/// on conflict with the fresh value. `decide` may run several times, must not have side
/// effects, and must be idempotent: given a value that already reflects its change, it keeps
/// it (see the module documentation). Errors from `decide` abort the update; store errors
/// convert through `From`.
pub fn update<T, E>(
    store: &dyn KvStore,
    key: &str,
    mut decide: impl FnMut(Option<&[u8]>) -> Result<Update<T>, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let mut handle = store.cas(key)?;
    let mut current = handle.current()?;
    for _ in 0..MAX_ATTEMPTS {
        match decide(current.as_deref())? {
            Update::Keep(result) => return Ok(result),
            Update::Write(value, result) => match swap_settled(store, key, handle, value)? {
                Swapped::Applied => return Ok(result),
                Swapped::Conflict { handle: fresh, current: now } => (handle, current) = (fresh, now),
            },
        }
    }
    Err(StoreError(format!("too much contention updating {key} after {MAX_ATTEMPTS} attempts")).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::faulty::{Faults, FaultyStore};
    use crate::store::memory::MemoryStore;

    #[test]
    fn update_writes_and_returns_result() {
        let store = MemoryStore::default();
        let got: Result<u8, StoreError> = update(&store, "k", |cur| {
            assert!(cur.is_none());
            Ok(Update::Write(b"v".to_vec(), 7))
        });
        assert_eq!(got, Ok(7));
        assert_eq!(store.get("k"), Ok(Some(b"v".to_vec())));
    }

    #[test]
    fn update_retries_after_a_concurrent_write() {
        let store = MemoryStore::default();
        let mut first = true;
        let got: Result<Vec<u8>, StoreError> = update(&store, "k", |cur| {
            if first {
                first = false;
                store.set("k", b"other")?;
            }
            let mut next = cur.map(<[u8]>::to_vec).unwrap_or_default();
            next.push(b'!');
            Ok(Update::Write(next.clone(), next))
        });
        assert_eq!(got, Ok(b"other!".to_vec()));
    }

    /// Spin's Redis provider reports an applied swap as `cas-failed`: the update must stop
    /// after one write, not append again (the bug that filled a chunk with 768 copies).
    #[test]
    fn swap_applied_but_reported_as_conflict_is_written_once() {
        let memory = MemoryStore::default();
        let store = FaultyStore::new(memory.clone(), Faults::spin_redis());
        let mut decisions = 0;
        let got: Result<(), StoreError> = update(&store, "k", |cur| {
            decisions += 1;
            let mut next = cur.map(<[u8]>::to_vec).unwrap_or_default();
            next.push(b'x');
            Ok(Update::Write(next, ()))
        });
        assert_eq!(got, Ok(()));
        assert_eq!(memory.get("k"), Ok(Some(b"x".to_vec())));
        assert_eq!(decisions, 1);
    }

    #[test]
    fn swap_applied_but_reply_lost_is_settled_by_reading_back() {
        let memory = MemoryStore::default();
        let faults = Faults { fail_after_per_mille: 1000, ..Faults::default() };
        let store = FaultyStore::new(memory.clone(), faults);
        let got: Result<u8, StoreError> = update(&store, "k", |_| Ok(Update::Write(b"v".to_vec(), 1)));
        assert_eq!(got, Ok(1));
        assert_eq!(memory.get("k"), Ok(Some(b"v".to_vec())));
    }

    #[test]
    fn swap_that_failed_before_applying_is_decided_again() {
        let memory = MemoryStore::default();
        let faults = Faults { fail_before_per_mille: 500, seed: 3, ..Faults::default() };
        let store = FaultyStore::new(memory.clone(), faults);
        for i in 0..20 {
            let key = format!("k{i}");
            let got: Result<(), StoreError> = update(&store, &key, |cur| {
                Ok(if cur.is_some() { Update::Keep(()) } else { Update::Write(b"v".to_vec(), ()) })
            });
            // Either it was written, or the store error is reported; never a silent loss.
            assert_eq!(got.is_ok(), memory.get(&key) == Ok(Some(b"v".to_vec())));
        }
    }
}

//! Whether a store's swap from "absent" is exclusive: found out once per store by a probe, and
//! recorded in the store itself ([`ABSENT_SWAP_KEY`]).
//!
//! The probe opens two compare-and-swaps on a fresh key, both see it absent, and both swap. A
//! store that refuses the second swap (and keeps the first value) inserts-if-absent: our SQLite
//! and Redis stores, and Spin's Redis provider (whose refusal arrives, like its every answer to
//! a swap, as a conflict). A store that accepts the second and keeps its value upserts blindly:
//! Spin's SQLite provider. Anything else proves nothing; the caller then treats the store as
//! blind, which is always correct, and probes again with its next instance.

use super::{KvStore, StoreError, SwapError};

/// Where the probe's verdict is recorded: `exclusive` or `blind`.
pub const ABSENT_SWAP_KEY: &str = "meta/absent-swap";

/// The counter that gives each probe a key of its own (concurrent probes must not meet).
const PROBE_SEQUENCE_KEY: &str = "meta/absent-swap-probes";

/// What a store does with a swap whose handle saw the key absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsentSwap {
    /// Inserts if the key is still absent, else reports a conflict.
    Exclusive,
    /// Writes unconditionally: two creators of one key both succeed.
    Blind,
}

impl AbsentSwap {
    fn as_bytes(self) -> &'static [u8] {
        match self {
            AbsentSwap::Exclusive => b"exclusive",
            AbsentSwap::Blind => b"blind",
        }
    }

    fn parse(bytes: &[u8]) -> Option<AbsentSwap> {
        match bytes {
            b"exclusive" => Some(AbsentSwap::Exclusive),
            b"blind" => Some(AbsentSwap::Blind),
            _ => None,
        }
    }
}

/// The recorded verdict, or a fresh probe's (recorded when conclusive); `Blind` when the probe
/// proves nothing or fails. One read once a verdict is recorded.
pub fn absent_swap(store: &dyn KvStore) -> Result<AbsentSwap, StoreError> {
    if let Some(known) = store.get(ABSENT_SWAP_KEY)?.as_deref().and_then(AbsentSwap::parse) {
        return Ok(known);
    }
    match probe(store) {
        Ok(Some(verdict)) => {
            // Best effort: unrecorded, the next instance probes again.
            let _ = store.set(ABSENT_SWAP_KEY, verdict.as_bytes());
            Ok(verdict)
        }
        Ok(None) | Err(_) => Ok(AbsentSwap::Blind),
    }
}

/// Races two swaps from "absent" on a fresh key; `None` when the outcome proves nothing.
pub fn probe(store: &dyn KvStore) -> Result<Option<AbsentSwap>, StoreError> {
    let n = store.increment(PROBE_SEQUENCE_KEY, 1)?;
    let key = format!("meta/absent-swap-probe/{n}");
    let first = store.cas(&key)?;
    let second = store.cas(&key)?;
    if first.current()?.is_some() || second.current()?.is_some() {
        return Ok(None);
    }
    let _ = first.swap(b"first".to_vec());
    let second_swap = second.swap(b"second".to_vec());
    let kept = store.get(&key)?;
    let _ = store.delete(&key);
    Ok(match (second_swap, kept.as_deref()) {
        (Ok(()), Some(b"second")) => Some(AbsentSwap::Blind),
        (Err(SwapError::Conflict(_)), Some(b"first")) => Some(AbsentSwap::Exclusive),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::faulty::{Faults, FaultyStore};
    use crate::store::memory::MemoryStore;

    #[test]
    fn insert_if_absent_stores_are_exclusive_and_the_verdict_is_recorded() {
        let memory = MemoryStore::default();
        assert_eq!(absent_swap(&memory), Ok(AbsentSwap::Exclusive));
        assert_eq!(memory.get(ABSENT_SWAP_KEY), Ok(Some(b"exclusive".to_vec())));
        let spin_redis = FaultyStore::new(MemoryStore::default(), Faults::spin_redis());
        assert_eq!(probe(&spin_redis), Ok(Some(AbsentSwap::Exclusive)));
    }

    #[test]
    fn spin_sqlite_is_blind_and_the_probe_leaves_only_its_verdict_and_sequence() {
        let memory = MemoryStore::default();
        let store = FaultyStore::new(memory.clone(), Faults::spin_sqlite());
        assert_eq!(absent_swap(&store), Ok(AbsentSwap::Blind));
        assert_eq!(memory.keys(), vec![ABSENT_SWAP_KEY.to_owned(), PROBE_SEQUENCE_KEY.to_owned()]);
    }

    #[test]
    fn a_recorded_verdict_is_read_not_probed_again() {
        let memory = MemoryStore::default();
        memory.set(ABSENT_SWAP_KEY, b"blind").expect("set");
        assert_eq!(absent_swap(&memory), Ok(AbsentSwap::Blind));
        assert_eq!(memory.keys(), vec![ABSENT_SWAP_KEY.to_owned()]);
    }

    #[test]
    fn a_store_whose_writes_fail_counts_as_blind_and_nothing_is_recorded() {
        let memory = MemoryStore::default();
        let store = FaultyStore::new(memory.clone(), Faults { fail_before_per_mille: 1000, ..Faults::default() });
        assert_eq!(absent_swap(&store), Ok(AbsentSwap::Blind));
        assert_eq!(memory.get(ABSENT_SWAP_KEY), Ok(None));
    }
}

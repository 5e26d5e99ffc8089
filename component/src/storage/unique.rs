//! Uniqueness claims: an index key that names the one record holding a value.
//!
//! A claim is made with CAS, so of many concurrent claimants exactly one wins. A claim may be
//! left behind by a crash or by a change still in flight; before refusing a claimant, the
//! current holder is checked against its record ([`Holder`]): a claim whose record is gone or
//! deleted is free at once, and one whose record no longer carries the value is free after
//! [`GRACE_MILLIS`] (a change in flight finishes well within that).

use serde::{Deserialize, Serialize};

use super::{StorageError, decode, encode};
use crate::store::{KvStore, Update, update};

/// How long a claim whose record does not (yet) carry the value is respected.
pub const GRACE_MILLIS: i64 = 60_000;

/// The content of a claim key. `id: None` is a released claim (keys are never deleted while
/// their record may race with a new claimant, because delete cannot be conditional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The id of the record holding the value, if any.
    pub id: Option<String>,
    /// When the claim was made (milliseconds since the epoch).
    pub at: i64,
}

/// What the holder's record says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The record exists and carries the value: the claim stands.
    Holds,
    /// The record is gone or deleted: the claim is stale.
    Gone,
    /// The record exists but does not carry the value: a change is in flight or crashed.
    Mismatch,
}

/// The result of a claim attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The value is now held by the claimant.
    Won,
    /// Another record holds the value.
    TakenBy(String),
}

/// The current holder of a claim key, if any.
pub fn holder(store: &dyn KvStore, key: &str) -> Result<Option<Claim>, StorageError> {
    match store.get(key)? {
        None => Ok(None),
        Some(bytes) => {
            let claim: Claim = decode(key, &bytes)?;
            Ok(claim.id.is_some().then_some(claim))
        }
    }
}

/// Claims `key` for `id` at time `now`. `check` inspects another holder's record.
pub fn claim(
    store: &dyn KvStore,
    key: &str,
    id: &str,
    now: i64,
    mut check: impl FnMut(&str) -> Result<Holder, StorageError>,
) -> Result<Claimed, StorageError> {
    let mine = encode(&Claim { id: Some(id.to_owned()), at: now });
    update(store, key, |current| {
        let existing: Option<Claim> = match current {
            None => None,
            Some(bytes) => decode(key, bytes)?,
        };
        let Some(Claim { id: Some(holder), at }) = existing else {
            return Ok(Update::Write(mine.clone(), Claimed::Won));
        };
        if holder == id {
            return Ok(Update::Keep(Claimed::Won));
        }
        let free = match check(&holder)? {
            Holder::Holds => false,
            Holder::Gone => true,
            Holder::Mismatch => now.saturating_sub(at) > GRACE_MILLIS,
        };
        Ok(if free { Update::Write(mine.clone(), Claimed::Won) } else { Update::Keep(Claimed::TakenBy(holder)) })
    })
}

/// Releases `key` if `id` still holds it.
pub fn release(store: &dyn KvStore, key: &str, id: &str, now: i64) -> Result<(), StorageError> {
    update(store, key, |current| {
        let existing: Option<Claim> = match current {
            None => return Ok(Update::Keep(())),
            Some(bytes) => decode(key, bytes)?,
        };
        Ok(match existing {
            Some(Claim { id: Some(holder), .. }) if holder == id => {
                Update::Write(encode(&Claim { id: None, at: now }), ())
            }
            _ => Update::Keep(()),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[test]
    fn second_claimant_is_refused_while_holder_holds() {
        let store = MemoryStore::default();
        assert_eq!(claim(&store, "k", "a", 0, |_| Ok(Holder::Holds)), Ok(Claimed::Won));
        assert_eq!(claim(&store, "k", "b", 1, |_| Ok(Holder::Holds)), Ok(Claimed::TakenBy("a".into())));
    }

    #[test]
    fn claim_of_gone_holder_is_taken_over() {
        let store = MemoryStore::default();
        claim(&store, "k", "a", 0, |_| Ok(Holder::Holds)).expect("claim");
        assert_eq!(claim(&store, "k", "b", 1, |_| Ok(Holder::Gone)), Ok(Claimed::Won));
    }

    #[test]
    fn mismatched_claim_is_respected_only_during_grace() {
        let store = MemoryStore::default();
        claim(&store, "k", "a", 0, |_| Ok(Holder::Holds)).expect("claim");
        assert_eq!(claim(&store, "k", "b", 10, |_| Ok(Holder::Mismatch)), Ok(Claimed::TakenBy("a".into())));
        assert_eq!(claim(&store, "k", "b", GRACE_MILLIS + 1, |_| Ok(Holder::Mismatch)), Ok(Claimed::Won));
    }

    #[test]
    fn release_frees_only_own_claim() {
        let store = MemoryStore::default();
        claim(&store, "k", "a", 0, |_| Ok(Holder::Holds)).expect("claim");
        release(&store, "k", "b", 1).expect("release other");
        assert!(holder(&store, "k").expect("holder").is_some());
        release(&store, "k", "a", 2).expect("release own");
        assert_eq!(holder(&store, "k"), Ok(None));
        assert_eq!(claim(&store, "k", "b", 3, |_| Ok(Holder::Holds)), Ok(Claimed::Won));
    }

    #[test]
    fn exactly_one_of_many_concurrent_claimants_wins() {
        let store = MemoryStore::default();
        let wins: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|i| {
                    let store = store.clone();
                    s.spawn(move || claim(&store, "k", &i.to_string(), 0, |_| Ok(Holder::Holds)))
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).filter(|r| matches!(r, Ok(Claimed::Won))).count()
        });
        assert_eq!(wins, 1);
    }

    /// Spin's SQLite provider upserts when a swap's handle saw the key absent: two claimants that
    /// both read the claim key absent before either swaps both win, unless creation is made
    /// exclusive ([`crate::store::ExclusiveCreate`]).
    #[test]
    fn on_spin_sqlite_of_two_interleaved_claimants_one_wins_only_with_exclusive_creation() {
        use std::rc::Rc;

        use crate::store::clock::SystemClock;
        use crate::store::faulty::{Faults, FaultyStore};
        use crate::store::{ExclusiveCreate, KvStore};

        let race = |exclusive: bool| {
            let faulty = FaultyStore::new(MemoryStore::default(), Faults::spin_sqlite().rendezvous(|k| k == "k", 2));
            std::thread::scope(|s| {
                let claimants: Vec<_> = (0..2)
                    .map(|i| {
                        let faulty = faulty.clone();
                        s.spawn(move || {
                            let mut store: Rc<dyn KvStore> = Rc::new(faulty);
                            if exclusive {
                                store = Rc::new(ExclusiveCreate::new(store, Rc::new(SystemClock)));
                            }
                            claim(&*store, "k", &i.to_string(), 0, |_| Ok(Holder::Holds))
                        })
                    })
                    .collect();
                claimants.into_iter().filter_map(|c| c.join().ok()).filter(|r| matches!(r, Ok(Claimed::Won))).count()
            })
        };
        assert_eq!(race(false), 2, "the double reproduces Spin's SQLite provider");
        assert_eq!(race(true), 1);
    }
}

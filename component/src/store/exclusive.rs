//! [`ExclusiveCreate`]: the store as the component uses it, on which a swap from "absent" is an
//! exclusive insert whatever the store underneath does.
//!
//! # Why
//!
//! Every protocol of the storage layer that creates a key does it with a compare-and-swap from
//! "absent" (a uniqueness claim, the first chunk of a list, a directory, an index key, a
//! membership entry) and relies on exactly one of many such swaps succeeding. Spin's SQLite
//! provider upserts instead: when its handle saw the key absent, `swap` runs
//! `INSERT … ON CONFLICT DO UPDATE` and always succeeds, so two claimants of one userName both
//! win and one of two appends that open a chunk is silently lost. (When the key existed, its
//! swap compares the old value under a mutex, which is exclusive.) Reading back after the
//! swap cannot settle it — each creator can read its own value before the other writes — and a
//! placeholder written first does not either, because a creator whose handle saw the key
//! absent earlier upserts over whatever came later. Only `increment` is an atomic
//! read-modify-write on every store, so creation is arbitrated with it.
//!
//! # How
//!
//! A swap whose handle saw the key absent, on a store found blind ([`super::probe`]), does not
//! swap. It takes the key's creation [`Ticket`] for the current time slot (`increment`):
//! - Ticket 1 holds the slot. Unless the previous slot's ticket still exists (its holder may
//!   still be creating: then it waits as below), the holder reads the key again with a new
//!   handle; if it is still absent, the holder swaps, which on a blind store writes — the only
//!   writer from "absent" in this slot and, because it re-reads the clock before writing and
//!   gives the slot up when it ended, in the next. If the key exists now, the swap reports a
//!   conflict with a handle at that value, and the caller decides again from it. The holder
//!   deletes its ticket either way.
//! - A higher ticket means another writer is creating the key: it reads the key again, with
//!   pauses of about 1.3 s in all, until it exists, and reports a conflict with a handle at its
//!   value. If the key never appears, the creator crashed or stalled; the swap fails with
//!   [`SwapError::Busy`] (a 503 with `Retry-After`), and the retry lands in a later slot.
//!
//! A ticket left behind by a crash delays creators of that one key by at most two slots (20 s)
//! and is garbage afterwards ([`super::ticket::is_stale`]). Safety rests on one assumption: a
//! holder's write lands within a slot (10 s) of its last look at the clock.
//!
//! On a store whose swap from "absent" is exclusive, nothing changes: swaps go straight through.
//! The only cost there is reading the recorded verdict once per instance, before the first swap
//! from "absent".

use std::cell::{Cell, OnceCell};
use std::rc::Rc;

use super::clock::Clock;
use super::probe::{self, AbsentSwap};
use super::ticket::{self, Ticket};
use super::{CasHandle, KvStore, StoreError, SwapError};

/// Pauses, in milliseconds, between reads of a key another writer is creating (1.3 s in all).
const AWAIT_CREATION_MILLIS: [u64; 10] = [2, 5, 10, 20, 40, 80, 160, 320, 320, 320];

/// How many slots a holder tries before giving up (one ends under it at most, normally).
const HOLDER_ATTEMPTS: usize = 3;

/// A [`KvStore`] whose swaps from "absent" are exclusive (see the module documentation). Made
/// once per instance: it remembers the store's verdict for the instance's lifetime.
pub struct ExclusiveCreate {
    shared: Rc<Shared>,
}

struct Shared {
    inner: Rc<dyn KvStore>,
    clock: Rc<dyn Clock>,
    verdict: Cell<Option<AbsentSwap>>,
}

impl ExclusiveCreate {
    /// `inner`, with creation arbitrated when it needs to be, timed by `clock`.
    pub fn new(inner: Rc<dyn KvStore>, clock: Rc<dyn Clock>) -> Self {
        ExclusiveCreate { shared: Rc::new(Shared { inner, clock, verdict: Cell::new(None) }) }
    }
}

impl Shared {
    fn store(&self) -> &dyn KvStore {
        &*self.inner
    }

    /// What the store does with a swap from "absent", found out once per instance.
    fn verdict(&self) -> Result<AbsentSwap, StoreError> {
        if let Some(known) = self.verdict.get() {
            return Ok(known);
        }
        let verdict = probe::absent_swap(self.store())?;
        self.verdict.set(Some(verdict));
        Ok(verdict)
    }

    fn wrap(
        self: &Rc<Self>,
        key: &str,
        inner: Box<dyn CasHandle>,
        seen: Option<Option<Vec<u8>>>,
    ) -> Box<dyn CasHandle> {
        let cell = OnceCell::new();
        if let Some(value) = seen {
            let _ = cell.set(value);
        }
        Box::new(ExclusiveCas { shared: self.clone(), key: key.to_owned(), inner, seen: cell })
    }

    /// Creates `key` with `value` on a blind store, arbitrated by its creation ticket.
    fn create(self: &Rc<Self>, key: &str, value: &[u8]) -> Result<(), SwapError> {
        for _ in 0..HOLDER_ATTEMPTS {
            let ticket = Ticket::take(self.store(), key, self.clock.now_millis()).map_err(SwapError::Store)?;
            if !ticket.holds() {
                return self.await_creation(key);
            }
            let outcome = self.create_holding(key, &ticket, value);
            ticket.release(self.store());
            if outcome.as_ref().is_ok_and(|written| !written) {
                continue;
            }
            return outcome.map(drop);
        }
        Err(busy(key))
    }

    /// As the holder of `ticket`: writes `value` if `key` is still absent. `Ok(false)` when the
    /// slot ended first (nothing written).
    fn create_holding(self: &Rc<Self>, key: &str, ticket: &Ticket, value: &[u8]) -> Result<bool, SwapError> {
        if ticket.previous_taken(self.store(), key).map_err(SwapError::Store)? {
            return self.await_creation(key).map(|()| true);
        }
        let fresh = self.inner.cas(key).map_err(SwapError::Store)?;
        let current = fresh.current().map_err(SwapError::Store)?;
        if current.is_some() {
            return Err(SwapError::Conflict(self.wrap(key, fresh, Some(current))));
        }
        if ticket::slot(self.clock.now_millis()) != ticket.slot {
            return Ok(false);
        }
        fresh.swap(value.to_vec()).map(|()| true).map_err(|e| self.wrap_error(key, e))
    }

    /// Waits for another writer to create `key`; reports it as a conflict with a handle at the
    /// value it wrote.
    fn await_creation(self: &Rc<Self>, key: &str) -> Result<(), SwapError> {
        for pause in AWAIT_CREATION_MILLIS {
            self.clock.pause(pause);
            let handle = self.inner.cas(key).map_err(SwapError::Store)?;
            let current = handle.current().map_err(SwapError::Store)?;
            if current.is_some() {
                return Err(SwapError::Conflict(self.wrap(key, handle, Some(current))));
            }
        }
        Err(busy(key))
    }

    fn wrap_error(self: &Rc<Self>, key: &str, e: SwapError) -> SwapError {
        match e {
            SwapError::Conflict(fresh) => SwapError::Conflict(self.wrap(key, fresh, None)),
            other => other,
        }
    }
}

fn busy(key: &str) -> SwapError {
    SwapError::Busy(StoreError(format!("too much contention creating {key}: another writer holds its creation ticket")))
}

/// A handle of the store underneath, and what it saw.
struct ExclusiveCas {
    shared: Rc<Shared>,
    key: String,
    inner: Box<dyn CasHandle>,
    seen: OnceCell<Option<Vec<u8>>>,
}

impl CasHandle for ExclusiveCas {
    fn current(&self) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(seen) = self.seen.get() {
            return Ok(seen.clone());
        }
        let value = self.inner.current()?;
        let _ = self.seen.set(value.clone());
        Ok(value)
    }

    fn swap(self: Box<Self>, value: Vec<u8>) -> Result<(), SwapError> {
        let saw_absent = self.current().map_err(SwapError::Store)?.is_none();
        let ExclusiveCas { shared, key, inner, .. } = *self;
        if saw_absent && shared.verdict().map_err(SwapError::Store)? == AbsentSwap::Blind {
            return shared.create(&key, &value);
        }
        inner.swap(value).map_err(|e| shared.wrap_error(&key, e))
    }
}

impl KvStore for ExclusiveCreate {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.shared.inner.get(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.shared.inner.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.shared.inner.delete(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.shared.inner.get_many(keys)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.shared.inner.set_many(entries)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.shared.inner.delete_many(keys)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.shared.inner.increment(key, delta)
    }

    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError> {
        Ok(self.shared.wrap(key, self.shared.inner.cas(key)?, None))
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.shared.inner.list_keys(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::clock::{ManualClock, SystemClock};
    use crate::store::counting::{CountingStore, total};
    use crate::store::faulty::{Faults, FaultyStore};
    use crate::store::memory::MemoryStore;
    use crate::store::ticket::SLOT_MILLIS;
    use crate::store::{Update, update};

    /// The start of a slot.
    const T0: i64 = 176_722_560 * SLOT_MILLIS;

    fn spin_sqlite(memory: &MemoryStore) -> Rc<dyn KvStore> {
        Rc::new(FaultyStore::new(memory.clone(), Faults::spin_sqlite()))
    }

    fn exclusive(inner: Rc<dyn KvStore>, clock: &Rc<ManualClock>) -> ExclusiveCreate {
        ExclusiveCreate::new(inner, clock.clone())
    }

    fn tickets(memory: &MemoryStore) -> Vec<String> {
        memory.keys().into_iter().filter(|k| ticket::parse(k).is_some()).collect()
    }

    /// Creates `key` with `value` unless it exists; returns what it holds then.
    fn create(store: &dyn KvStore, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        update(store, key, |current| {
            Ok(match current {
                None => Update::Write(value.to_vec(), value.to_vec()),
                Some(there) => Update::Keep(there.to_vec()),
            })
        })
    }

    #[test]
    fn of_two_creators_that_both_saw_the_key_absent_the_second_gets_a_conflict() {
        let memory = MemoryStore::default();
        let store = exclusive(spin_sqlite(&memory), &Rc::new(ManualClock::at(T0)));
        let (first, second) = (store.cas("k").expect("cas"), store.cas("k").expect("cas"));
        assert_eq!((first.current(), second.current()), (Ok(None), Ok(None)));
        assert!(first.swap(b"first".to_vec()).is_ok());
        let Err(SwapError::Conflict(fresh)) = second.swap(b"second".to_vec()) else { panic!("expected a conflict") };
        assert_eq!(fresh.current(), Ok(Some(b"first".to_vec())));
        assert_eq!(memory.get("k"), Ok(Some(b"first".to_vec())));
        assert!(tickets(&memory).is_empty());
    }

    /// A clock whose first pause lets another writer act.
    struct Interleaved {
        clock: ManualClock,
        during_pause: std::cell::RefCell<Option<Box<dyn FnOnce()>>>,
    }

    impl Clock for Interleaved {
        fn now_millis(&self) -> i64 {
            self.clock.now_millis()
        }

        fn pause(&self, millis: u64) {
            self.clock.pause(millis);
            if let Some(act) = self.during_pause.borrow_mut().take() {
                act();
            }
        }
    }

    #[test]
    fn a_creator_waits_for_the_holder_of_the_ticket_and_decides_from_its_value() {
        let memory = MemoryStore::default();
        let holder_ticket = ticket::key("k", ticket::slot(T0));
        assert_eq!(memory.increment(&holder_ticket, 1), Ok(1));
        let holder = memory.clone();
        let clock = Interleaved {
            clock: ManualClock::at(T0),
            // The holder creates the key, then gives its ticket back.
            during_pause: std::cell::RefCell::new(Some(Box::new(move || {
                holder.set("k", b"theirs").expect("set");
                holder.delete(&holder_ticket).expect("delete");
            }))),
        };
        let store = ExclusiveCreate::new(spin_sqlite(&memory), Rc::new(clock));
        assert_eq!(create(&store, "k", b"mine"), Ok(b"theirs".to_vec()));
        assert_eq!(memory.get("k"), Ok(Some(b"theirs".to_vec())));
        assert!(tickets(&memory).is_empty());
    }

    #[test]
    fn a_ticket_left_by_a_crash_holds_creation_off_for_two_slots_at_most() {
        let memory = MemoryStore::default();
        let clock = Rc::new(ManualClock::at(T0));
        let crashed = ticket::key("k", ticket::slot(T0));
        memory.increment(&crashed, 1).expect("increment");
        let busy = |at: i64| {
            clock.millis.set(at);
            let store = exclusive(spin_sqlite(&memory), &clock);
            matches!(create(&store, "k", b"v"), Err(e) if e.0.starts_with("too much contention creating k"))
        };
        assert!(busy(T0 + 1_000), "the crashed holder's slot");
        assert!(busy(T0 + SLOT_MILLIS), "the next slot, while the crashed holder's ticket exists");
        clock.millis.set(T0 + 2 * SLOT_MILLIS);
        assert_eq!(create(&exclusive(spin_sqlite(&memory), &clock), "k", b"v"), Ok(b"v".to_vec()));
        assert_eq!(tickets(&memory), vec![crashed.clone()]);
        assert!(ticket::is_stale(&crashed, clock.now_millis()));
    }

    #[test]
    fn a_holder_whose_slot_ends_before_it_writes_takes_a_ticket_in_the_next() {
        let memory = MemoryStore::default();
        let counting = CountingStore::new(FaultyStore::new(memory.clone(), Faults::spin_sqlite()));
        probe::absent_swap(&counting).expect("probe");
        counting.take();
        let clock = Rc::new(ManualClock { millis: std::cell::Cell::new(T0 + SLOT_MILLIS - 1), step: 1 });
        let store = exclusive(Rc::new(counting.clone()), &clock);
        assert_eq!(create(&store, "k", b"v"), Ok(b"v".to_vec()));
        assert_eq!(counting.take().get("increment"), Some(&2), "a ticket in each slot");
        assert_eq!(memory.get("k"), Ok(Some(b"v".to_vec())));
        assert!(tickets(&memory).is_empty());
    }

    #[test]
    fn many_threads_creating_one_key_on_spin_sqlite_agree_on_one_value() {
        let memory = MemoryStore::default();
        let faulty = FaultyStore::new(memory.clone(), Faults::spin_sqlite().rendezvous(|k| k == "k", 8));
        let values: Vec<Vec<u8>> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8u8)
                .map(|i| {
                    let faulty = faulty.clone();
                    s.spawn(move || {
                        let store = ExclusiveCreate::new(Rc::new(faulty), Rc::new(SystemClock));
                        create(&store, "k", &[i]).expect("create")
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().expect("racer")).collect()
        });
        let kept = memory.get("k").expect("get").expect("created");
        assert!(values.iter().all(|v| *v == kept), "{values:?} vs {kept:?}");
        assert!(tickets(&memory).is_empty());
    }

    #[test]
    fn on_an_insert_if_absent_store_creation_costs_one_read_of_the_verdict_per_instance() {
        let memory = MemoryStore::default();
        probe::absent_swap(&memory).expect("probe");
        let counting = CountingStore::new(memory.clone());
        let store = exclusive(Rc::new(counting.clone()), &Rc::new(ManualClock::at(T0)));
        create(&store, "a", b"1").expect("create");
        create(&store, "b", b"1").expect("create");
        let calls = counting.take();
        assert_eq!(calls.get("get"), Some(&1), "{calls:?}");
        assert_eq!(total(&calls), 1 + 2 * 3, "{calls:?}");
        assert!(tickets(&memory).is_empty());
    }

    #[test]
    fn on_spin_sqlite_creation_costs_five_calls_more() {
        let memory = MemoryStore::default();
        let inner = CountingStore::new(FaultyStore::new(memory.clone(), Faults::spin_sqlite()));
        probe::absent_swap(&inner).expect("probe");
        inner.take();
        let store = exclusive(Rc::new(inner.clone()), &Rc::new(ManualClock::at(T0)));
        create(&store, "a", b"1").expect("create");
        let first = inner.take();
        create(&store, "b", b"1").expect("create");
        let second = inner.take();
        // cas, current; increment (ticket), get (previous slot's ticket), cas, current, swap,
        // delete (ticket); and, once per instance, get (verdict).
        assert_eq!(total(&first), 9, "{first:?}");
        assert_eq!(total(&second), 8, "{second:?}");
        assert_eq!(second.get("increment"), Some(&1));
        assert_eq!(second.get("delete"), Some(&1));
        // A key that exists costs nothing more.
        update(&store, "a", |_| Ok::<_, StoreError>(Update::Write(b"2".to_vec(), ()))).expect("update");
        assert_eq!(total(&inner.take()), 3);
        assert!(tickets(&memory).is_empty());
    }
}

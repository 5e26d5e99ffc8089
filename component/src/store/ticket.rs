//! Creation tickets: `increment` counters that decide which writer may create a key on a store
//! whose swap from "absent" is blind (see [`super::exclusive`]).
//!
//! The ticket of `key` for time slot `s` is the counter `{key}~new/{s}` (`s` = milliseconds
//! since the epoch / [`SLOT_MILLIS`]). The writer whose increment returns 1 holds it and is the
//! only one that may create `key` in slot `s`; it deletes the ticket when done. A ticket keeps
//! the owner prefix of its key (`res-uniq/{c}/…~new/{s}`), so one left behind by a crash belongs
//! to the same connection. No key of the product contains `~`.

use super::{KvStore, StoreError};

/// Length of a ticket's time slot. A holder finishes within its slot or gives the ticket up,
/// so a ticket older than two slots is held by nobody.
pub const SLOT_MILLIS: i64 = 10_000;

/// What separates a key from its ticket's slot.
const MARK: &str = "~new/";

/// The time slot of `millis` since the epoch.
pub fn slot(millis: i64) -> i64 {
    millis.div_euclid(SLOT_MILLIS)
}

/// The ticket key of `key` in slot `slot`.
pub fn key(key: &str, slot: i64) -> String {
    format!("{key}{MARK}{slot}")
}

/// The key a ticket key is for, and its slot; `None` for any other key.
pub fn parse(ticket: &str) -> Option<(&str, i64)> {
    let (key, slot) = ticket.rsplit_once(MARK)?;
    let digits = !slot.is_empty() && slot.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| slot.parse().ok().map(|slot| (key, slot))).flatten()
}

/// Whether the ticket key `ticket` can no longer be held by a writer at time `now_millis`: its
/// slot ended more than one slot ago (a holder gives up at the end of its slot).
pub fn is_stale(ticket: &str, now_millis: i64) -> bool {
    parse(ticket).is_some_and(|(_, s)| s + 2 <= slot(now_millis))
}

/// A ticket this writer took.
pub struct Ticket {
    /// The ticket key.
    pub key: String,
    /// Its slot.
    pub slot: i64,
    /// The counter after this writer's increment: 1 makes this writer the holder.
    pub number: i64,
}

impl Ticket {
    /// Takes a ticket for creating `key` in the slot of `now_millis`.
    pub fn take(store: &dyn KvStore, key: &str, now_millis: i64) -> Result<Ticket, StoreError> {
        let slot = slot(now_millis);
        let ticket = self::key(key, slot);
        let number = store.increment(&ticket, 1)?;
        Ok(Ticket { key: ticket, slot, number })
    }

    /// Whether this writer holds the ticket (it was the first to take it).
    pub fn holds(&self) -> bool {
        self.number == 1
    }

    /// Whether the previous slot's ticket of `key` exists: its holder may still be creating.
    pub fn previous_taken(&self, store: &dyn KvStore, key: &str) -> Result<bool, StoreError> {
        Ok(store.get(&self::key(key, self.slot - 1))?.is_some())
    }

    /// Gives a held ticket up (best effort: a ticket left behind only delays creators of the
    /// same key until it is stale).
    pub fn release(self, store: &dyn KvStore) {
        let _ = store.delete(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_keys_parse_back_and_nothing_else_does() {
        let ticket = key("res-uniq/c/u/userName/ab12", 176_722_560);
        assert_eq!(ticket, "res-uniq/c/u/userName/ab12~new/176722560");
        assert_eq!(parse(&ticket), Some(("res-uniq/c/u/userName/ab12", 176_722_560)));
        for other in ["res-uniq/c/u/userName/ab12", "conn-list/dir", "x~new/", "x~new/12a", "mem/c/g/m/u1"] {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn a_ticket_is_stale_two_slots_after_its_own() {
        let ticket = key("k", 100);
        assert!(!is_stale(&ticket, 101 * SLOT_MILLIS + SLOT_MILLIS - 1));
        assert!(is_stale(&ticket, 102 * SLOT_MILLIS));
        assert!(!is_stale("k", i64::MAX));
    }
}

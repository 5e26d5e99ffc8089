//! The audit feed: one ring of the tenant's latest [`RETENTION`] events, newest first.
//!
//! Layout: the counter `audit-seq` numbers events; event `n` is stored at slot `n %
//! RETENTION` (`audit/{slot}`), overwriting the event `RETENTION` older. Appending `k` events
//! is two store calls: one `increment` by `k` reserves their numbers, one `set-many` writes them.
//! A crash between the two, or a write whose outcome is unknown, leaves a slot holding an
//! older event (or nothing): readers skip every slot whose event does not carry the number
//! they expect, so a lost event is a gap, never a wrong entry. A connection's feed is the
//! tenant's, filtered: a page reads at most [`SCAN_LIMIT`] slots and hands back a cursor to
//! continue from.

use super::Event;
use crate::storage::{StorageError, keys};
use crate::store::KvStore;

/// How many events the feed keeps: the latest 100,000 of the tenant.
pub const RETENTION: i64 = 100_000;

/// The most slots one page request reads while looking for a connection's events.
pub const SCAN_LIMIT: i64 = 10_000;

/// Slots read per `get-many`.
const BATCH: i64 = 500;

/// The most events one page returns.
pub const MAX_COUNT: usize = 200;

/// Stores `events` (numbering them) with two store calls; none for no events.
pub fn append(store: &dyn KvStore, events: &[Event]) -> Result<(), StorageError> {
    if events.is_empty() {
        return Ok(());
    }
    let k = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let last = store.increment(keys::AUDIT_SEQUENCE, k)?;
    let entries: Vec<(String, Vec<u8>)> = events
        .iter()
        .zip(last - k + 1..)
        .map(|(event, seq)| {
            let event = Event { seq, ..event.clone() };
            (keys::audit_event(seq.rem_euclid(RETENTION)), serde_json::to_vec(&event).unwrap_or_default())
        })
        .collect();
    Ok(store.set_many(&entries)?)
}

/// One page of the feed, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// The events.
    pub events: Vec<Event>,
    /// Where the next (older) page starts, when there may be one: pass it as `before`.
    pub next_cursor: Option<i64>,
}

/// Why a feed request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// An argument is invalid; the string says which and why.
    InvalidArgument(String),
    /// The store failed.
    Storage(StorageError),
}

impl From<StorageError> for FeedError {
    fn from(e: StorageError) -> Self {
        FeedError::Storage(e)
    }
}

/// A page of the feed as callers ask for it (the admin API's query, the WIT `list-audit`):
/// `connection` a connection id, `before` a cursor the feed returned, `count` from 1 to
/// [`MAX_COUNT`]; each checked before anything is read.
pub fn read(
    store: &dyn KvStore,
    connection: Option<&str>,
    before: Option<&str>,
    count: u32,
) -> Result<AuditPage, FeedError> {
    let invalid = |why: &str| FeedError::InvalidArgument(why.to_owned());
    if connection.is_some_and(|c| !crate::ids::is_connection_id(c)) {
        return Err(invalid("the connection is not a connection id"));
    }
    if count == 0 || count as usize > MAX_COUNT {
        return Err(FeedError::InvalidArgument(format!("count must be from 1 to {MAX_COUNT}")));
    }
    let before = match before {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid("before must be a cursor the feed returned"))?,
        ),
    };
    Ok(page(store, connection, before, count as usize)?)
}

/// Up to `count` events older than `before` (the newest when `None`), of `connection` only
/// when given.
pub fn page(
    store: &dyn KvStore,
    connection: Option<&str>,
    before: Option<i64>,
    count: usize,
) -> Result<AuditPage, StorageError> {
    let count = count.clamp(1, MAX_COUNT);
    let newest = store.increment(keys::AUDIT_SEQUENCE, 0)?;
    let top = before.map_or(newest, |b| (b - 1).min(newest));
    let oldest = (newest - RETENTION + 1).max(1);
    let mut events = Vec::new();
    let mut n = top;
    let floor = (top - SCAN_LIMIT + 1).max(oldest);
    while n >= floor && events.len() < count {
        let low = (n - BATCH + 1).max(floor);
        let slots: Vec<i64> = (low..=n).rev().collect();
        let keys: Vec<String> = slots.iter().map(|s| keys::audit_event(s.rem_euclid(RETENTION))).collect();
        for (seq, value) in slots.iter().zip(store.get_many(&keys)?) {
            let Some(event) = value.and_then(|bytes| serde_json::from_slice::<Event>(&bytes).ok()) else { continue };
            if event.seq != *seq || connection.is_some_and(|c| c != event.connection_id) {
                continue;
            }
            events.push(event);
            if events.len() == count {
                // The cursor is this event: the next page starts below it.
                return Ok(AuditPage { next_cursor: (*seq > oldest).then_some(*seq), events });
            }
        }
        n = low - 1;
    }
    Ok(AuditPage { events, next_cursor: (n >= oldest).then_some(n + 1) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{Action, Actor};
    use crate::store::counting::CountingStore;
    use crate::store::memory::MemoryStore;

    fn event(connection: &str, at: i64) -> Event {
        Event {
            seq: 0,
            at,
            actor: Actor::Idp,
            connection_id: connection.to_owned(),
            connection_name: format!("Name of {connection}"),
            action: Action::UserCreated,
            resource_type: "User".into(),
            resource_id: format!("u{at}"),
            detail: None,
            inactive_delta: 0,
        }
    }

    fn ats(page: &AuditPage) -> Vec<i64> {
        page.events.iter().map(|e| e.at).collect()
    }

    #[test]
    fn appending_costs_two_calls_and_pages_come_newest_first() {
        let store = MemoryStore::default();
        let counting = CountingStore::new(store.clone());
        append(&counting, &[event("a", 1), event("b", 2), event("a", 3)]).expect("append");
        assert_eq!(counting.take().values().sum::<usize>(), 2);
        append(&store, &[]).expect("nothing to append");
        let all = page(&store, None, None, 2).expect("page");
        assert_eq!(ats(&all), vec![3, 2]);
        let rest = page(&store, None, all.next_cursor, 2).expect("page");
        assert_eq!(ats(&rest), vec![1]);
        assert_eq!(rest.next_cursor, None);
        assert_eq!(ats(&page(&store, Some("a"), None, 10).expect("page")), vec![3, 1]);
        assert_eq!(page(&store, Some("a"), None, 10).expect("page").next_cursor, None);
    }

    #[test]
    fn the_ring_keeps_the_latest_events_only() {
        let store = MemoryStore::default();
        let events: Vec<Event> = (1..=RETENTION + 5).map(|i| event("a", i)).collect();
        for batch in events.chunks(5_000) {
            append(&store, batch).expect("append");
        }
        let newest = page(&store, None, None, 3).expect("page");
        assert_eq!(ats(&newest), vec![RETENTION + 5, RETENTION + 4, RETENTION + 3]);
        let oldest = page(&store, None, Some(7), 10).expect("page");
        assert_eq!(ats(&oldest), vec![6], "events 1 to 5 were overwritten");
        assert_eq!(oldest.next_cursor, None);
    }

    #[test]
    fn a_lost_or_stale_slot_is_a_gap_not_a_wrong_event() {
        let store = MemoryStore::default();
        append(&store, &[event("a", 1), event("a", 2)]).expect("append");
        // A crash after reserving numbers 3 and 4 but before writing them.
        store.increment(keys::AUDIT_SEQUENCE, 2).expect("increment");
        // And a slot holding an event with another number.
        let mut stale = event("a", 99);
        stale.seq = 3 + RETENTION;
        store.set(&keys::audit_event(3), &serde_json::to_vec(&stale).expect("json")).expect("set");
        append(&store, &[event("a", 6)]).expect("append");
        assert_eq!(ats(&page(&store, None, None, 10).expect("page")), vec![6, 2, 1]);
    }

    #[test]
    fn a_quiet_connection_is_searched_a_bounded_number_of_slots_per_page() {
        let store = MemoryStore::default();
        append(&store, &[event("quiet", 0)]).expect("append");
        let busy: Vec<Event> = (1..=SCAN_LIMIT + 10).map(|i| event("busy", i)).collect();
        append(&store, &busy).expect("append");
        let first = page(&store, Some("quiet"), None, 10).expect("page");
        assert!(first.events.is_empty());
        let cursor = first.next_cursor.expect("more to scan");
        let second = page(&store, Some("quiet"), Some(cursor), 10).expect("page");
        assert_eq!(ats(&second), vec![0]);
        assert_eq!(second.next_cursor, None);
    }
}

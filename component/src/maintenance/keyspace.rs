//! The walk over the whole key space, one `list-keys` page at a time: keys no listing
//! accounts for, claims, membership keys, and keys that belong to no live connection.

use std::collections::{HashMap, HashSet};

use super::{Checker, changed_at, connections, memberships, resources};
use crate::storage::connections::ConnectionRecord;
use crate::storage::{StorageError, decode, keys};

/// The connection a per-connection key belongs to (any structure: see
/// [`keys::connection_owner`]).
pub(crate) fn owner(key: &str) -> Option<&str> {
    keys::connection_owner(key)
}

/// Walks every key once, a page at a time, checking what the listings could not.
pub(crate) fn walk(checker: &mut Checker<'_, '_>, live: &[String]) -> Result<(), StorageError> {
    let live: HashSet<&str> = live.iter().map(String::as_str).collect();
    let mut reported_orphans = HashSet::new();
    let mut reported_groups = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = checker.app.store.list_keys(cursor.as_deref())?;
        checker.report.keys += page.len() as u64;
        check_page(checker, &live, &mut reported_orphans, &mut reported_groups, &page)?;
        match next {
            Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
            _ => return Ok(()),
        }
    }
}

fn check_page(
    checker: &mut Checker<'_, '_>,
    live: &HashSet<&str>,
    reported_orphans: &mut HashSet<String>,
    reported_groups: &mut HashSet<String>,
    page: &[String],
) -> Result<(), StorageError> {
    let mut connection_records = Vec::new();
    let mut name_claims = Vec::new();
    let mut records = Vec::new();
    let mut claims = Vec::new();
    let mut membership = Vec::new();
    let mut orphans: HashMap<&str, Vec<String>> = HashMap::new();
    let mut stale_tickets = Vec::new();
    for key in page {
        if keys::is_store_metadata(key) {
            continue;
        }
        if keys::is_creation_ticket(key) {
            // A creator that crashed between its ticket and its write; a live one deletes its
            // ticket within a slot.
            if keys::is_stale_creation_ticket(key, checker.now) {
                stale_tickets.push(key.clone());
            }
            continue;
        }
        if let Some(connection) = owner(key) {
            if checker.reclaiming.contains(connection) {
                continue;
            }
            if !live.contains(connection) {
                orphans.entry(connection).or_default().push(key.clone());
                continue;
            }
            match key.split('/').next() {
                Some("res") => records.push(key.clone()),
                Some("res-uniq") => claims.push(key.clone()),
                Some("mem") => membership.push(key.clone()),
                _ => {}
            }
        } else if key.starts_with("conn/") {
            connection_records.push(key.clone());
        } else if key.starts_with("conn-name/") {
            name_claims.push(key.clone());
        }
    }
    connections::check_records(checker, &connection_records)?;
    connections::check_name_claims(checker, live, &name_claims)?;
    resources::check_records(checker, &records)?;
    resources::check_claims(checker, &claims)?;
    memberships::check_keys(checker, reported_groups, &membership)?;
    for (connection, doomed) in orphans {
        check_orphans(checker, reported_orphans, connection, &doomed)?;
    }
    let store = checker.app.store;
    for ticket in stale_tickets {
        checker.unfinished(
            "creation-ticket",
            ticket.clone(),
            "a creation ticket whose creator stopped before writing (it no longer blocks anyone)".into(),
            i64::MIN,
            false,
            || Ok(store.delete(&ticket)?),
        )?;
    }
    Ok(())
}

/// Keys of a connection that is not live: left over from a deletion that did not finish (or
/// from a creation that never committed).
fn check_orphans(
    checker: &mut Checker<'_, '_>,
    reported: &mut HashSet<String>,
    connection: &str,
    doomed: &[String],
) -> Result<(), StorageError> {
    let record_key = keys::connection(connection);
    let since = match checker.app.store.get(&record_key)? {
        None => i64::MIN,
        Some(bytes) => {
            let record: ConnectionRecord = decode(&record_key, &bytes)?;
            changed_at(record.state, record.created, record.last_modified)
        }
    };
    let detail = format!("keys of connection {connection}, which is not live (a deletion cut short)");
    checker.leftover_keys(reported, "orphan-keys", record_key, detail, since, doomed)
}

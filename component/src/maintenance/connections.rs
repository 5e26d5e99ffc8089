//! Connection records, their listing and their name claims.

use std::collections::HashSet;

use super::Checker;
use super::keyspace::under;
use crate::connection;
use crate::storage::connections::{self as store_connections, ConnectionRecord, RecordState};
use crate::storage::unique::{self, GRACE_MILLIS, Holder};
use crate::storage::{StorageError, encode, keys, read_json};

/// Checks connections; returns the ids of the live ones.
pub(crate) fn check(checker: &mut Checker<'_, '_>, all: &[String]) -> Result<Vec<String>, StorageError> {
    let app = checker.app;
    let store = app.store;
    let list = store_connections::list(store);
    for (n, dir_len, actual, seq) in list.directory_mismatches()? {
        let key = keys::chunk(keys::CONNECTION_LIST, n);
        checker.violation(
            "directory-behind",
            key,
            format!("directory says {dir_len} ids, chunk holds {actual}"),
            || list.record(n, actual, seq),
        )?;
    }
    let mut live = Vec::new();
    let mut listed = HashSet::new();
    for (chunk, id) in list.all()? {
        listed.insert(id.clone());
        let key = keys::connection(&id);
        let Some(record) = read_json::<ConnectionRecord>(store, &key)? else {
            checker.violation(
                "listed-without-record",
                key,
                format!("connection {id} is listed but has no record"),
                || list.remove(chunk, &id),
            )?;
            continue;
        };
        if record.chunk != chunk {
            let fixed = ConnectionRecord { chunk, ..record.clone() };
            checker.violation(
                "wrong-chunk",
                key.clone(),
                format!("record says chunk {}, listed in {chunk}", record.chunk),
                || Ok(store.set(&key, &encode(&fixed))?),
            )?;
        }
        match record.state {
            RecordState::Live => {
                let name_key = keys::connection_name(&record.name);
                let holds = unique::holder(store, &name_key)?.and_then(|c| c.id).is_some_and(|h| h == id);
                if !holds {
                    checker.violation(
                        "claim-missing",
                        name_key.clone(),
                        format!("name of connection {id} is not claimed by it"),
                        || unique::claim(store, &name_key, &id, checker_now(app), |_| Ok(Holder::Gone)).map(|_| ()),
                    )?;
                }
                live.push(id);
            }
            RecordState::Pending if store_connections::visible(store, &record)? => {
                let fixed = ConnectionRecord { state: RecordState::Live, ..record.clone() };
                checker.violation(
                    "uncommitted-but-claimed",
                    key.clone(),
                    "committed connection still marked pending".into(),
                    || Ok(store.set(&key, &encode(&fixed))?),
                )?;
                live.push(id);
            }
            RecordState::Pending if checker.now - record.created <= GRACE_MILLIS => {}
            RecordState::Pending => {
                checker.violation(
                    "abandoned-create",
                    key.clone(),
                    "connection creation never committed".into(),
                    || {
                        list.remove(chunk, &id)?;
                        Ok(store.delete(&key)?)
                    },
                )?;
            }
            RecordState::Deleted if checker.now - record.last_modified <= GRACE_MILLIS => {}
            RecordState::Deleted => {
                checker.violation(
                    "interrupted-delete",
                    key.clone(),
                    format!("deletion of connection {id} did not finish"),
                    || {
                        unique::release(store, &keys::connection_name(&record.name), &id, checker_now(app))?;
                        list.remove(chunk, &id)?;
                        connection::purge(app, &id)
                            .map_err(|e| StorageError::Store(crate::store::StoreError(e.to_string())))
                    },
                )?;
            }
        }
    }
    for key in under(all, "conn/") {
        let id = &key["conn/".len()..];
        let young = read_json::<ConnectionRecord>(store, key)?
            .is_some_and(|r| checker.in_flight(r.state, r.created, r.last_modified));
        if !listed.contains(id) && !young {
            checker.violation(
                "unlisted-record",
                key.clone(),
                format!("connection {id} has a record but is not listed"),
                || connection::purge(app, id).map_err(|e| StorageError::Store(crate::store::StoreError(e.to_string()))),
            )?;
        }
    }
    let live_set: HashSet<&String> = live.iter().collect();
    for key in under(all, "conn-name/") {
        if let Some(claim) = unique::holder(store, key)? {
            let holder = claim.id.unwrap_or_default();
            let record = read_json::<ConnectionRecord>(store, &keys::connection(&holder))?;
            let valid = live_set.contains(&holder) && record.is_some_and(|r| keys::connection_name(&r.name) == *key);
            if !valid && checker.now - claim.at > GRACE_MILLIS {
                checker.violation(
                    "stale-claim",
                    key.clone(),
                    format!("name claim held by {holder}, which does not carry it"),
                    || unique::release(store, key, &holder, checker_now(app)),
                )?;
            }
        }
    }
    checker.report.connections = live.len() as u64;
    Ok(live)
}

fn checker_now(app: &crate::app::App<'_>) -> i64 {
    app.now()
}

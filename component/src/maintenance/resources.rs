//! A connection's users and groups: listings, records, uniqueness claims, counts.

use std::collections::HashSet;

use super::Checker;
use super::keyspace::under;
use crate::storage::connections::RecordState;
use crate::storage::keys::{self, Kind};
use crate::storage::members;
use crate::storage::resources::{ResourceRecord, Resources};
use crate::storage::unique::{self, GRACE_MILLIS, Holder};
use crate::storage::{StorageError, decode, encode, read_json};

/// Checks the users and groups of `connection`.
pub(crate) fn check(checker: &mut Checker<'_, '_>, connection: &str, all: &[String]) -> Result<(), StorageError> {
    checker.report.users += check_kind(checker, connection, Kind::User, all)?;
    checker.report.groups += check_kind(checker, connection, Kind::Group, all)?;
    Ok(())
}

fn check_kind(
    checker: &mut Checker<'_, '_>,
    connection: &str,
    kind: Kind,
    all: &[String],
) -> Result<u64, StorageError> {
    let app = checker.app;
    let store = app.store;
    let resources = Resources::new(store, connection, kind);
    let list = resources.list();
    for (n, dir_len, actual, seq) in list.directory_mismatches()? {
        let key = keys::chunk(&keys::resource_list(connection, kind), n);
        checker.violation(
            "directory-behind",
            key,
            format!("directory says {dir_len} ids, chunk holds {actual}"),
            || list.record(n, actual, seq),
        )?;
    }
    let listed = list.all()?;
    let mut live = 0;
    let mut seen = HashSet::new();
    for batch in listed.chunks(256) {
        let record_keys: Vec<String> = batch.iter().map(|(_, id)| resources.key(id)).collect();
        for ((chunk, id), (key, value)) in batch.iter().zip(record_keys.iter().zip(store.get_many(&record_keys)?)) {
            seen.insert(id.clone());
            let Some(bytes) = value else {
                checker.violation(
                    "listed-without-record",
                    key.clone(),
                    format!("{id} is listed but has no record"),
                    || list.remove(*chunk, id),
                )?;
                continue;
            };
            let record: ResourceRecord = decode(key, &bytes)?;
            let now = checker.now;
            match record.state {
                RecordState::Live => {}
                RecordState::Pending if resources.visible(&record)? => {
                    let fixed = ResourceRecord { state: RecordState::Live, ..record.clone() };
                    checker.violation(
                        "uncommitted-but-claimed",
                        key.clone(),
                        "committed record still marked pending".into(),
                        || Ok(store.set(key, &encode(&fixed))?),
                    )?;
                }
                RecordState::Pending if now - record.created <= GRACE_MILLIS => continue,
                RecordState::Pending => {
                    checker.violation("abandoned-create", key.clone(), "creation never committed".into(), || {
                        list.remove(*chunk, id)?;
                        Ok(store.delete(key)?)
                    })?;
                    continue;
                }
                RecordState::Deleted if now - record.last_modified <= GRACE_MILLIS => continue,
                RecordState::Deleted => {
                    checker.violation(
                        "interrupted-delete",
                        key.clone(),
                        format!("deletion of {id} did not finish"),
                        || {
                            resources.release_all(id, &record.unique, now)?;
                            list.remove(*chunk, id)?;
                            members::leave_all(store, connection, id)?;
                            Ok(store.delete(key)?)
                        },
                    )?;
                    continue;
                }
            }
            live += 1;
            if record.chunk != *chunk {
                let fixed = ResourceRecord { chunk: *chunk, ..record.clone() };
                checker.violation(
                    "wrong-chunk",
                    key.clone(),
                    format!("record says chunk {}, listed in {chunk}", record.chunk),
                    || Ok(store.set(key, &encode(&fixed))?),
                )?;
            }
            for value in &record.lookup {
                let index_key = resources.index_key(value);
                let ids: Vec<String> = read_json(store, &index_key)?.unwrap_or_default();
                if !ids.contains(id) {
                    checker.violation(
                        "index-missing",
                        index_key.clone(),
                        format!("{} of {id} is not in its lookup index", value.0),
                        || resources.index_add(id, std::slice::from_ref(value)),
                    )?;
                }
            }
            for value in &record.unique {
                let claim_key = resources.claim_key(value);
                let holds = unique::holder(store, &claim_key)?.and_then(|c| c.id).is_some_and(|h| h == *id);
                if !holds {
                    checker.violation(
                        "claim-missing",
                        claim_key.clone(),
                        format!("{} of {id} is not claimed by it", value.0),
                        || unique::claim(store, &claim_key, id, now, |_| Ok(Holder::Gone)).map(|_| ()),
                    )?;
                }
            }
        }
    }
    let tag = match kind {
        Kind::User => "u",
        Kind::Group => "g",
    };
    let record_prefix = format!("res/{connection}/{tag}/");
    for key in under(all, &record_prefix) {
        let id = &key[record_prefix.len()..];
        let young = read_json::<ResourceRecord>(store, key)?
            .is_some_and(|r| checker.in_flight(r.state, r.created, r.last_modified));
        if !seen.contains(id) && !young {
            checker.violation(
                "unlisted-record",
                key.clone(),
                format!("{id} has a record but is not listed"),
                || {
                    members::leave_all(store, connection, id)?;
                    Ok(store.delete(key)?)
                },
            )?;
        }
    }
    let claim_prefix = format!("res-uniq/{connection}/{tag}/");
    for key in under(all, &claim_prefix) {
        let Some(claim) = unique::holder(store, key)? else { continue };
        let holder = claim.id.unwrap_or_default();
        let record = resources.get(&holder)?;
        let valid = record.is_some_and(|r| r.unique.iter().any(|v| resources.claim_key(v) == *key));
        if !valid && checker.now - claim.at > GRACE_MILLIS {
            let now = checker.now;
            checker.violation(
                "stale-claim",
                key.clone(),
                format!("claim held by {holder}, which does not carry the value"),
                || unique::release(store, key, &holder, now),
            )?;
        }
    }
    Ok(live)
}

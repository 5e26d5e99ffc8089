//! Connection records, their listing and their name claims.

use super::{CHUNKS_PER_CALL, Checker, RECORDS_PER_CALL};
use crate::connection;
use crate::storage::connections::{self as store_connections, ConnectionRecord, RecordState};
use crate::storage::unique::{self, Holder};
use crate::storage::{StorageError, decode, encode, keys};
use crate::store::StoreError;

fn purge(app: &crate::app::App<'_>, id: &str) -> Result<(), StorageError> {
    connection::purge(app, id).map_err(|e| StorageError::Store(StoreError(e.to_string())))
}

/// Walks the connection listing: directory, records, states, name claims. Returns the ids of
/// the live connections (committed ones still marked pending included).
pub(crate) fn check_listing(checker: &mut Checker<'_, '_>) -> Result<Vec<String>, StorageError> {
    let app = checker.app;
    let stamp = checker.stamp();
    let store = app.store;
    let list = store_connections::list(store);
    let mut listed = Vec::new();
    list.scan(CHUNKS_PER_CALL, |chunk| {
        checker.directory_behind(&list, keys::CONNECTION_LIST, &chunk)?;
        listed.extend(chunk.ids.into_iter().map(|id| (chunk.n, id)));
        Ok(())
    })?;
    let mut live = Vec::new();
    for (chunk, id) in listed {
        checker.seen.connections.insert(id.clone());
        let key = keys::connection(&id);
        let Some(bytes) = store.get(&key)? else {
            checker.violation(
                "listed-without-record",
                key,
                format!("connection {id} is listed but has no record"),
                || list.remove(chunk, &id),
            )?;
            continue;
        };
        let record: ConnectionRecord = decode(&key, &bytes)?;
        match record.state {
            RecordState::Live => {}
            RecordState::Pending if store_connections::visible(store, &record)? => {
                let fixed = ConnectionRecord { state: RecordState::Live, ..record.clone() };
                checker.unfinished(
                    "committed-but-pending",
                    key.clone(),
                    format!("connection {id} is committed (its name claim is made), its record not yet marked live"),
                    record.created,
                    true,
                    || Ok(store.set(&key, &encode(&fixed))?),
                )?;
            }
            RecordState::Pending => {
                checker.unfinished(
                    "abandoned-create",
                    key.clone(),
                    format!("creation of connection {id} stopped before its commit"),
                    record.created,
                    false,
                    || {
                        list.remove(chunk, &id)?;
                        Ok(store.delete(&key)?)
                    },
                )?;
                continue;
            }
            RecordState::Deleted => {
                checker.unfinished(
                    "interrupted-delete",
                    key.clone(),
                    format!("deletion of connection {id} did not finish"),
                    record.last_modified,
                    false,
                    || {
                        unique::release(store, &keys::connection_name(&record.name), &id, stamp)?;
                        list.remove(chunk, &id)?;
                        purge(app, &id)
                    },
                )?;
                continue;
            }
        }
        if record.chunk != chunk {
            let fixed = ConnectionRecord { chunk, ..record.clone() };
            checker.violation(
                "wrong-chunk",
                key.clone(),
                format!("record says chunk {}, listed in {chunk}", record.chunk),
                || Ok(store.set(&key, &encode(&fixed))?),
            )?;
        }
        let name_key = keys::connection_name(&record.name);
        let holds = unique::holder(store, &name_key)?.and_then(|c| c.id).is_some_and(|h| h == id);
        if !holds {
            checker.violation(
                "claim-missing",
                name_key.clone(),
                format!("name of connection {id} is not claimed by it"),
                || unique::claim(store, &name_key, &id, stamp, |_| Ok(Holder::Gone)).map(|_| ()),
            )?;
        }
        live.push(id);
    }
    checker.report.connections = live.len() as u64;
    Ok(live)
}

/// Checks connection records (`conn/{id}`) of one key-space page that no listing holds.
pub(crate) fn check_records(checker: &mut Checker<'_, '_>, record_keys: &[String]) -> Result<(), StorageError> {
    let app = checker.app;
    let unlisted: Vec<String> = record_keys
        .iter()
        .filter(|k| !checker.seen.connections.contains(&k["conn/".len()..]))
        .filter(|k| !checker.reclaiming.contains(&k["conn/".len()..]))
        .cloned()
        .collect();
    for batch in unlisted.chunks(RECORDS_PER_CALL) {
        for (key, value) in batch.iter().zip(app.store.get_many(batch)?) {
            let Some(bytes) = value else { continue };
            let record: ConnectionRecord = decode(key, &bytes)?;
            let id = record.id.clone();
            match record.state {
                RecordState::Live => checker.violation(
                    "unlisted-record",
                    key.clone(),
                    format!("live connection {id} is not listed"),
                    || purge(app, &id),
                )?,
                RecordState::Pending => checker.unfinished(
                    "abandoned-create",
                    key.clone(),
                    format!("creation of connection {id} stopped before it was listed"),
                    record.created,
                    false,
                    || purge(app, &id),
                )?,
                RecordState::Deleted => checker.unfinished(
                    "interrupted-delete",
                    key.clone(),
                    format!("deletion of connection {id} stopped after it left the listing"),
                    record.last_modified,
                    false,
                    || purge(app, &id),
                )?,
            }
        }
    }
    Ok(())
}

/// Checks connection name claims (`conn-name/…`) of one key-space page.
pub(crate) fn check_name_claims(
    checker: &mut Checker<'_, '_>,
    live: &std::collections::HashSet<&str>,
    claim_keys: &[String],
) -> Result<(), StorageError> {
    let app = checker.app;
    let stamp = checker.stamp();
    let store = app.store;
    for batch in claim_keys.chunks(RECORDS_PER_CALL) {
        let claims: Vec<(String, unique::Claim)> = batch
            .iter()
            .zip(store.get_many(batch)?)
            .filter_map(|(key, value)| value.map(|bytes| (key, bytes)))
            .map(|(key, bytes)| decode::<unique::Claim>(key, &bytes).map(|claim| (key.clone(), claim)))
            .filter(|decoded| decoded.as_ref().map_or(true, |(_, claim)| claim.id.is_some()))
            .collect::<Result<_, _>>()?;
        let record_keys: Vec<String> =
            claims.iter().map(|(_, claim)| keys::connection(claim.id.as_deref().unwrap_or_default())).collect();
        for ((key, claim), (record_key, value)) in
            claims.into_iter().zip(record_keys.iter().zip(store.get_many(&record_keys)?))
        {
            let holder = claim.id.unwrap_or_default();
            let record = value.map(|bytes| decode::<ConnectionRecord>(record_key, &bytes)).transpose()?;
            let valid = live.contains(holder.as_str()) && record.is_some_and(|r| keys::connection_name(&r.name) == key);
            if !valid {
                checker.unfinished(
                    "stale-claim",
                    key.clone(),
                    format!("name claim held by connection {holder}, which does not carry the name"),
                    claim.at,
                    false,
                    || unique::release(store, &key, &holder, stamp),
                )?;
            }
        }
    }
    Ok(())
}

//! A connection's users and groups: listings, records, uniqueness claims, lookup indexes.

use super::{CHUNKS_PER_CALL, Checker, RECORDS_PER_CALL};
use crate::storage::connections::RecordState;
use crate::storage::keys::{self, Kind};
use crate::storage::members;
use crate::storage::resources::{ResourceRecord, Resources};
use crate::storage::unique::{self, Holder};
use crate::storage::{StorageError, decode, encode};

/// Walks the user and group listings of `connection`; returns the ids of its live groups.
pub(crate) fn check_listings(checker: &mut Checker<'_, '_>, connection: &str) -> Result<Vec<String>, StorageError> {
    let mut users = Live::Count(0);
    check_listing(checker, connection, Kind::User, &mut users)?;
    let mut groups = Live::Ids(Vec::new());
    check_listing(checker, connection, Kind::Group, &mut groups)?;
    checker.report.users += users.len();
    checker.report.groups += groups.len();
    Ok(match groups {
        Live::Ids(ids) => ids,
        Live::Count(_) => Vec::new(),
    })
}

/// The live records a listing walk found: counted (users: a million ids would not fit the
/// memory a check may use) or kept (groups, whose memberships are walked next).
enum Live {
    Count(u64),
    Ids(Vec<String>),
}

impl Live {
    fn push(&mut self, id: &str) {
        match self {
            Live::Count(n) => *n += 1,
            Live::Ids(ids) => ids.push(id.to_owned()),
        }
    }

    fn len(&self) -> u64 {
        match self {
            Live::Count(n) => *n,
            Live::Ids(ids) => ids.len() as u64,
        }
    }
}

/// Walks one listing a few chunks at a time, noting its live records in `live`.
fn check_listing(
    checker: &mut Checker<'_, '_>,
    connection: &str,
    kind: Kind,
    live: &mut Live,
) -> Result<(), StorageError> {
    let resources = Resources::new(checker.app.store, connection, kind);
    let list = resources.list();
    let list_prefix = keys::resource_list(connection, kind);
    list.scan(CHUNKS_PER_CALL, |chunk| {
        checker.directory_behind(&list, &list_prefix, &chunk)?;
        let mut records = Vec::new();
        for batch in chunk.ids.chunks(RECORDS_PER_CALL) {
            records.extend(check_listed(checker, &resources, chunk.n, batch, live)?);
        }
        if kind == Kind::User {
            super::summaries::check_page(checker, connection, chunk.n, &chunk.ids, &records)?;
        }
        Ok(())
    })
}

/// Checks listed ids of chunk `n`: each has a record, in a state a protocol explains; live
/// ones sit in the right chunk, hold their claims and are in their lookup indexes. Returns
/// the live records.
fn check_listed(
    checker: &mut Checker<'_, '_>,
    resources: &Resources<'_>,
    n: u32,
    ids: &[String],
    live: &mut Live,
) -> Result<Vec<ResourceRecord>, StorageError> {
    let store = checker.app.store;
    let stamp = checker.stamp();
    let list = resources.list();
    let record_keys: Vec<String> = ids.iter().map(|id| resources.key(id)).collect();
    let mut records = Vec::new();
    for ((id, key), value) in ids.iter().zip(&record_keys).zip(store.get_many(&record_keys)?) {
        checker.seen.record(key);
        let Some(bytes) = value else {
            checker.violation(
                "listed-without-record",
                key.clone(),
                format!("{id} is listed but has no record"),
                || list.remove(n, id),
            )?;
            continue;
        };
        let record: ResourceRecord = decode(key, &bytes)?;
        match record.state {
            RecordState::Live => {}
            RecordState::Pending if committed(resources, &record)? => {
                let fixed = ResourceRecord { state: RecordState::Live, ..record.clone() };
                checker.unfinished(
                    "committed-but-pending",
                    key.clone(),
                    format!("{id} is committed (its claim is made), its record not yet marked live"),
                    record.created,
                    true,
                    || Ok(store.set(key, &encode(&fixed))?),
                )?;
            }
            RecordState::Pending => {
                checker.unfinished(
                    "abandoned-create",
                    key.clone(),
                    format!("creation of {id} stopped before its commit"),
                    record.created,
                    false,
                    || {
                        resources.index_remove(id, &record.lookup)?;
                        resources.unsummarize(n, id)?;
                        list.remove(n, id)?;
                        Ok(store.delete(key)?)
                    },
                )?;
                continue;
            }
            RecordState::Deleted => {
                checker.unfinished(
                    "interrupted-delete",
                    key.clone(),
                    format!("deletion of {id} did not finish"),
                    record.last_modified,
                    false,
                    || finish_delete(resources, &record, Some(n), stamp),
                )?;
                continue;
            }
        }
        if record.chunk != n {
            let fixed = ResourceRecord { chunk: n, ..record.clone() };
            checker.violation(
                "wrong-chunk",
                key.clone(),
                format!("record says chunk {}, listed in {n}", record.chunk),
                || Ok(store.set(key, &encode(&fixed))?),
            )?;
        }
        live.push(id);
        records.push(record);
    }
    check_indexes(checker, resources, &records)?;
    check_claims_held(checker, resources, &records)?;
    Ok(records)
}

/// Whether a pending record is committed: its first uniqueness claim names it.
fn committed(resources: &Resources<'_>, record: &ResourceRecord) -> Result<bool, StorageError> {
    let Some(value) = record.unique.first() else { return Ok(false) };
    Ok(unique::holder(resources.store(), &resources.claim_key(value))?
        .is_some_and(|c| c.id.as_deref() == Some(record.id.as_str())))
}

/// Finishes a deletion: claims, indexes, listing (if known), memberships, the record.
fn finish_delete(
    resources: &Resources<'_>,
    record: &ResourceRecord,
    chunk: Option<u32>,
    now: i64,
) -> Result<(), StorageError> {
    let store = resources.store();
    resources.release_all(&record.id, &record.unique, now)?;
    resources.index_remove(&record.id, &record.lookup)?;
    resources.unsummarize(record.chunk, &record.id)?;
    if let Some(n) = chunk {
        resources.list().remove(n, &record.id)?;
    }
    members::leave_all(store, resources.connection(), &record.id)?;
    Ok(store.delete(&resources.key(&record.id))?)
}

/// Every lookup value of a live record is in its index (indexes are supersets).
fn check_indexes(
    checker: &mut Checker<'_, '_>,
    resources: &Resources<'_>,
    records: &[ResourceRecord],
) -> Result<(), StorageError> {
    let wanted: Vec<(&ResourceRecord, &(String, String))> =
        records.iter().flat_map(|r| r.lookup.iter().map(move |v| (r, v))).collect();
    let index_keys: Vec<String> = wanted.iter().map(|(_, v)| resources.index_key(v)).collect();
    if index_keys.is_empty() {
        return Ok(());
    }
    let values = resources.store().get_many(&index_keys)?;
    for (((record, value), key), bytes) in wanted.into_iter().zip(&index_keys).zip(values) {
        let ids: Vec<String> = bytes.map(|b| decode(key, &b)).transpose()?.unwrap_or_default();
        if !ids.contains(&record.id) {
            checker.violation(
                "index-missing",
                key.clone(),
                format!("{} of {} is not in its lookup index", value.0, record.id),
                || resources.index_add(&record.id, std::slice::from_ref(value)),
            )?;
        }
    }
    Ok(())
}

/// Every unique value of a live record is claimed by it.
fn check_claims_held(
    checker: &mut Checker<'_, '_>,
    resources: &Resources<'_>,
    records: &[ResourceRecord],
) -> Result<(), StorageError> {
    let stamp = checker.stamp();
    let wanted: Vec<(&ResourceRecord, &(String, String))> =
        records.iter().flat_map(|r| r.unique.iter().map(move |v| (r, v))).collect();
    let claim_keys: Vec<String> = wanted.iter().map(|(_, v)| resources.claim_key(v)).collect();
    if claim_keys.is_empty() {
        return Ok(());
    }
    let values = resources.store().get_many(&claim_keys)?;
    for (((record, value), key), bytes) in wanted.into_iter().zip(&claim_keys).zip(values) {
        let claim: Option<unique::Claim> = bytes.map(|b| decode(key, &b)).transpose()?;
        if claim.and_then(|c| c.id).is_none_or(|h| h != record.id) {
            checker.violation(
                "claim-missing",
                key.clone(),
                format!("{} of {} is not claimed by it", value.0, record.id),
                || unique::claim(resources.store(), key, &record.id, stamp, |_| Ok(Holder::Gone)).map(|_| ()),
            )?;
        }
    }
    Ok(())
}

/// `(connection, kind, id)` of a record key `res/{c}/{u|g}/{id}`.
fn parse_record_key(key: &str) -> Option<(&str, Kind, &str)> {
    let mut parts = key.strip_prefix("res/")?.splitn(3, '/');
    let connection = parts.next()?;
    let kind = Kind::from_tag(parts.next()?)?;
    Some((connection, kind, parts.next()?))
}

/// Checks resource records (`res/…`) of live connections in one key-space page that no
/// listing holds.
pub(crate) fn check_records(checker: &mut Checker<'_, '_>, record_keys: &[String]) -> Result<(), StorageError> {
    let store = checker.app.store;
    let stamp = checker.stamp();
    let unlisted: Vec<String> = record_keys.iter().filter(|k| !checker.seen.has_record(k)).cloned().collect();
    for batch in unlisted.chunks(RECORDS_PER_CALL) {
        for (key, value) in batch.iter().zip(store.get_many(batch)?) {
            let (Some(bytes), Some((connection, kind, id))) = (value, parse_record_key(key)) else { continue };
            let record: ResourceRecord = decode(key, &bytes)?;
            let resources = Resources::new(store, connection, kind);
            match record.state {
                RecordState::Live => {
                    checker.violation("unlisted-record", key.clone(), format!("live {id} is not listed"), || {
                        finish_delete(&resources, &record, None, stamp)
                    })?
                }
                RecordState::Pending => checker.unfinished(
                    "abandoned-create",
                    key.clone(),
                    format!("creation of {id} stopped before it was listed"),
                    record.created,
                    false,
                    || {
                        resources.index_remove(id, &record.lookup)?;
                        Ok(store.delete(key)?)
                    },
                )?,
                RecordState::Deleted => checker.unfinished(
                    "interrupted-delete",
                    key.clone(),
                    format!("deletion of {id} stopped after it left the listing"),
                    record.last_modified,
                    false,
                    || finish_delete(&resources, &record, None, stamp),
                )?,
            }
        }
    }
    Ok(())
}

/// `(connection, kind)` of a claim key `res-uniq/{c}/{u|g}/…`.
fn parse_claim_key(key: &str) -> Option<(&str, Kind)> {
    let mut parts = key.strip_prefix("res-uniq/")?.splitn(3, '/');
    let connection = parts.next()?;
    Some((connection, Kind::from_tag(parts.next()?)?))
}

/// Checks uniqueness claims (`res-uniq/…`) of live connections in one key-space page: each
/// names a record that carries the value.
pub(crate) fn check_claims(checker: &mut Checker<'_, '_>, claim_keys: &[String]) -> Result<(), StorageError> {
    let store = checker.app.store;
    let stamp = checker.stamp();
    for batch in claim_keys.chunks(RECORDS_PER_CALL) {
        let mut held = Vec::new();
        for (key, value) in batch.iter().zip(store.get_many(batch)?) {
            let Some(bytes) = value else { continue };
            let claim: unique::Claim = decode(key, &bytes)?;
            if let (Some(holder), Some((connection, kind))) = (claim.id.clone(), parse_claim_key(key)) {
                held.push((key, claim, holder, connection, kind));
            }
        }
        let record_keys: Vec<String> =
            held.iter().map(|(_, _, holder, connection, kind)| keys::resource(connection, *kind, holder)).collect();
        for ((key, claim, holder, connection, kind), (record_key, value)) in
            held.into_iter().zip(record_keys.iter().zip(store.get_many(&record_keys)?))
        {
            let resources = Resources::new(store, connection, kind);
            let record = value.map(|b| decode::<ResourceRecord>(record_key, &b)).transpose()?;
            let carries = record.is_some_and(|r| {
                r.state != RecordState::Deleted && r.unique.iter().any(|v| resources.claim_key(v) == *key)
            });
            if !carries {
                checker.unfinished(
                    "stale-claim",
                    key.clone(),
                    format!("claim held by {holder}, which does not carry the value"),
                    claim.at,
                    false,
                    || unique::release(store, key, &holder, stamp),
                )?;
            }
        }
    }
    Ok(())
}

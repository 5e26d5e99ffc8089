//! Group memberships: member listings against entries, members against records, `member-of`
//! hints, and membership keys of groups that are gone.

use std::collections::HashMap;

use super::{CHUNKS_PER_CALL, Checker, RECORDS_PER_CALL, changed_at};
use crate::storage::connections::RecordState;
use crate::storage::keys::{self, Kind};
use crate::storage::members::{Entry, MemberType, Members, member_of_add};
use crate::storage::resources::ResourceRecord;
use crate::storage::{StorageError, decode, encode};

/// Walks the member listing of every live group of `connection`.
pub(crate) fn check_listings(
    checker: &mut Checker<'_, '_>,
    connection: &str,
    groups: &[String],
) -> Result<(), StorageError> {
    let store = checker.app.store;
    for group_batch in groups.chunks(RECORDS_PER_CALL) {
        let group_keys: Vec<String> = group_batch.iter().map(|g| keys::resource(connection, Kind::Group, g)).collect();
        let records = store.get_many(&group_keys)?;
        for ((group, key), value) in group_batch.iter().zip(&group_keys).zip(records) {
            // A membership change of a group is written with the group: its last change dates
            // listed ids still waiting for their entry.
            let changed =
                value.map(|b| decode::<ResourceRecord>(key, &b)).transpose()?.map_or(i64::MIN, |r| r.last_modified);
            check_group(checker, connection, group, changed)?;
        }
    }
    Ok(())
}

fn check_group(checker: &mut Checker<'_, '_>, connection: &str, group: &str, changed: i64) -> Result<(), StorageError> {
    let store = checker.app.store;
    let members = Members::new(store, connection, group);
    let list = members.list();
    let prefix = keys::members(connection, group);
    checker.seen.group(&prefix);
    list.scan(CHUNKS_PER_CALL, |chunk| {
        checker.directory_behind(&list, &prefix, &chunk)?;
        for batch in chunk.ids.chunks(RECORDS_PER_CALL) {
            check_listed(checker, &members, group, chunk.n, batch, changed)?;
        }
        Ok(())
    })
}

/// Checks listed member ids of chunk `n` against their entries, records and hints.
fn check_listed(
    checker: &mut Checker<'_, '_>,
    members: &Members<'_>,
    group: &str,
    n: u32,
    ids: &[String],
    changed: i64,
) -> Result<(), StorageError> {
    let store = checker.app.store;
    let connection = members.connection();
    let list = members.list();
    let entry_keys: Vec<String> = ids.iter().map(|id| members.entry_key(id)).collect();
    let mut held: Vec<(&String, MemberType)> = Vec::new();
    for ((id, key), value) in ids.iter().zip(&entry_keys).zip(store.get_many(&entry_keys)?) {
        let Some(bytes) = value else {
            checker.unfinished(
                "listed-non-member",
                key.clone(),
                format!("{id} is listed in group {group} without an entry (a membership change cut short)"),
                changed,
                false,
                || list.remove(n, id),
            )?;
            continue;
        };
        let entry: Entry = decode(key, &bytes)?;
        if entry.chunk != n {
            checker.unfinished(
                "duplicate-listing",
                key.clone(),
                format!("{id} is listed in chunk {n} of group {group}, its entry names chunk {}", entry.chunk),
                changed,
                false,
                || list.remove(n, id),
            )?;
            continue;
        }
        checker.seen.entry(key);
        checker.report.memberships += 1;
        held.push((id, entry.kind));
    }
    let record_keys: Vec<String> = held
        .iter()
        .map(|(id, kind)| {
            let kind = match kind {
                MemberType::User => Kind::User,
                MemberType::Group => Kind::Group,
            };
            keys::resource(connection, kind, id)
        })
        .collect();
    let hint_keys: Vec<String> = held.iter().map(|(id, _)| keys::member_of(connection, id)).collect();
    let records = store.get_many(&record_keys)?;
    let hints = store.get_many(&hint_keys)?;
    for ((((id, _), record_key), record), (hint_key, hint)) in
        held.iter().zip(&record_keys).zip(records).zip(hint_keys.iter().zip(hints))
    {
        let record = record.map(|b| decode::<ResourceRecord>(record_key, &b)).transpose()?;
        let exists = record.as_ref().is_some_and(|r| r.state != RecordState::Deleted);
        if !exists {
            let since = record.map_or(i64::MIN, |r| r.last_modified);
            checker.unfinished(
                "dangling-member",
                members.entry_key(id),
                format!("member {id} of group {group} is deleted; its deletion did not leave the group yet"),
                since,
                false,
                || members.remove(std::slice::from_ref(*id)).map(|_| ()),
            )?;
            continue;
        }
        let hinted: Vec<String> = hint.map(|b| decode(hint_key, &b)).transpose()?.unwrap_or_default();
        if !hinted.iter().any(|g| g == group) {
            checker.violation(
                "member-of-missing",
                hint_key.clone(),
                format!("{id} is a member of {group}, its member-of hint misses it"),
                || member_of_add(store, connection, id, group),
            )?;
        }
    }
    Ok(())
}

/// `(connection, group, member)` of `mem/{c}/{g}/…` (member only for entry keys `…/m/{id}`).
fn parse(key: &str) -> Option<(&str, &str, Option<&str>)> {
    let mut parts = key.strip_prefix("mem/")?.splitn(3, '/');
    let connection = parts.next()?;
    let group = parts.next()?;
    let member = parts.next().and_then(|rest| rest.strip_prefix("m/"));
    Some((connection, group, member))
}

/// Checks membership keys (`mem/…`) of live connections in one key-space page: entries are
/// listed where they say; keys of groups that are not live are left over from a deletion.
pub(crate) fn check_keys(
    checker: &mut Checker<'_, '_>,
    reported: &mut std::collections::HashSet<String>,
    membership_keys: &[String],
) -> Result<(), StorageError> {
    let store = checker.app.store;
    let mut orphans: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut unlisted = Vec::new();
    for key in membership_keys {
        let Some((connection, group, member)) = parse(key) else { continue };
        if !checker.seen.has_group(&keys::members(connection, group)) {
            orphans.entry((connection.to_owned(), group.to_owned())).or_default().push(key.clone());
        } else if member.is_some() && !checker.seen.has_entry(key) {
            unlisted.push(key.clone());
        }
    }
    for batch in unlisted.chunks(RECORDS_PER_CALL) {
        for (key, value) in batch.iter().zip(store.get_many(batch)?) {
            let (Some(bytes), Some((connection, group, Some(id)))) = (value, parse(key)) else { continue };
            let members = Members::new(store, connection, group);
            checker.violation(
                "unlisted-member",
                key.clone(),
                format!("{id} is a member of {group} but not listed"),
                || {
                    let mut fixed: Entry = decode(key, &bytes)?;
                    fixed.chunk = members.list().append(id)?;
                    Ok(store.set(key, &encode(&fixed))?)
                },
            )?;
        }
    }
    for ((connection, group), doomed) in orphans {
        let record_key = keys::resource(&connection, Kind::Group, &group);
        let since = match store.get(&record_key)? {
            None => i64::MIN,
            Some(bytes) => {
                let record: ResourceRecord = decode(&record_key, &bytes)?;
                changed_at(record.state, record.created, record.last_modified)
            }
        };
        let detail = format!("membership keys of group {group}, which is not live (a deletion cut short)");
        let prefix = keys::members(&connection, &group);
        checker.leftover_keys(reported, "orphan-membership", prefix, detail, since, &doomed)?;
    }
    Ok(())
}

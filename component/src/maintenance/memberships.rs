//! Group memberships: entries against listings, members against records, `member-of` hints.

use std::collections::HashSet;

use super::Checker;
use super::keyspace::under;
use crate::storage::keys::{self, Kind};
use crate::storage::members::{Entry, Members, member_of_add};
use crate::storage::resources::Resources;
use crate::storage::{StorageError, decode, encode, read_json};

/// Checks the memberships of every group of `connection`.
pub(crate) fn check(checker: &mut Checker<'_, '_>, connection: &str, all: &[String]) -> Result<(), StorageError> {
    let store = checker.app.store;
    let groups: Vec<String> = Resources::new(store, connection, Kind::Group).ids()?;
    let live_groups: HashSet<String> =
        Resources::new(store, connection, Kind::Group).get_many(&groups)?.into_iter().map(|r| r.id).collect();
    let users = Resources::new(store, connection, Kind::User);
    for group in &live_groups {
        let members = Members::new(store, connection, group);
        let list = members.list();
        let listed = list.all()?;
        let mut listed_in: std::collections::HashMap<String, Vec<u32>> = std::collections::HashMap::new();
        for (chunk, id) in &listed {
            listed_in.entry(id.clone()).or_default().push(*chunk);
        }
        let entry_prefix = format!("{}/m/", keys::members(connection, group));
        let mut entries = Vec::new();
        for key in under(all, &entry_prefix) {
            if let Some(entry) = read_json::<Entry>(store, key)? {
                entries.push((key[entry_prefix.len()..].to_owned(), entry));
            }
        }
        let with_entry: HashSet<&String> = entries.iter().map(|(id, _)| id).collect();
        for (chunk, id) in &listed {
            if !with_entry.contains(id) {
                checker.violation(
                    "listed-non-member",
                    members.entry_key(id),
                    format!("{id} is listed in group {group} without an entry"),
                    || list.remove(*chunk, id),
                )?;
            }
        }
        for (id, entry) in &entries {
            checker.report.memberships += 1;
            let key = members.entry_key(id);
            if !listed_in.get(id).is_some_and(|chunks| chunks.contains(&entry.chunk)) {
                checker.violation(
                    "unlisted-member",
                    key.clone(),
                    format!("{id} is a member of {group} but not listed"),
                    || {
                        let chunk = list.append(id)?;
                        let bytes = store.get(&key)?.unwrap_or_default();
                        let mut fixed: Entry = decode(&key, &bytes)?;
                        fixed.chunk = chunk;
                        Ok(store.set(&key, &encode(&fixed))?)
                    },
                )?;
            }
            let exists = users.get(id)?.is_some() || live_groups.contains(id);
            if !exists {
                checker.violation(
                    "dangling-member",
                    key.clone(),
                    format!("member {id} of {group} does not exist"),
                    || members.remove(std::slice::from_ref(id)).map(|_| ()),
                )?;
                continue;
            }
            let hint_key = keys::member_of(connection, id);
            let hinted: Vec<String> = read_json(store, &hint_key)?.unwrap_or_default();
            if !hinted.contains(group) {
                checker.violation(
                    "member-of-missing",
                    hint_key,
                    format!("{id} is a member of {group}, its member-of hint misses it"),
                    || member_of_add(store, connection, id, group),
                )?;
            }
        }
    }
    let all_groups_prefix = format!("mem/{connection}/");
    let mut stale_groups: Vec<String> = under(all, &all_groups_prefix)
        .filter_map(|k| k[all_groups_prefix.len()..].split('/').next().map(str::to_owned))
        .filter(|g| !live_groups.contains(g))
        .collect();
    stale_groups.dedup();
    for group in stale_groups {
        let prefix = format!("{all_groups_prefix}{group}/");
        let doomed: Vec<String> = under(all, &prefix).cloned().collect();
        checker.violation(
            "orphan-membership",
            prefix.clone(),
            format!("membership keys of group {group}, which does not exist"),
            || Ok(store.delete_many(&doomed)?),
        )?;
    }
    Ok(())
}

//! Group membership, sized for groups of hundreds of thousands of members.
//!
//! Per group: a chunked list of member ids (`mem/{c}/{g}/…`) and one entry key per member
//! (`mem/{c}/{g}/m/{id}` → `{"type", "chunk"}`). The entry is the truth: a listed id counts
//! only if its entry exists and names the chunk the id was found in, so a crash between the
//! list write and the entry write leaves an invisible id, never a phantom member. Adding is
//! idempotent (insert-if-absent with CAS), removing deletes the entry then the listed id.
//!
//! Per member: `member-of/{c}/{id}`, the groups it may belong to. It is kept a superset of the
//! truth (added to before a membership is written, removed from after a membership is
//! removed) and verified against the entries when read.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::chunked_list::ChunkedList;
use super::{StorageError, decode, encode, keys};
use crate::store::{KvStore, Update, update};

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberType {
    /// A user of the same connection.
    User,
    /// A group of the same connection.
    Group,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    #[serde(rename = "type")]
    pub(crate) kind: MemberType,
    pub(crate) chunk: u32,
}

/// The membership of one group.
pub struct Members<'a> {
    store: &'a dyn KvStore,
    connection: &'a str,
    group: &'a str,
}

impl<'a> Members<'a> {
    /// The members of `group` in `connection`.
    pub fn new(store: &'a dyn KvStore, connection: &'a str, group: &'a str) -> Self {
        Members { store, connection, group }
    }

    /// The connection of the group.
    pub(crate) fn connection(&self) -> &'a str {
        self.connection
    }

    pub(crate) fn list(&self) -> ChunkedList<'a> {
        ChunkedList::new(self.store, keys::members(self.connection, self.group))
    }

    pub(crate) fn entry_key(&self, member: &str) -> String {
        keys::member(self.connection, self.group, member)
    }

    /// Every member in the order they were added. Reads the chunks and then the entries.
    pub fn all(&self) -> Result<Vec<(String, MemberType)>, StorageError> {
        let listed = self.list().all()?;
        let mut out = Vec::with_capacity(listed.len());
        let mut seen = HashSet::new();
        for batch in listed.chunks(512) {
            let entry_keys: Vec<String> = batch.iter().map(|(_, id)| self.entry_key(id)).collect();
            for ((chunk, id), (key, value)) in
                batch.iter().zip(entry_keys.iter().zip(self.store.get_many(&entry_keys)?))
            {
                let Some(bytes) = value else { continue };
                let entry: Entry = decode(key, &bytes)?;
                if entry.chunk == *chunk && seen.insert(id.clone()) {
                    out.push((id.clone(), entry.kind));
                }
            }
        }
        Ok(out)
    }

    /// Which of `ids` are members, with one store call.
    pub fn contains_many(&self, ids: &[String]) -> Result<Vec<bool>, StorageError> {
        let entry_keys: Vec<String> = ids.iter().map(|id| self.entry_key(id)).collect();
        Ok(self.store.get_many(&entry_keys)?.into_iter().map(|v| v.is_some()).collect())
    }

    /// Adds members (already known to exist); ids that are members already are left alone.
    /// Returns how many were added.
    pub fn add(&self, members: &[(String, MemberType)]) -> Result<usize, StorageError> {
        let ids: Vec<String> = members.iter().map(|(id, _)| id.clone()).collect();
        let present = self.contains_many(&ids)?;
        let fresh: Vec<&(String, MemberType)> =
            members.iter().zip(present).filter(|(_, p)| !p).map(|(m, _)| m).collect();
        if fresh.is_empty() {
            return Ok(0);
        }
        for (id, _) in &fresh {
            member_of_add(self.store, self.connection, id, self.group)?;
        }
        let fresh_ids: Vec<String> = fresh.iter().map(|(id, _)| id.clone()).collect();
        let chunks = self.list().append_many(&fresh_ids)?;
        let placed: Vec<(String, MemberType, u32)> =
            fresh.into_iter().zip(chunks).map(|((id, kind), chunk)| (id.clone(), *kind, chunk)).collect();
        self.insert_entries(&placed)
    }

    /// Inserts the entries of ids just listed (`(id, type, chunk)`); returns how many were
    /// inserted. An id whose entry a concurrent add inserted first stays a member through that
    /// entry: its listing here is removed only if it is a second copy in another chunk (two
    /// adds that found the id in the same chunk share that one copy).
    fn insert_entries(&self, placed: &[(String, MemberType, u32)]) -> Result<usize, StorageError> {
        let mut added = 0;
        let mut duplicates: HashMap<u32, Vec<String>> = HashMap::new();
        for (id, kind, chunk) in placed {
            let key = self.entry_key(id);
            let entry = encode(&Entry { kind: *kind, chunk: *chunk });
            let existing = update(self.store, &key, |current| {
                Ok::<_, StorageError>(match current {
                    None => Update::Write(entry.clone(), None),
                    Some(bytes) => Update::Keep(Some(decode::<Entry>(&key, bytes)?.chunk)),
                })
            })?;
            match existing {
                None => added += 1,
                Some(theirs) if theirs != *chunk => duplicates.entry(*chunk).or_default().push(id.clone()),
                Some(_) => {}
            }
        }
        for (chunk, ids) in duplicates {
            self.list().remove_many(chunk, &ids)?;
        }
        Ok(added)
    }

    /// Removes members; ids that are not members are ignored. Returns how many were removed.
    pub fn remove(&self, ids: &[String]) -> Result<usize, StorageError> {
        let entry_keys: Vec<String> = ids.iter().map(|id| self.entry_key(id)).collect();
        let mut by_chunk: HashMap<u32, Vec<String>> = HashMap::new();
        for ((id, key), value) in ids.iter().zip(&entry_keys).zip(self.store.get_many(&entry_keys)?) {
            if let Some(bytes) = value {
                let entry: Entry = decode(key, &bytes)?;
                by_chunk.entry(entry.chunk).or_default().push(id.clone());
            }
        }
        let removed: Vec<String> = by_chunk.values().flatten().cloned().collect();
        let doomed: Vec<String> = removed.iter().map(|id| self.entry_key(id)).collect();
        self.store.delete_many(&doomed)?;
        for (chunk, ids) in &by_chunk {
            self.list().remove_many(*chunk, ids)?;
        }
        for id in &removed {
            member_of_remove(self.store, self.connection, id, self.group)?;
        }
        Ok(removed.len())
    }

    /// Removes every member and the list itself (the group is being deleted).
    pub fn purge(&self) -> Result<(), StorageError> {
        let all: Vec<String> = self.all()?.into_iter().map(|(id, _)| id).collect();
        self.remove(&all)?;
        self.store.delete_many(&self.list().storage_keys()?)?;
        Ok(())
    }
}

pub(crate) fn member_of_add(
    store: &dyn KvStore,
    connection: &str,
    member: &str,
    group: &str,
) -> Result<(), StorageError> {
    let key = keys::member_of(connection, member);
    update(store, &key, |current| {
        let mut groups: Vec<String> = match current {
            None => Vec::new(),
            Some(bytes) => decode(&key, bytes)?,
        };
        if groups.iter().any(|g| g == group) {
            return Ok(Update::Keep(()));
        }
        groups.push(group.to_owned());
        Ok(Update::Write(encode(&groups), ()))
    })
}

fn member_of_remove(store: &dyn KvStore, connection: &str, member: &str, group: &str) -> Result<(), StorageError> {
    let key = keys::member_of(connection, member);
    update(store, &key, |current| {
        let Some(bytes) = current else { return Ok(Update::Keep(())) };
        let mut groups: Vec<String> = decode(&key, bytes)?;
        let before = groups.len();
        groups.retain(|g| g != group);
        Ok(if groups.len() == before { Update::Keep(()) } else { Update::Write(encode(&groups), ()) })
    })
}

/// The groups each of `members` directly belongs to, verified against the membership entries:
/// three store calls whatever the number of members.
pub fn groups_of_many(
    store: &dyn KvStore,
    connection: &str,
    members: &[String],
) -> Result<Vec<Vec<String>>, StorageError> {
    let hint_keys: Vec<String> = members.iter().map(|m| keys::member_of(connection, m)).collect();
    let mut hinted: Vec<Vec<String>> = Vec::with_capacity(members.len());
    for (key, value) in hint_keys.iter().zip(store.get_many(&hint_keys)?) {
        hinted.push(match value {
            None => Vec::new(),
            Some(bytes) => decode(key, &bytes)?,
        });
    }
    let pairs: Vec<(usize, String)> =
        hinted.iter().enumerate().flat_map(|(i, groups)| groups.iter().map(move |g| (i, g.clone()))).collect();
    let entry_keys: Vec<String> = pairs.iter().map(|(i, g)| keys::member(connection, g, &members[*i])).collect();
    let present = if entry_keys.is_empty() { Vec::new() } else { store.get_many(&entry_keys)? };
    let mut out = vec![Vec::new(); members.len()];
    for ((i, group), value) in pairs.into_iter().zip(present) {
        if value.is_some() {
            out[i].push(group);
        }
    }
    Ok(out)
}

/// Removes `member` from every group it belongs to (it is being deleted).
pub fn leave_all(store: &dyn KvStore, connection: &str, member: &str) -> Result<(), StorageError> {
    let groups = groups_of_many(store, connection, &[member.to_owned()])?.pop().unwrap_or_default();
    for group in groups {
        Members::new(store, connection, &group).remove(&[member.to_owned()])?;
    }
    Ok(store.delete(&keys::member_of(connection, member))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    fn ids(n: usize) -> Vec<(String, MemberType)> {
        (0..n).map(|i| (format!("u{i}"), MemberType::User)).collect()
    }

    #[test]
    fn two_adds_of_one_member_sharing_its_listing_keep_it_a_member() {
        // Both adds listed the id (the second found it already in the chunk), the first
        // inserted the entry: the second must not remove the one copy they share.
        let store = MemoryStore::default();
        let g = Members::new(&store, "c", "g");
        let chunk = g.list().append("u1").expect("append");
        assert_eq!(g.insert_entries(&[("u1".into(), MemberType::User, chunk)]).expect("first"), 1);
        assert_eq!(g.list().append("u1").expect("append again"), chunk);
        assert_eq!(g.insert_entries(&[("u1".into(), MemberType::User, chunk)]).expect("second"), 0);
        assert_eq!(g.all().expect("all"), vec![("u1".to_owned(), MemberType::User)]);
    }

    #[test]
    fn a_second_copy_in_another_chunk_is_removed() {
        let store = MemoryStore::default();
        let g = Members::new(&store, "c", "g");
        let first = g.list().append("u1").expect("append");
        assert_eq!(g.insert_entries(&[("u1".into(), MemberType::User, first)]).expect("first"), 1);
        // A copy another add placed in a later chunk.
        let later = ChunkedList::new(&store, keys::members("c", "g"));
        later.record(first + 1, 0, 0).expect("open");
        assert_eq!(g.insert_entries(&[("u1".into(), MemberType::User, first + 1)]).expect("second"), 0);
        assert_eq!(g.all().expect("all"), vec![("u1".to_owned(), MemberType::User)]);
        assert_eq!(g.list().length().expect("len"), 1);
    }

    #[test]
    fn add_is_idempotent_and_keeps_order() {
        let store = MemoryStore::default();
        let g = Members::new(&store, "c", "g");
        assert_eq!(g.add(&ids(3)).expect("add"), 3);
        assert_eq!(g.add(&ids(5)).expect("add"), 2);
        let all: Vec<String> = g.all().expect("all").into_iter().map(|(id, _)| id).collect();
        assert_eq!(all, vec!["u0", "u1", "u2", "u3", "u4"]);
    }

    #[test]
    fn remove_takes_only_named_members_and_updates_member_of() {
        let store = MemoryStore::default();
        let g = Members::new(&store, "c", "g");
        g.add(&ids(4)).expect("add");
        assert_eq!(g.remove(&["u1".into(), "nobody".into()]).expect("remove"), 1);
        assert_eq!(g.all().expect("all").len(), 3);
        let groups = groups_of_many(&store, "c", &["u0".into(), "u1".into()]).expect("groups");
        assert_eq!(groups, vec![vec!["g".to_owned()], vec![]]);
    }

    #[test]
    fn listed_id_without_entry_is_not_a_member() {
        let store = MemoryStore::default();
        let g = Members::new(&store, "c", "g");
        g.add(&ids(2)).expect("add");
        // A crash after the list append but before the entry write.
        ChunkedList::new(&store, keys::members("c", "g")).append("ghost").expect("append");
        assert_eq!(g.all().expect("all").len(), 2);
    }

    #[test]
    fn concurrent_adds_to_one_group_lose_nothing() {
        let store = MemoryStore::default();
        std::thread::scope(|s| {
            for t in 0..8 {
                let store = store.clone();
                s.spawn(move || {
                    let g = Members::new(&store, "c", "g");
                    for i in 0..50 {
                        g.add(&[(format!("t{t}-{i}"), MemberType::User)]).expect("add");
                    }
                });
            }
        });
        assert_eq!(Members::new(&store, "c", "g").all().expect("all").len(), 400);
    }

    /// Spin's SQLite provider upserts when a swap's handle saw the key absent: two members
    /// added at once to a group without members both open its member list, and one of them
    /// would be lost (an entry without a listing: not a member), unless creation is exclusive.
    #[test]
    fn on_spin_sqlite_members_added_at_once_to_a_fresh_group_are_all_kept() {
        use std::rc::Rc;

        use crate::store::clock::SystemClock;
        use crate::store::faulty::{Faults, FaultyStore};
        use crate::store::{ExclusiveCreate, KvStore};

        let memory = MemoryStore::default();
        let list_keys = |k: &str| k.starts_with("mem/c/g/") && !k.contains("/m/");
        let faulty = FaultyStore::new(memory.clone(), Faults::spin_sqlite().rendezvous(list_keys, 2));
        std::thread::scope(|s| {
            for id in ["u1", "u2"] {
                let faulty = faulty.clone();
                s.spawn(move || {
                    let store = ExclusiveCreate::new(Rc::new(faulty) as Rc<dyn KvStore>, Rc::new(SystemClock));
                    Members::new(&store, "c", "g").add(&[(id.to_owned(), MemberType::User)]).expect("add")
                });
            }
        });
        let mut all: Vec<String> =
            Members::new(&memory, "c", "g").all().expect("all").into_iter().map(|(id, _)| id).collect();
        all.sort();
        assert_eq!(all, vec!["u1", "u2"]);
    }
}

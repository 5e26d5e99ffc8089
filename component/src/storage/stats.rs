//! Per-connection resource counts, kept in one small document changed only with CAS.

use serde::{Deserialize, Serialize};

use super::{StorageError, decode, encode, keys};
use crate::store::{KvStore, Update, update};

/// How many resources a connection holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Number of users.
    pub users: u64,
    /// Number of groups.
    pub groups: u64,
}

/// Adds `users` and `groups` (either may be negative) to a connection's counts; counts never
/// go below zero.
pub fn add(store: &dyn KvStore, connection: &str, users: i64, groups: i64) -> Result<(), StorageError> {
    let key = keys::stats(connection);
    update(store, &key, |current| {
        let mut stats: Stats = match current {
            None => Stats::default(),
            Some(bytes) => decode(&key, bytes)?,
        };
        stats.users = stats.users.saturating_add_signed(users);
        stats.groups = stats.groups.saturating_add_signed(groups);
        Ok(Update::Write(encode(&stats), ()))
    })
}

/// The counts of many connections with one store call, in the order of `connections`.
pub fn read_many(store: &dyn KvStore, connections: &[&str]) -> Result<Vec<Stats>, StorageError> {
    let stat_keys: Vec<String> = connections.iter().map(|c| keys::stats(c)).collect();
    let values = store.get_many(&stat_keys)?;
    stat_keys
        .iter()
        .zip(values)
        .map(|(key, value)| match value {
            None => Ok(Stats::default()),
            Some(bytes) => decode(key, &bytes),
        })
        .collect()
}

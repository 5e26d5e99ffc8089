//! Per-connection resource counts, read from the listings' directories: one store call for
//! any number of connections, and nothing separate to keep in step (a count cannot drift from
//! what the listing holds).

use super::StorageError;
use super::chunked_list::ChunkedList;
use super::keys::{self, Kind};
use crate::store::KvStore;

/// How many resources a connection holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Number of users.
    pub users: u64,
    /// Number of groups.
    pub groups: u64,
}

/// The counts of many connections with one store call, in the order of `connections`. A
/// count includes, for the milliseconds they take, creates and deletes in flight.
pub fn read_many(store: &dyn KvStore, connections: &[&str]) -> Result<Vec<Stats>, StorageError> {
    let prefixes: Vec<String> = connections
        .iter()
        .flat_map(|c| [keys::resource_list(c, Kind::User), keys::resource_list(c, Kind::Group)])
        .collect();
    let lengths = ChunkedList::lengths_many(store, &prefixes)?;
    Ok(lengths
        .chunks(2)
        .map(|pair| Stats { users: pair[0] as u64, groups: pair.get(1).copied().unwrap_or(0) as u64 })
        .collect())
}

//! The key-value store the product runs on, as a Rust trait.
//!
//! Domain code never calls `wasi:keyvalue` directly: it goes through [`KvStore`], implemented
//! over the WIT imports in the component's `bindings` module and by [`memory::MemoryStore`]
//! for native tests. The trait mirrors `wasi:keyvalue@0.2.0-draft2` (store, atomics, batch).
//!
//! What requests use is the store made correct on the providers that exist: [`Tolerant`]
//! (`get-many` that fails) inside [`ExclusiveCreate`] (swaps from "absent" that upsert).
//! [`update`] is the read-modify-write loop every shared key is changed with.

pub mod clock;
#[cfg(test)]
pub mod counting;
mod exclusive;
#[cfg(test)]
pub mod faulty;
pub mod memory;
pub mod probe;
pub mod ticket;
mod tolerant;
mod update;

pub use clock::Clock;
pub use exclusive::ExclusiveCreate;
pub use tolerant::Tolerant;
pub use update::{Swapped, Update, swap_settled, update};

use std::fmt;

/// A failure reported by the key-value store (I/O, access, unknown bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key-value store error: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// Why a compare-and-swap did not apply.
pub enum SwapError {
    /// The key changed since the handle was made; the new handle is at the latest version.
    Conflict(Box<dyn CasHandle>),
    /// The store failed; the swap may or may not have applied.
    Store(StoreError),
    /// Another writer is creating the key and did not finish in time (see [`ExclusiveCreate`]):
    /// nothing was written, and trying again at once would only wait again.
    Busy(StoreError),
}

/// A compare-and-swap handle: the version of one key as it was when the handle was made.
pub trait CasHandle {
    /// The key's value at the handle's version (`None`: the key did not exist).
    fn current(&self) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes `value` if the key is still at the handle's version.
    fn swap(self: Box<Self>, value: Vec<u8>) -> Result<(), SwapError>;
}

/// The key-value bucket: single-key reads and writes, batches, increment and CAS.
///
/// Consistency is that of `wasi:keyvalue`: a client reads its own writes; only `increment` and
/// CAS are atomic. Keys are at most 256 bytes and values at most 1 MiB (Spin's limits).
pub trait KvStore {
    /// The value at `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes `value` at `key` unconditionally.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Deletes `key`; deleting a missing key succeeds.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// The values of many keys, in the order of `keys`.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;
    /// Writes many keys (not atomically).
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError>;
    /// Deletes many keys (not atomically).
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError>;
    /// Atomically adds `delta` to the integer at `key` (missing counts as 0); returns the new
    /// value. Counters are only ever read through this call, never with `get`, because hosts
    /// encode them differently.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;
    /// Starts a compare-and-swap on `key`.
    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError>;
    /// One page of every key in the bucket, in no particular order, and the cursor of the
    /// next page. Whole-store walks only (maintenance); never on a request path.
    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError>;
}

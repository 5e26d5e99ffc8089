//! The key-value storage behind `wasi:keyvalue`: a small synchronous trait and its backends.
//!
//! The component keeps all of its state in one bucket (`default`). A backend stores that
//! bucket and provides the primitives the WIT interfaces need, including compare-and-swap
//! with versions that are never reused. Calls block, so the host makes them from blocking
//! threads (`tokio::task::spawn_blocking`), never from the async executor.

#[cfg(test)]
pub(crate) mod contract;
mod faulty;
mod redis;
mod spec;
mod spin_redis;
mod spin_sqlite;
mod sqlite;
mod store_time;
pub mod wasi_impl;

use std::path::Path;
use std::sync::Arc;

pub use faulty::{FaultSpec, FaultSpecError, FaultyBackend};
pub use redis::{RedisBackend, RedisUrl, RedisUrlError};
pub use spec::{StoreSpec, StoreSpecError};
pub use spin_redis::SpinRedisBackend;
pub use spin_sqlite::SpinSqliteBackend;
pub use sqlite::{SQLITE_FILE_NAME, SqliteBackend};
pub use store_time::{STORE_TIME_BUDGET, StoreTime};

/// Maximum number of keys one `list_keys` page returns.
pub const LIST_KEYS_PAGE_SIZE: usize = 1000;

/// The version of a key's value, as recorded by [`KvBackend::cas_read`].
///
/// Every write gives the key a version never handed out before (by any key), so a version
/// identifies one value of one key for the lifetime of the store. An absent key has the version
/// [`CasVersion::ABSENT`]; all absent states compare equal, which makes a swap from `ABSENT` an
/// insert-if-absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CasVersion(pub u64);

impl CasVersion {
    /// The version of a key that does not exist.
    pub const ABSENT: CasVersion = CasVersion(0);
}

/// A key's value together with its version, read in one atomic step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The value, or `None` when the key does not exist.
    pub value: Option<Vec<u8>>,
    /// The version of `value`.
    pub version: CasVersion,
}

/// The result of [`KvBackend::cas_swap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapOutcome {
    /// The key still had the expected version; the new value is stored.
    Swapped,
    /// The key changed since the expected version was read; nothing was written. Carries the
    /// key's latest state, read in the same atomic step, so a retry can start from it.
    Conflict(Versioned),
}

/// What a store reports of a swap (which, for some stores, is not what happened).
pub enum SwapReport {
    /// Reported stored.
    Swapped,
    /// Reported not stored because the key changed; may carry the session to retry with
    /// (otherwise the caller begins a new one, as Spin does).
    Conflict(Option<Box<dyn CasSession>>),
}

/// A compare-and-swap in progress on one key, as the store provider keeps it: a version read
/// (our backends), a `WATCH` on a dedicated connection (Spin's Redis), or the value last read
/// (Spin's SQLite).
pub trait CasSession: Send + Sync {
    /// The key's value for this session (providers may read it again on each call).
    fn current(&mut self, backend: &dyn KvBackend) -> Result<Option<Vec<u8>>, KvError>;
    /// Writes `value` if the key is unchanged by the provider's rule.
    fn swap(self: Box<Self>, backend: &dyn KvBackend, value: &[u8]) -> Result<SwapReport, KvError>;
}

/// The session of a versioned backend: the value and version read in one atomic step.
struct VersionedSession {
    key: String,
    read: Versioned,
}

impl CasSession for VersionedSession {
    fn current(&mut self, _backend: &dyn KvBackend) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.read.value.clone())
    }

    fn swap(self: Box<Self>, backend: &dyn KvBackend, value: &[u8]) -> Result<SwapReport, KvError> {
        Ok(match backend.cas_swap(&self.key, self.read.version, value)? {
            SwapOutcome::Swapped => SwapReport::Swapped,
            SwapOutcome::Conflict(latest) => {
                SwapReport::Conflict(Some(Box::new(VersionedSession { key: self.key, read: latest })))
            }
        })
    }
}

/// One page of keys from [`KvBackend::list_keys`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPage {
    /// The keys of this page, at most [`LIST_KEYS_PAGE_SIZE`].
    pub keys: Vec<String>,
    /// The cursor for the next page; `None` when this is the last page.
    pub cursor: Option<String>,
}

/// Why a key-value operation failed. Messages never contain values.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// The storage itself failed (I/O, locking, corruption).
    #[error("storage failure: {0}")]
    Storage(String),
    /// `increment` found a value that is not a decimal 64-bit integer.
    #[error("the stored value is not a decimal 64-bit integer")]
    NotAnInteger,
    /// `increment` would overflow a signed 64-bit integer.
    #[error("increment overflows a signed 64-bit integer")]
    Overflow,
}

/// The storage operations `wasi:keyvalue` needs, for the single bucket of one host.
///
/// Implementations must be safe to share between threads and between processes using the same
/// storage: `cas_swap` and `increment` are atomic against every other writer.
pub trait KvBackend: Send + Sync + 'static {
    /// The value of `key`, or `None` when absent.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;

    /// Stores `value` under `key`, replacing any previous value.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;

    /// Removes `key`; removing an absent key succeeds.
    fn delete(&self, key: &str) -> Result<(), KvError>;

    /// Whether `key` exists.
    fn exists(&self, key: &str) -> Result<bool, KvError>;

    /// The values of `keys`, in the same order (`None` for absent keys).
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError>;

    /// Stores each pair, replacing previous values. Not atomic as a whole.
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError>;

    /// Removes each key, skipping absent ones. Not atomic as a whole.
    fn delete_many(&self, keys: &[String]) -> Result<(), KvError>;

    /// The value of `key` and its version, read atomically.
    fn cas_read(&self, key: &str) -> Result<Versioned, KvError>;

    /// Stores `value` under `key` if the key's version is still `expected`; atomic against all
    /// other writers.
    fn cas_swap(&self, key: &str, expected: CasVersion, value: &[u8]) -> Result<SwapOutcome, KvError>;

    /// Adds `delta` to the integer stored under `key` as decimal ASCII (an absent key counts as
    /// 0) and returns the new value; atomic against all other writers.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError>;

    /// One page of keys in an unspecified but stable order, starting after `cursor` (from the
    /// start when `None`).
    fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError>;

    /// Begins a compare-and-swap on `key` (`wasi:keyvalue/atomics.cas.new`). By default a
    /// versioned session over [`KvBackend::cas_read`] and [`KvBackend::cas_swap`]; the doubles
    /// of Spin's providers keep their providers' own kind of session.
    fn cas_begin(&self, key: &str) -> Result<Box<dyn CasSession>, KvError> {
        Ok(Box::new(VersionedSession { key: key.to_owned(), read: self.cas_read(key)? }))
    }
}

/// Opens the backend `spec` names, keeping its files (if it has any) under `data_dir`
/// (created if missing). A Redis backend connects on first use.
pub fn open_backend(spec: &StoreSpec, data_dir: &Path) -> anyhow::Result<Arc<dyn KvBackend>> {
    match spec {
        StoreSpec::Sqlite => Ok(Arc::new(SqliteBackend::open_in(data_dir)?)),
        StoreSpec::Redis(url) => Ok(Arc::new(RedisBackend::open(url)?)),
        StoreSpec::SpinRedis(url) => Ok(Arc::new(SpinRedisBackend::open(url)?)),
        StoreSpec::SpinSqlite => Ok(Arc::new(SpinSqliteBackend::open_in(data_dir)?)),
    }
}

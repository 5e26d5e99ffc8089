//! The distributed backend: one Redis database shared by any number of `idplex` processes
//! (`--store redis://host:port/db`).
//!
//! # Layout in Redis
//!
//! Each bucket key is a plain Redis string holding the plain value, as Spin's Redis key-value
//! store keeps it, so the same database can serve Spin apps too. Two companion keys, named
//! under [`RESERVED_PREFIX`] (which the component never uses, and [`KvBackend::list_keys`]
//! hides), hold what compare-and-swap needs:
//!
//! - `__idplex_kv__/versions`: a hash from bucket key to `"{version} {sha1(value)}"`;
//! - `__idplex_kv__/seq`: the global version sequence (`INCR`).
//!
//! # Compare-and-swap
//!
//! Every write of this backend is a Lua script ([`scripts`]) that stores the value and, in the
//! same atomic step, stamps the key with the next number of the global sequence. A version is
//! therefore never handed out twice, to any key: a key deleted and created again (even with
//! the same bytes) gets a version it never had, so a swap prepared before the delete fails (no
//! ABA), and so does a swap prepared before a rewrite of the same bytes. `cas_swap` is one
//! script that reads the current version and writes only if it is still the expected one;
//! Redis runs scripts one at a time, so the check and the write are atomic against every
//! other client of the database, in this process or any other.
//!
//! Writers that keep no versions (a Spin app, `redis-cli`) are caught by the fingerprint: a
//! value whose SHA-1 differs from the one recorded with its version was written by them, and
//! the next versioned read or swap stamps it with a fresh version, so a swap prepared before
//! the foreign write fails. The one thing such a writer can do unseen is to leave a key holding
//! the very bytes it held before (rewrite, or delete and re-create); a swap prepared before
//! that then succeeds. That is safe for every protocol of the component: each decision it
//! takes from a CAS read depends on the value read and nothing else, and the value it swapped
//! from is exactly the value being replaced, so the outcome is that of a read made just before
//! the swap.
//!
//! Plain reads (`get`, `exists`, `get_many`) are single commands and never touch versions.
//! Redis Cluster is not supported: the scripts touch the companion keys and the bucket key
//! together, which a cluster allows only within one hash slot.

mod pool;
mod scripts;
#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;
mod url;

use redis::{Connection, RedisError, RedisResult, Script, ScriptInvocation};

use self::pool::{Pool, Retry};
pub use self::url::{RedisUrl, RedisUrlError};
use super::{CasVersion, KeyPage, KvBackend, KvError, LIST_KEYS_PAGE_SIZE, SwapOutcome, Versioned};

/// Keys under this prefix belong to the backend itself; the bucket cannot read or write them.
pub const RESERVED_PREFIX: &str = "__idplex_kv__/";

/// The hash of versions (see the module documentation).
const VERSIONS_KEY: &str = "__idplex_kv__/versions";

/// The global version sequence.
const SEQUENCE_KEY: &str = "__idplex_kv__/seq";

/// Most `SCAN` calls one `list_keys` page makes; a sparse database may then return a short (even
/// empty) page with a cursor to go on from.
const MAX_SCANS_PER_PAGE: usize = 64;

/// The bucket stored in one Redis database.
pub struct RedisBackend {
    url: RedisUrl,
    pool: Pool,
}

impl RedisBackend {
    /// A backend for the database at `url`. Connects lazily: an unreachable server makes the
    /// store calls fail (the component answers with a server error), not the start-up.
    pub fn open(url: &RedisUrl) -> anyhow::Result<RedisBackend> {
        let client = redis::Client::open(url.expose())
            .map_err(|e| anyhow::anyhow!("cannot use the Redis store at {url}: {}", e.category()))?;
        Ok(RedisBackend { url: url.clone(), pool: Pool::new(client) })
    }

    /// Runs `op` on a pooled connection, turning failures into [`KvError::Storage`] messages
    /// that name the server (password hidden) and never contain the password.
    fn run<R>(&self, retry: Retry, op: impl FnMut(&mut Connection) -> RedisResult<R>) -> Result<R, KvError> {
        self.pool.run(retry, op).map_err(|e| self.storage_error(&e))
    }

    fn storage_error(&self, e: &RedisError) -> KvError {
        let mut message = format!("Redis at {}: {e}", self.url);
        if let Some(password) = self.url.password() {
            message = message.replace(password, "***");
        }
        KvError::Storage(message)
    }
}

/// An invocation of `script` with the companion keys in place, ready for bucket keys.
fn invocation(script: &Script) -> ScriptInvocation<'_> {
    let mut invocation = script.prepare_invoke();
    invocation.key(VERSIONS_KEY).key(SEQUENCE_KEY);
    invocation
}

/// Refuses the backend's own keys, so no bucket operation can corrupt the versions.
fn check_keys<'k>(keys: impl IntoIterator<Item = &'k str>) -> Result<(), KvError> {
    match keys.into_iter().find(|key| key.starts_with(RESERVED_PREFIX)) {
        Some(key) => Err(KvError::Storage(format!("the key `{key}` is reserved by the Redis store"))),
        None => Ok(()),
    }
}

/// A version as the scripts return it; 0 is [`CasVersion::ABSENT`].
fn version(value: Option<Vec<u8>>, version: u64) -> Versioned {
    Versioned { value, version: CasVersion(version) }
}

impl KvBackend for RedisBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        check_keys([key])?;
        self.run(Retry::Read, |conn| redis::cmd("GET").arg(key).query(conn))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        check_keys([key])?;
        self.run(Retry::Write, |conn| invocation(&scripts::SET).key(key).arg(value).invoke(conn))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        check_keys([key])?;
        self.run(Retry::Write, |conn| invocation(&scripts::DELETE).key(key).invoke(conn))
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        check_keys([key])?;
        self.run(Retry::Read, |conn| redis::cmd("EXISTS").arg(key).query(conn))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        check_keys(keys.iter().map(String::as_str))?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // One MGET: all values from one moment, in the order asked.
        self.run(Retry::Read, |conn| redis::cmd("MGET").arg(keys).query(conn))
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        check_keys(entries.iter().map(|(key, _)| key.as_str()))?;
        if entries.is_empty() {
            return Ok(());
        }
        self.run(Retry::Write, |conn| {
            let mut call = invocation(&scripts::SET);
            for (key, value) in entries {
                call.key(key).arg(value);
            }
            call.invoke(conn)
        })
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        check_keys(keys.iter().map(String::as_str))?;
        if keys.is_empty() {
            return Ok(());
        }
        self.run(Retry::Write, |conn| invocation(&scripts::DELETE).key(keys).invoke(conn))
    }

    fn cas_read(&self, key: &str) -> Result<Versioned, KvError> {
        check_keys([key])?;
        let (value, v): (Option<Vec<u8>>, u64) =
            self.run(Retry::Read, |conn| invocation(&scripts::READ).key(key).invoke(conn))?;
        Ok(version(value, v))
    }

    fn cas_swap(&self, key: &str, expected: CasVersion, value: &[u8]) -> Result<SwapOutcome, KvError> {
        check_keys([key])?;
        let (swapped, current, v): (i64, Option<Vec<u8>>, u64) =
            self.run(Retry::Write, |conn| invocation(&scripts::SWAP).key(key).arg(expected.0).arg(value).invoke(conn))?;
        Ok(if swapped == 1 { SwapOutcome::Swapped } else { SwapOutcome::Conflict(version(current, v)) })
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        check_keys([key])?;
        let outcome: RedisResult<String> =
            self.pool.run(Retry::Write, |conn| invocation(&scripts::INCREMENT).key(key).arg(delta).invoke(conn));
        match outcome {
            Ok(text) => text.parse().map_err(|_| KvError::Storage(format!("INCRBY left `{key}` unreadable"))),
            // Redis' INCRBY errors: "value is not an integer or out of range", "increment or
            // decrement would overflow".
            Err(e) if e.to_string().contains("would overflow") => Err(KvError::Overflow),
            Err(e) if e.to_string().contains("not an integer") => Err(KvError::NotAnInteger),
            Err(e) => Err(self.storage_error(&e)),
        }
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        let mut position = ScanPosition::decode(cursor)?;
        let mut keys = Vec::new();
        keys.extend(position.pending.drain(..position.pending.len().min(LIST_KEYS_PAGE_SIZE)));
        let mut scans = 0;
        while let Some(scan) = position.scan {
            if keys.len() >= LIST_KEYS_PAGE_SIZE || scans == MAX_SCANS_PER_PAGE {
                break;
            }
            let count = LIST_KEYS_PAGE_SIZE - keys.len();
            let (next, batch): (u64, Vec<String>) =
                self.run(Retry::Read, |conn| redis::cmd("SCAN").arg(scan).arg("COUNT").arg(count).query(conn))?;
            scans += 1;
            position.scan = (next != 0).then_some(next);
            for key in batch.into_iter().filter(|key| !key.starts_with(RESERVED_PREFIX)) {
                // A SCAN reply can hold a few keys more than asked for: they start the next page.
                if keys.len() < LIST_KEYS_PAGE_SIZE {
                    keys.push(key);
                } else {
                    position.pending.push(key);
                }
            }
        }
        let done = position.scan.is_none() && position.pending.is_empty();
        Ok(KeyPage { keys, cursor: (!done).then(|| position.encode()) })
    }
}

/// Where a `list_keys` walk stands: the Redis `SCAN` cursor to go on from (`None` once the scan
/// is complete) and keys already scanned that did not fit on the last page.
///
/// Encoded as the decimal `SCAN` cursor (or `end`), then each pending key hex-encoded, all
/// separated by spaces. Like `SCAN` itself, a walk returns every key that exists throughout it
/// at least once, and may return a key twice when the database grows or shrinks meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScanPosition {
    scan: Option<u64>,
    pending: Vec<String>,
}

impl ScanPosition {
    fn decode(cursor: Option<&str>) -> Result<ScanPosition, KvError> {
        let Some(cursor) = cursor else {
            return Ok(ScanPosition { scan: Some(0), pending: Vec::new() });
        };
        let invalid = || KvError::Storage("invalid list-keys cursor".into());
        let mut parts = cursor.split(' ');
        let scan = match parts.next().ok_or_else(invalid)? {
            "end" => None,
            n => Some(n.parse::<u64>().map_err(|_| invalid())?),
        };
        let pending = parts
            .map(|part| hex::decode(part).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(invalid))
            .collect::<Result<Vec<String>, KvError>>()?;
        Ok(ScanPosition { scan, pending })
    }

    fn encode(&self) -> String {
        let mut out = self.scan.map_or_else(|| "end".to_owned(), |n| n.to_string());
        for key in &self.pending {
            out.push(' ');
            out.push_str(&hex::encode(key));
        }
        out
    }
}

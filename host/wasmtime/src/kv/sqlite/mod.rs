//! The default backend: one SQLite file in WAL mode.
//!
//! Layout: `kv(key, value, version)` holds the bucket; `meta('version_seq')` is one global,
//! monotonically increasing sequence from which every write takes the key's new version, so a
//! version is never reused, not even after a key is deleted and created again. Every write runs
//! in a `BEGIN IMMEDIATE` transaction, which makes read-compare-write atomic across threads and
//! processes.

mod pool;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use self::pool::Pool;
use super::{CasVersion, KeyPage, KvBackend, KvError, LIST_KEYS_PAGE_SIZE, SwapOutcome, Versioned};
use crate::data_dir;

/// File name of the database inside the data directory.
pub const SQLITE_FILE_NAME: &str = "idplex.sqlite3";

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS kv (
        key     TEXT    PRIMARY KEY NOT NULL,
        value   BLOB    NOT NULL,
        version INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS meta (
        name  TEXT    PRIMARY KEY NOT NULL,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO meta (name, value) VALUES ('version_seq', 0);
";

/// The bucket stored in one SQLite database file.
pub struct SqliteBackend {
    path: PathBuf,
    pool: Pool,
}

impl SqliteBackend {
    /// Opens (creating if needed) `{data_dir}/idplex.sqlite3`, creating `data_dir` if missing.
    pub fn open_in(data_dir: &Path) -> anyhow::Result<SqliteBackend> {
        data_dir::ensure(data_dir)?;
        SqliteBackend::open(&data_dir.join(SQLITE_FILE_NAME))
    }

    /// Opens (creating if needed) the database file at `path`, switches it to WAL mode and
    /// creates the schema.
    pub fn open(path: &Path) -> anyhow::Result<SqliteBackend> {
        let backend = SqliteBackend { path: path.to_owned(), pool: Pool::new(path) };
        backend.init().map_err(|e| anyhow::anyhow!("cannot open the SQLite store at {}: {e}", path.display()))?;
        Ok(backend)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn init(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get()?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        anyhow::ensure!(mode.eq_ignore_ascii_case("wal"), "WAL mode refused (journal_mode is {mode})");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`), committing when it returns `Ok`.
    fn write<R>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<R, KvError>) -> Result<R, KvError> {
        let mut conn = self.pool.get()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let result = f(&tx)?;
        tx.commit()?;
        Ok(result)
    }
}

/// Takes the next version from the global sequence.
fn next_version(tx: &Transaction<'_>) -> Result<i64, KvError> {
    let mut stmt = tx.prepare_cached("UPDATE meta SET value = value + 1 WHERE name = 'version_seq' RETURNING value")?;
    Ok(stmt.query_row([], |row| row.get(0))?)
}

/// Stores `value` under `key` with a fresh version.
fn put(tx: &Transaction<'_>, key: &str, value: &[u8]) -> Result<(), KvError> {
    let version = next_version(tx)?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version",
    )?;
    stmt.execute(params![key, value, version])?;
    Ok(())
}

/// The value and version of `key` as seen by `conn`.
fn read_versioned(conn: &rusqlite::Connection, key: &str) -> Result<Versioned, KvError> {
    let mut stmt = conn.prepare_cached("SELECT value, version FROM kv WHERE key = ?1")?;
    let row: Option<(Vec<u8>, i64)> = stmt.query_row([key], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
    Ok(match row {
        Some((value, version)) => Versioned { value: Some(value), version: to_version(version)? },
        None => Versioned { value: None, version: CasVersion::ABSENT },
    })
}

fn to_version(stored: i64) -> Result<CasVersion, KvError> {
    u64::try_from(stored)
        .ok()
        .filter(|v| *v != CasVersion::ABSENT.0)
        .map(CasVersion)
        .ok_or_else(|| KvError::Storage(format!("corrupt version {stored} in the store")))
}

impl From<rusqlite::Error> for KvError {
    fn from(e: rusqlite::Error) -> KvError {
        KvError::Storage(e.to_string())
    }
}

impl KvBackend for SqliteBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let conn = self.pool.get()?;
        let mut stmt = conn.prepare_cached("SELECT value FROM kv WHERE key = ?1")?;
        Ok(stmt.query_row([key], |row| row.get(0)).optional()?)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write(|tx| put(tx, key, value))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM kv WHERE key = ?1")?.execute([key])?;
            Ok(())
        })
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        let conn = self.pool.get()?;
        let mut stmt = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM kv WHERE key = ?1)")?;
        Ok(stmt.query_row([key], |row| row.get(0))?)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let mut conn = self.pool.get()?;
        // One read transaction: all values come from the same snapshot.
        let tx = conn.transaction()?;
        let values = {
            let mut stmt = tx.prepare_cached("SELECT value FROM kv WHERE key = ?1")?;
            keys.iter()
                .map(|key| stmt.query_row([key], |row| row.get(0)).optional())
                .collect::<rusqlite::Result<Vec<Option<Vec<u8>>>>>()?
        };
        tx.finish()?;
        Ok(values)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        self.write(|tx| entries.iter().try_for_each(|(key, value)| put(tx, key, value)))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached("DELETE FROM kv WHERE key = ?1")?;
            for key in keys {
                stmt.execute([key])?;
            }
            Ok(())
        })
    }

    fn cas_read(&self, key: &str) -> Result<Versioned, KvError> {
        let conn = self.pool.get()?;
        read_versioned(&conn, key)
    }

    fn cas_swap(&self, key: &str, expected: CasVersion, value: &[u8]) -> Result<SwapOutcome, KvError> {
        self.write(|tx| {
            let current = read_versioned(tx, key)?;
            if current.version != expected {
                return Ok(SwapOutcome::Conflict(current));
            }
            put(tx, key, value)?;
            Ok(SwapOutcome::Swapped)
        })
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.write(|tx| {
            let current = match read_versioned(tx, key)?.value {
                None => 0,
                Some(bytes) => parse_counter(&bytes)?,
            };
            let next = current.checked_add(delta).ok_or(KvError::Overflow)?;
            put(tx, key, next.to_string().as_bytes())?;
            Ok(next)
        })
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        let conn = self.pool.get()?;
        let mut stmt = conn.prepare_cached("SELECT key FROM kv WHERE key > ?1 ORDER BY key LIMIT ?2")?;
        let limit = i64::try_from(LIST_KEYS_PAGE_SIZE + 1).unwrap_or(i64::MAX);
        let mut keys = stmt
            .query_map(params![cursor.unwrap_or(""), limit], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        let cursor = if keys.len() > LIST_KEYS_PAGE_SIZE {
            keys.truncate(LIST_KEYS_PAGE_SIZE);
            keys.last().cloned()
        } else {
            None
        };
        Ok(KeyPage { keys, cursor })
    }
}

/// Reads a counter stored as decimal ASCII, as Redis `INCRBY` does.
fn parse_counter(bytes: &[u8]) -> Result<i64, KvError> {
    std::str::from_utf8(bytes).ok().and_then(|text| text.parse().ok()).ok_or(KvError::NotAnInteger)
}

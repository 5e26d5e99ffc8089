//! A test double of Spin's default key-value provider (`spinframework/spin`,
//! `crates/key-value-spin/src/store.rs`): `--store spin-sqlite`, a SQLite file
//! `spin-kv.sqlite3` in the data directory. For testing only.
//!
//! It has the provider's semantics: one connection behind a mutex; compare-and-swap remembers
//! the value `current` read and `swap` is `UPDATE … WHERE value = old` — or, when the key was
//! absent, an unconditional upsert, so two "create if absent" swaps can both succeed;
//! `increment` stores a little-endian `i64`; `get-many` answers only the keys found;
//! `list-keys` refuses a cursor.
//!
//! A swap from "absent" waits [`ABSENT_SWAP_DELAY`] before it upserts. In Spin each key-value
//! call crosses the async runtime to a blocking thread and back, so under load another request
//! reads the key between a creator's `current` and its `swap`; without the delay the double,
//! called directly, makes that window so narrow that concurrent creators of one key almost
//! never overlap and a test of the race would prove nothing.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use super::{CasSession, CasVersion, KeyPage, KvBackend, KvError, SwapOutcome, SwapReport, Versioned};

/// How long a swap from "absent" waits before it upserts (see the module documentation).
pub const ABSENT_SWAP_DELAY: std::time::Duration = std::time::Duration::from_millis(5);

/// File name of the database inside the data directory.
pub const SPIN_SQLITE_FILE_NAME: &str = "spin-kv.sqlite3";

const STORE: &str = "default";

/// Spin's SQLite provider, reproduced.
pub struct SpinSqliteBackend {
    connection: Arc<Mutex<Connection>>,
}

fn storage(e: rusqlite::Error) -> KvError {
    KvError::Storage(format!("{e:?}"))
}

impl SpinSqliteBackend {
    /// Opens (creating) `spin-kv.sqlite3` in `data_dir`.
    pub fn open_in(data_dir: &Path) -> anyhow::Result<SpinSqliteBackend> {
        crate::data_dir::ensure(data_dir)?;
        let connection = Connection::open(data_dir.join(SPIN_SQLITE_FILE_NAME))?;
        connection.busy_timeout(std::time::Duration::from_secs(30))?;
        connection.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))",
            [],
        )?;
        Ok(SpinSqliteBackend { connection: Arc::new(Mutex::new(connection)) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn read(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, KvError> {
    conn.prepare_cached("SELECT value FROM spin_key_value WHERE store=?1 AND key=?2")
        .and_then(|mut s| s.query_row(params![STORE, key], |row| row.get(0)).optional())
        .map_err(storage)
}

fn upsert(conn: &Connection, key: &str, value: &[u8]) -> Result<usize, KvError> {
    conn.prepare_cached(
        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT(store, key) DO UPDATE SET value=?3",
    )
    .and_then(|mut s| s.execute(params![STORE, key, value]))
    .map_err(storage)
}

impl KvBackend for SpinSqliteBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        read(&self.conn(), key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        upsert(&self.conn(), key, value).map(drop)
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.conn()
            .prepare_cached("DELETE FROM spin_key_value WHERE store=?1 AND key=?2")
            .and_then(|mut s| s.execute(params![STORE, key]))
            .map(drop)
            .map_err(storage)
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.get(key)?.is_some())
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let conn = self.conn();
        keys.iter().map(|k| read(&conn, k)).collect()
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        for (k, v) in entries {
            upsert(&tx, k, v)?;
        }
        tx.commit().map_err(storage)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        for key in keys {
            self.delete(key)?;
        }
        Ok(())
    }

    fn cas_read(&self, _key: &str) -> Result<Versioned, KvError> {
        Err(KvError::Storage("Spin's SQLite provider keeps no versions".into()))
    }

    fn cas_swap(&self, _key: &str, _expected: CasVersion, _value: &[u8]) -> Result<SwapOutcome, KvError> {
        Err(KvError::Storage("Spin's SQLite provider keeps no versions".into()))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        let current = match read(&tx, key)? {
            None => 0,
            // Spin panics here (`expect("incorrect length")`); the double reports an error.
            Some(bytes) => i64::from_le_bytes(bytes.try_into().map_err(|_| KvError::NotAnInteger)?),
        };
        let next = current.checked_add(delta).ok_or(KvError::Overflow)?;
        upsert(&tx, key, &next.to_le_bytes())?;
        tx.commit().map_err(storage)?;
        Ok(next)
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        if cursor.is_some() {
            return Err(KvError::Storage("list_keys: cursor not supported".into()));
        }
        let conn = self.conn();
        let mut statement = conn.prepare_cached("SELECT key FROM spin_key_value WHERE store=?1").map_err(storage)?;
        let keys = statement
            .query_map(params![STORE], |row| row.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(storage)?;
        Ok(KeyPage { keys, cursor: None })
    }

    fn cas_begin(&self, key: &str) -> Result<Box<dyn CasSession>, KvError> {
        Ok(Box::new(SpinSqliteCas { connection: self.connection.clone(), key: key.to_owned(), value: None }))
    }
}

/// Spin's `CompareAndSwap`: the key and the value `current` last read.
struct SpinSqliteCas {
    connection: Arc<Mutex<Connection>>,
    key: String,
    value: Option<Vec<u8>>,
}

impl CasSession for SpinSqliteCas {
    fn current(&mut self, _backend: &dyn KvBackend) -> Result<Option<Vec<u8>>, KvError> {
        let value = read(&self.connection.lock().unwrap_or_else(PoisonError::into_inner), &self.key)?;
        self.value.clone_from(&value);
        Ok(value)
    }

    fn swap(self: Box<Self>, _backend: &dyn KvBackend, value: &[u8]) -> Result<SwapReport, KvError> {
        if self.value.is_none() {
            std::thread::sleep(ABSENT_SWAP_DELAY);
        }
        let conn = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let rows = match &self.value {
            Some(old) => conn
                .prepare_cached("UPDATE spin_key_value SET value=?1 WHERE store=?2 AND key=?3 AND value=?4")
                .and_then(|mut s| s.execute(params![value, STORE, self.key, old]))
                .map_err(storage)?,
            None => upsert(&conn, &self.key, value)?,
        };
        Ok(if rows == 1 { SwapReport::Swapped } else { SwapReport::Conflict(None) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> (tempfile::TempDir, SpinSqliteBackend) {
        let dir = tempfile::tempdir().expect("tempdir");
        let backend = SpinSqliteBackend::open_in(dir.path()).expect("open");
        (dir, backend)
    }

    #[test]
    fn two_swaps_that_saw_the_key_absent_both_succeed_and_the_later_wins() {
        let (_dir, kv) = backend();
        let (mut first, mut second) = (kv.cas_begin("k").expect("cas"), kv.cas_begin("k").expect("cas"));
        assert_eq!(first.current(&kv).expect("current"), None);
        assert_eq!(second.current(&kv).expect("current"), None);
        assert!(matches!(first.swap(&kv, b"first").expect("swap"), SwapReport::Swapped));
        assert!(matches!(second.swap(&kv, b"second").expect("swap"), SwapReport::Swapped));
        assert_eq!(kv.get("k").expect("get"), Some(b"second".to_vec()));
    }

    #[test]
    fn a_swap_from_a_value_compares_the_value() {
        let (_dir, kv) = backend();
        kv.set("k", b"v1").expect("set");
        let mut stale = kv.cas_begin("k").expect("cas");
        assert_eq!(stale.current(&kv).expect("current"), Some(b"v1".to_vec()));
        kv.set("k", b"v2").expect("set");
        assert!(matches!(stale.swap(&kv, b"mine").expect("swap"), SwapReport::Conflict(None)));
        assert_eq!(kv.get("k").expect("get"), Some(b"v2".to_vec()));
    }

    #[test]
    fn increment_keeps_a_little_endian_integer() {
        let (_dir, kv) = backend();
        assert_eq!(kv.increment("n", 1).expect("increment"), 1);
        assert_eq!(kv.increment("n", 1).expect("increment"), 2);
        assert_eq!(kv.get("n").expect("get"), Some(2i64.to_le_bytes().to_vec()));
        kv.set("j", b"{}").expect("set");
        assert!(matches!(kv.increment("j", 1), Err(KvError::NotAnInteger)));
    }
}

//! A test double of Spin's Redis key-value provider (`spinframework/spin`,
//! `crates/key-value-redis/src/store.rs`, the same in Spin 3.6 through 4.x), against a real
//! Redis server: `--store spin-redis://host:port/db`. For testing only.
//!
//! It issues the commands Spin issues, so it has Spin's behaviour, bugs included:
//! - compare-and-swap opens a new connection; `current` is `WATCH key` + `GET key`; `swap` is
//!   `MULTI; SET; EXEC`, then `UNWATCH key`, which Redis refuses (UNWATCH takes no argument),
//!   and the refusal is reported as `cas-failed` — also when the `SET` was applied;
//! - `get-many` is `KEYS k1 k2 …` (Redis refuses more than one pattern);
//! - `increment` is `INCRBY`; `list-keys` is `KEYS *` and refuses a cursor.
//!
//! Values are stored as plain strings, as Spin stores them.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::{Client, Connection, RedisResult};

use super::{CasSession, KeyPage, KvBackend, KvError, RedisUrl, SwapOutcome, SwapReport, Versioned};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Spin's Redis provider, reproduced.
pub struct SpinRedisBackend {
    client: Client,
    idle: Mutex<Vec<Connection>>,
}

impl SpinRedisBackend {
    /// A double over the database at `url`; connects lazily.
    pub fn open(url: &RedisUrl) -> anyhow::Result<SpinRedisBackend> {
        let client = Client::open(url.expose()).map_err(|e| anyhow::anyhow!("cannot use Redis at {url}: {e}"))?;
        Ok(SpinRedisBackend { client, idle: Mutex::new(Vec::new()) })
    }

    fn connect(&self) -> RedisResult<Connection> {
        let conn = self.client.get_connection_with_timeout(TIMEOUT)?;
        conn.set_read_timeout(Some(TIMEOUT))?;
        conn.set_write_timeout(Some(TIMEOUT))?;
        Ok(conn)
    }

    fn run<R>(&self, op: impl FnOnce(&mut Connection) -> RedisResult<R>) -> Result<R, KvError> {
        let reused = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut conn = match reused {
            Some(conn) => conn,
            None => self.connect().map_err(storage)?,
        };
        let result = op(&mut conn);
        if result.is_ok() {
            self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        }
        result.map_err(storage)
    }
}

fn storage(e: redis::RedisError) -> KvError {
    KvError::Storage(format!("{e:?}"))
}

impl KvBackend for SpinRedisBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.run(|c| redis::cmd("GET").arg(key).query(c))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.run(|c| redis::cmd("SET").arg(key).arg(value).query(c))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.run(|c| redis::cmd("DEL").arg(key).query(c))
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.run(|c| redis::cmd("EXISTS").arg(key).query(c))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Spin: `.keys::<_, Vec<(String, Option<Vec<u8>>)>>(keys)`, i.e. the KEYS command.
        let found: Vec<(String, Option<Vec<u8>>)> = self.run(|c| redis::cmd("KEYS").arg(keys).query(c))?;
        Ok(keys.iter().map(|k| found.iter().find(|(f, _)| f == k).and_then(|(_, v)| v.clone())).collect())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.run(|c| {
            let mut cmd = redis::cmd("MSET");
            for (k, v) in entries {
                cmd.arg(k).arg(v);
            }
            cmd.query(c)
        })
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.run(|c| redis::cmd("DEL").arg(keys).query(c))
    }

    fn cas_read(&self, _key: &str) -> Result<Versioned, KvError> {
        Err(KvError::Storage("Spin's Redis provider keeps no versions".into()))
    }

    fn cas_swap(&self, _key: &str, _expected: super::CasVersion, _value: &[u8]) -> Result<SwapOutcome, KvError> {
        Err(KvError::Storage("Spin's Redis provider keeps no versions".into()))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.run(|c| redis::cmd("INCRBY").arg(key).arg(delta).query(c))
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        if cursor.is_some() {
            return Err(KvError::Storage("list_keys: cursor not supported".into()));
        }
        let keys: Vec<String> = self.run(|c| redis::cmd("KEYS").arg("*").query(c))?;
        Ok(KeyPage { keys, cursor: None })
    }

    fn cas_begin(&self, key: &str) -> Result<Box<dyn CasSession>, KvError> {
        // Spin: a new client and connection for every compare-and-swap.
        let conn = self.connect().map_err(storage)?;
        Ok(Box::new(SpinRedisCas { key: key.to_owned(), conn: Mutex::new(conn) }))
    }
}

/// Spin's `CompareAndSwap`: a key and its own connection.
struct SpinRedisCas {
    key: String,
    conn: Mutex<Connection>,
}

impl CasSession for SpinRedisCas {
    fn current(&mut self, _backend: &dyn KvBackend) -> Result<Option<Vec<u8>>, KvError> {
        let conn = self.conn.get_mut().unwrap_or_else(PoisonError::into_inner);
        redis::cmd("WATCH").arg(&self.key).exec(conn).map_err(storage)?;
        redis::cmd("GET").arg(&self.key).query(conn).map_err(storage)
    }

    fn swap(self: Box<Self>, _backend: &dyn KvBackend, value: &[u8]) -> Result<SwapReport, KvError> {
        let mut conn = self.conn.into_inner().unwrap_or_else(PoisonError::into_inner);
        let res: RedisResult<()> = redis::pipe().atomic().set(&self.key, value).query(&mut conn);
        if redis::cmd("UNWATCH").arg(&self.key).exec(&mut conn).is_err() {
            return Ok(SwapReport::Conflict(None));
        }
        Ok(if res.is_ok() { SwapReport::Swapped } else { SwapReport::Conflict(None) })
    }
}

//! A small pool of blocking Redis connections, so concurrent blocking callers each get their
//! own. Connections are opened on first use; none is opened when the pool is made.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::{Client, Connection, ConnectionLike as _, ErrorKind, RedisError, RedisResult};

/// How long opening a connection (TCP, AUTH, SELECT) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one command may wait for Redis; a stuck server fails the request instead of
/// holding a worker forever.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How many idle connections are kept open for reuse; more are opened on demand.
const MAX_IDLE: usize = 16;

/// Whether an operation may run a second time after its connection broke mid-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// A read (`get`, `cas_read`, `list_keys`, …): retried once on a fresh connection when a
    /// reused one turns out to be broken (Redis restarted, or closed it).
    Read,
    /// A write: never retried. The first attempt may have been applied before the connection
    /// broke; running it again could undo what another writer did in between (re-create a key
    /// someone claimed, or re-set a value someone swapped).
    Write,
}

/// Connections to one Redis server, opened lazily and reused.
pub(super) struct Pool {
    client: Client,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// A pool for `client`; opens nothing yet.
    pub(super) fn new(client: Client) -> Pool {
        Pool { client, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `op` on a pooled connection. A connection whose stream may be out of step (an I/O
    /// or protocol failure) is closed, together with every idle one (a broken connection
    /// usually means Redis restarted, which broke them all).
    pub(super) fn run<R>(&self, retry: Retry, mut op: impl FnMut(&mut Connection) -> RedisResult<R>) -> RedisResult<R> {
        let (mut conn, reused) = self.checkout()?;
        match op(&mut conn) {
            Ok(value) => {
                self.put_back(conn);
                Ok(value)
            }
            Err(e) if !breaks_connection(&e) => {
                self.put_back(conn);
                Err(e)
            }
            Err(e) => {
                drop(conn);
                self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
                if !(reused && retry == Retry::Read) {
                    return Err(e);
                }
                let mut fresh = self.connect()?;
                let result = op(&mut fresh);
                if result.as_ref().is_ok() || result.as_ref().is_err_and(|e| !breaks_connection(e)) {
                    self.put_back(fresh);
                }
                result
            }
        }
    }

    /// An idle connection (`true`: reused), or a newly opened one.
    fn checkout(&self) -> RedisResult<(Connection, bool)> {
        let reused = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match reused {
            Some(conn) => Ok((conn, true)),
            None => Ok((self.connect()?, false)),
        }
    }

    fn connect(&self) -> RedisResult<Connection> {
        let conn = self.client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
        conn.set_read_timeout(Some(COMMAND_TIMEOUT))?;
        conn.set_write_timeout(Some(COMMAND_TIMEOUT))?;
        Ok(conn)
    }

    fn put_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE && conn.is_open() {
            idle.push(conn);
        }
    }
}

/// Whether `e` leaves the connection unusable: anything but an error reply from the server
/// (after which the stream is still in step).
fn breaks_connection(e: &RedisError) -> bool {
    !matches!(e.kind(), ErrorKind::Server(_) | ErrorKind::Extension)
}

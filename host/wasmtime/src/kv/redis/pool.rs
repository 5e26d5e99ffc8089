//! A small pool of blocking Redis connections, so concurrent blocking callers each get their
//! own. Connections are opened on first use; none is opened when the pool is made.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::{Client, Connection, ConnectionLike as _, ErrorKind, RedisError, RedisResult};

/// How long opening a connection (TCP, AUTH, SELECT) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one command may wait for Redis; a stuck server fails the call (the request
/// answers 503) instead of holding a worker. As long as SQLite's busy timeout: a healthy
/// Redis answers every command of this backend in milliseconds.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// How many idle connections are kept open for reuse; more are opened on demand.
const MAX_IDLE: usize = 16;

/// Whether an operation may run a second time after its connection broke mid-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// A read (`get`, `cas_read`, `list_keys`, …): retried once on a fresh connection when a
    /// reused one turns out to be broken (Redis restarted, or closed it) — but not after a
    /// timeout: a server too slow to answer would only make the retry wait as long again.
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
    command_timeout: Duration,
}

impl Pool {
    /// A pool for `client`; opens nothing yet.
    pub(super) fn new(client: Client) -> Pool {
        Pool { client, idle: Mutex::new(Vec::new()), command_timeout: COMMAND_TIMEOUT }
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
                if !(reused && retry == Retry::Read) || e.is_timeout() {
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
        conn.set_read_timeout(Some(self.command_timeout))?;
        conn.set_write_timeout(Some(self.command_timeout))?;
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

#[cfg(test)]
mod tests {
    use super::super::test_server::TestRedis;
    use super::*;

    fn pool(server: &TestRedis, command_timeout: Duration) -> Pool {
        let client = Client::open(server.url(0).expose()).expect("client");
        Pool { command_timeout, ..Pool::new(client) }
    }

    fn get(conn: &mut Connection) -> RedisResult<Option<Vec<u8>>> {
        redis::cmd("GET").arg("k").query(conn)
    }

    /// Connections the server has accepted so far (`INFO stats`), asked on `admin`.
    fn connections_received(admin: &mut Connection) -> u64 {
        let info: String = redis::cmd("INFO").arg("stats").query(admin).expect("INFO");
        info.lines()
            .find_map(|line| line.strip_prefix("total_connections_received:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("total_connections_received")
    }

    #[test]
    fn read_that_times_out_is_not_retried() {
        let server = TestRedis::start();
        let mut admin = server.raw_connection(0);
        let pool = pool(&server, Duration::from_millis(200));
        assert_eq!(pool.run(Retry::Read, get).expect("a first read"), None);
        let before = connections_received(&mut admin);
        server.pause();
        let mut attempts = 0;
        let result = pool.run(Retry::Read, |conn| {
            attempts += 1;
            get(conn)
        });
        server.resume();
        assert!(result.as_ref().is_err_and(RedisError::is_timeout), "{result:?}");
        assert_eq!(attempts, 1);
        // A hung server is not connected to again: that would only wait as long once more.
        assert_eq!(connections_received(&mut admin), before, "the read was retried on a new connection");
        assert_eq!(pool.run(Retry::Read, get).expect("Redis answers again"), None);
    }
}

//! A small pool of SQLite connections, so concurrent blocking callers each get their own.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How long a connection waits for another writer's lock before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many idle connections are kept open for reuse; more are opened on demand.
const MAX_IDLE: usize = 16;

/// Connections to one database file, opened lazily and reused.
pub(super) struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// A pool over the database at `path`; opens nothing yet.
    pub(super) fn new(path: &Path) -> Pool {
        Pool { path: path.to_owned(), idle: Mutex::new(Vec::new()) }
    }

    /// An idle connection, or a newly opened one when none is idle.
    pub(super) fn get(&self) -> rusqlite::Result<PooledConnection<'_>> {
        let reused = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match reused {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        Ok(PooledConnection { pool: self, conn: Some(conn) })
    }

    fn put_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// Page cache per connection, in KiB (SQLite's default is 2 MiB, far too small once the
/// database outgrows it: every read then goes to the OS).
const CACHE_KIB: i64 = 16 * 1024;

/// Bytes of the database file read through a shared memory map (one copy in the OS page
/// cache for every connection).
const MMAP_BYTES: i64 = 1 << 30;

/// Opens one connection with the settings every connection needs: durable commits
/// (`synchronous=FULL`, so an acknowledged write survives power loss), a busy timeout so
/// writers queue instead of failing, and a page cache plus memory map sized for databases of
/// millions of records.
fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    Ok(conn)
}

/// A connection borrowed from a [`Pool`]; returned to it on drop.
pub(super) struct PooledConnection<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Deref for PooledConnection<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match &self.conn {
            Some(conn) => conn,
            None => unreachable!("a pooled connection is present until drop"),
        }
    }
}

impl DerefMut for PooledConnection<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("a pooled connection is present until drop"),
        }
    }
}

impl Drop for PooledConnection<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A connection left inside a transaction (should not happen: rusqlite rolls back
            // dropped transactions) is closed rather than reused.
            if conn.is_autocommit() {
                self.pool.put_back(conn);
            }
        }
    }
}

//! Another process's write lock on the SQLite store, as a backup tool or a second writer holds
//! it: a connection to the same file inside `BEGIN IMMEDIATE`, held until released, so every
//! writer of `idplex` waits for it and, past its busy timeout, fails with `SQLITE_BUSY`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// A held write lock on one SQLite database; released on [`WriteLock::release`] or drop.
pub struct WriteLock {
    conn: Connection,
}

impl WriteLock {
    /// Opens the database at `path` and takes its write lock (`BEGIN IMMEDIATE`), waiting up to
    /// 30 s for writers that hold it now.
    pub fn take(path: &Path) -> WriteLock {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        conn.busy_timeout(Duration::from_secs(30)).expect("busy timeout");
        conn.execute_batch("BEGIN IMMEDIATE").expect("the write lock is taken");
        WriteLock { conn }
    }

    /// Releases the lock (rolls back the empty transaction).
    pub fn release(self) {
        self.conn.execute_batch("ROLLBACK").expect("the write lock is released");
    }
}

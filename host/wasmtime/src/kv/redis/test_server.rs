//! A private `redis-server` for one test: on a free loopback port, without persistence, killed
//! when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::RedisUrl;

/// A running `redis-server` child process.
pub(super) struct TestRedis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TestRedis {
    /// Starts a server (retrying when another process takes the chosen port first) and waits
    /// until it answers. Panics, naming the fix, when `redis-server` is not installed.
    pub(super) fn start() -> TestRedis {
        Self::start_with(&[])
    }

    /// As [`TestRedis::start`], with extra `redis-server` arguments (e.g. `--requirepass`).
    pub(super) fn start_with(extra: &[&str]) -> TestRedis {
        for _ in 0..5 {
            if let Some(server) = Self::try_start(extra) {
                return server;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    fn try_start(extra: &[&str]) -> Option<TestRedis> {
        let port = free_port();
        let dir = tempfile::tempdir().expect("temp dir");
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--loglevel", "warning"])
            .arg("--dir")
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed, and the Redis store tests need a real one: \
                 run `apt-get install redis-server` (`make test` installs it)"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let mut server = TestRedis { child, port, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if server.child.try_wait().ok().flatten().is_some() {
                return None; // exited: most likely the port was taken meanwhile
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Whoever answered, ours must still be running (it exits at once when it
                // cannot bind).
                std::thread::sleep(Duration::from_millis(50));
                return server.child.try_wait().ok().flatten().is_none().then_some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = server.child.kill();
        None
    }

    /// `redis://127.0.0.1:{port}/{db}`.
    pub(super) fn url(&self, db: u8) -> RedisUrl {
        self.url_with_password(db, None)
    }

    /// The URL of database `db`, with `password` when given.
    pub(super) fn url_with_password(&self, db: u8, password: Option<&str>) -> RedisUrl {
        let auth = password.map_or_else(String::new, |p| format!(":{p}@"));
        format!("redis://{auth}127.0.0.1:{}/{db}", self.port).parse().expect("a valid URL")
    }

    /// A plain client connection, for playing another Redis client (e.g. a Spin app).
    pub(super) fn raw_connection(&self, db: u8) -> redis::Connection {
        let url = format!("redis://127.0.0.1:{}/{db}", self.port);
        redis::Client::open(url).and_then(|c| c.get_connection()).expect("connect to the test server")
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing is answered.
    pub(super) fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server run again (SIGCONT).
    pub(super) fn resume(&self) {
        self.signal("-CONT");
    }

    /// Sends `signal` with the shell's `kill` builtin (procps' `kill` may be missing).
    fn signal(&self, signal: &str) {
        let status = Command::new("sh").arg("-c").arg(format!("kill {signal} {}", self.child.id())).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} redis-server failed");
    }

    /// Kills the server now (to test an outage).
    pub(super) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

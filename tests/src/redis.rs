//! A private `redis-server` for one test, and `idplex` processes that share it.
//!
//! Each [`RedisServer`] runs on a free loopback port in a temporary directory, and is killed
//! when dropped: without persistence, or ([`RedisServer::start_persistent`]) with an
//! append-only file synced before every reply, so that it can be stopped and started again
//! on the same port with its data (an outage). The tests need Debian's `redis-server`
//! installed (`make test` installs it); without it they fail, saying so.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{Process, check_with_args};

/// A running `redis-server` child process.
pub struct RedisServer {
    child: Child,
    port: u16,
    password: Option<String>,
    persistent: bool,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server and waits until it answers `PING`.
    pub fn start() -> RedisServer {
        Self::start_inner(None, false)
    }

    /// Starts a server that requires `password` (`--requirepass`).
    pub fn start_with_password(password: &str) -> RedisServer {
        Self::start_inner(Some(password), false)
    }

    /// Starts a server that keeps its data across [`RedisServer::kill`] and
    /// [`RedisServer::restart`]: an append-only file, synced before each write is
    /// acknowledged (`--appendfsync always`), so even `kill -9` loses no acknowledged write.
    pub fn start_persistent() -> RedisServer {
        Self::start_inner(None, true)
    }

    fn start_inner(password: Option<&str>, persistent: bool) -> RedisServer {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = free_port();
            let child = spawn(port, dir.path(), password, persistent);
            let mut server = RedisServer { child, port, password: password.map(str::to_owned), persistent, dir };
            if server.wait_until_ready() {
                return server;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    /// Starts the server again on the same port and directory after [`RedisServer::kill`] or
    /// [`RedisServer::shutdown`], and waits until it answers (a persistent one has then
    /// loaded its data). Panics when the port stays taken for 30 s.
    pub fn restart(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            self.child = spawn(self.port, self.dir.path(), self.password.as_deref(), self.persistent);
            if self.wait_until_ready() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("redis-server did not start again on port {}", self.port);
    }

    /// Waits until this server answers `PING`; `false` when it exited (most likely its port
    /// was taken) or did not answer within 10 s.
    fn wait_until_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            if self.answers_ping() {
                // Whoever answered, ours must still be running (it exits at once when it
                // cannot bind).
                std::thread::sleep(Duration::from_millis(50));
                return self.child.try_wait().ok().flatten().is_none();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }

    /// Whether the server answers `PING` (after `AUTH`, when it has a password).
    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut request = String::new();
        if let Some(password) = &self.password {
            request.push_str(&format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{password}\r\n", password.len()));
        }
        request.push_str("*1\r\n$4\r\nPING\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut reply = Vec::new();
        let mut buf = [0u8; 64];
        while !String::from_utf8_lossy(&reply).contains("PONG") {
            match stream.read(&mut buf) {
                Ok(n) if n > 0 => reply.extend_from_slice(&buf[..n]),
                _ => return false,
            }
        }
        true
    }

    /// `redis://[:password@]127.0.0.1:{port}/{db}`, for `--store`.
    pub fn url(&self, db: u8) -> String {
        let auth = self.password.as_ref().map_or_else(String::new, |p| format!(":{p}@"));
        format!("redis://{auth}127.0.0.1:{}/{db}", self.port)
    }

    /// Starts `idplex serve` over database `db` of this server, with its own data directory
    /// (which holds only the admin token hash).
    pub fn idplex(&self, db: u8, data: &Path) -> Process {
        Process::start_with_args(data, &["--store", &self.url(db)], None)
    }

    /// Runs `idplex check --store` over database `db`; returns success and the output.
    pub fn check(&self, db: u8, data: &Path) -> (bool, String) {
        check_with_args(data, &["--store", &self.url(db)], false)
    }

    /// Kills the server now with SIGKILL (to test an outage).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Freezes the server (SIGSTOP): connections stay open and commands go unanswered, as
    /// when Redis hangs or the network drops packets, until [`RedisServer::resume`].
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server run again (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Sends `signal` with the shell's `kill` builtin (procps' `kill` may be missing).
    fn signal(&self, signal: &str) {
        let status = Command::new("sh").arg("-c").arg(format!("kill {signal} {}", self.child.id())).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} redis-server failed");
    }

    /// Stops the server the way an operator does (`SHUTDOWN`: it syncs its data and exits)
    /// and waits until it has exited; kills it when it has not within 30 s.
    pub fn shutdown(&mut self) {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let mut request = String::new();
            if let Some(password) = &self.password {
                request.push_str(&format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{password}\r\n", password.len()));
            }
            request.push_str("*1\r\n$8\r\nSHUTDOWN\r\n");
            let _ = stream.write_all(request.as_bytes());
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }
}

/// Spawns `redis-server` on `port` with its files in `dir`.
fn spawn(port: u16, dir: &Path, password: Option<&str>, persistent: bool) -> Child {
    let mut command = Command::new("redis-server");
    command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""]).args(["--loglevel", "warning"]);
    if persistent {
        command.args(["--appendonly", "yes", "--appendfsync", "always"]);
    } else {
        command.args(["--appendonly", "no"]);
    }
    command.arg("--dir").arg(dir).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    if let Some(password) = password {
        command.args(["--requirepass", password]);
    }
    match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "redis-server is not installed, and the Redis store tests need a real one: \
             run `apt-get install redis-server` (`make test` installs it)"
        ),
        Err(e) => panic!("cannot start redis-server: {e}"),
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

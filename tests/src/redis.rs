//! A private `redis-server` for one test, and `idplex` processes that share it.
//!
//! Each [`RedisServer`] runs on a free loopback port without persistence, in a temporary
//! directory, and is killed when dropped. The tests need Debian's `redis-server` installed
//! (`make test` installs it); without it they fail, saying so.

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
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server and waits until it answers `PING`.
    pub fn start() -> RedisServer {
        Self::start_inner(None)
    }

    /// Starts a server that requires `password` (`--requirepass`).
    pub fn start_with_password(password: &str) -> RedisServer {
        Self::start_inner(Some(password))
    }

    fn start_inner(password: Option<&str>) -> RedisServer {
        for _ in 0..5 {
            if let Some(server) = Self::try_start(password) {
                return server;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    fn try_start(password: Option<&str>) -> Option<RedisServer> {
        let port = free_port();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--loglevel", "warning"])
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = password {
            command.args(["--requirepass", password]);
        }
        let child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed, and the Redis scale-out tests need a real one: \
                 run `apt-get install redis-server` (`make test` installs it)"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let mut server = RedisServer { child, port, password: password.map(str::to_owned), _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if server.child.try_wait().ok().flatten().is_some() {
                return None; // exited: most likely the port was taken meanwhile
            }
            if server.answers_ping() {
                // Whoever answered, ours must still be running (it exits at once when it
                // cannot bind).
                std::thread::sleep(Duration::from_millis(50));
                return server.child.try_wait().ok().flatten().is_none().then_some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
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

    /// Kills the server now (to test an outage).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

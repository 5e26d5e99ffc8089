//! HTTP/1.1 by hand over a plain TCP connection, for clients that misbehave on purpose: a
//! head without its body, a body that stalls, a connection that sends nothing.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One client connection to a server.
pub struct RawConnection {
    stream: TcpStream,
    received: Vec<u8>,
}

/// What one read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Data,
    Closed,
    TimedOut,
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct RawReply {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (as long as `content-length` says).
    pub body: String,
}

impl RawReply {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl RawConnection {
    /// Connects to the server at origin `url` (`http://host:port`).
    pub fn open(url: &str) -> RawConnection {
        let addr = url.strip_prefix("http://").unwrap_or(url);
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawConnection { stream, received: Vec::new() }
    }

    /// Sends `bytes`; `false` when the server has closed the connection.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// Sends as much of `bytes` as the connection takes without blocking; returns how much.
    pub fn send_some(&mut self, bytes: &[u8]) -> usize {
        self.stream.set_nonblocking(true).expect("nonblocking");
        let sent = match self.stream.write(bytes) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(_) => 0,
        };
        self.stream.set_nonblocking(false).expect("blocking");
        sent
    }

    /// Reads one response, waiting at most `timeout`; `None` when none came in time or the
    /// connection closed first.
    pub fn read_reply(&mut self, timeout: Duration) -> Option<RawReply> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(reply) = self.take_reply() {
                return Some(reply);
            }
            if self.read_more(deadline) != Read::Data {
                return None;
            }
        }
    }

    /// Whether the server closes the connection (EOF or reset) within `timeout`, reading and
    /// dropping anything else it sends.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self.read_more(deadline) {
                Read::Data => {}
                Read::Closed => return true,
                Read::TimedOut => return false,
            }
        }
    }

    /// Reads what is there, waiting until `deadline` at most.
    fn read_more(&mut self, deadline: Instant) -> Read {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            return Read::TimedOut;
        };
        self.stream.set_read_timeout(Some(left)).expect("timeout");
        let mut buffer = [0u8; 16 << 10];
        match self.stream.read(&mut buffer) {
            Ok(0) => Read::Closed,
            Ok(n) => {
                self.received.extend_from_slice(&buffer[..n]);
                Read::Data
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Read::TimedOut,
            Err(_) => Read::Closed,
        }
    }

    /// A complete response at the start of what was received, if there is one.
    fn take_reply(&mut self) -> Option<RawReply> {
        let text = String::from_utf8_lossy(&self.received).into_owned();
        let (head, rest) = text.split_once("\r\n\r\n")?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize =
            headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        if rest.len() < length {
            return None;
        }
        let body = rest[..length].to_owned();
        let consumed = head.len() + 4 + length;
        self.received.drain(..consumed.min(self.received.len()));
        Some(RawReply { status, headers, body })
    }
}

/// The head of a request: `method path`, `Host`, the `extra` header lines (each ending in
/// `\r\n`) and the blank line.
pub fn head(method: &str, path: &str, extra: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: idplex.test\r\n{extra}\r\n")
}

/// The resident set size of process `pid` in bytes (Linux `/proc/PID/status`, `VmRSS`).
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

//! Connections past the limit: answered 503 at once and closed, never queued.
//!
//! The refused connection's request is not parsed: the fixed response is written as soon as
//! the connection is accepted, then the host stops writing, reads and drops what the client
//! had already sent for a moment (closing a socket with unread data resets it, and the client
//! could lose the answer), and closes it. The whole refusal takes at most [`REFUSAL_TIME`].

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::error_response::HostFailure;

/// The longest a refused connection is kept open.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// The most a refused connection's unread request is read (and dropped) before closing.
const DRAIN_BYTES: usize = 64 << 10;

/// Writes the 503 `TooManyConnections` response on `stream` and closes it.
pub(crate) async fn refuse(stream: TcpStream) {
    let deadline = Instant::now() + REFUSAL_TIME;
    let _ = tokio::time::timeout_at(deadline, refuse_until_closed(stream)).await;
}

async fn refuse_until_closed(stream: TcpStream) {
    let (reader, writer) = stream.into_split();
    let response = http_response(HostFailure::TooManyConnections);
    let mut written = 0;
    while written < response.len() {
        if writer.writable().await.is_err() {
            return;
        }
        match writer.try_write(&response[written..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
    // Dropping the write half shuts the connection down for writing.
    drop(writer);
    let mut drained = 0;
    let mut scratch = [0u8; 4096];
    while drained < DRAIN_BYTES {
        if reader.readable().await.is_err() {
            return;
        }
        match reader.try_read(&mut scratch) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

/// `failure` as a complete HTTP/1.1 response.
fn http_response(failure: HostFailure) -> Vec<u8> {
    let response = failure.response();
    let mut out = format!("HTTP/1.1 {} Service Unavailable\r\n", response.status);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", response.body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(&response.body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_503_that_closes() {
        let text = String::from_utf8(http_response(HostFailure::TooManyConnections)).expect("utf8");
        assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{text}");
        assert!(text.contains("retry-after: 1\r\n"), "{text}");
        assert!(text.contains("connection: close\r\n"), "{text}");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{text}");
        assert!(body.contains("too many open connections"), "{body}");
    }
}

//! The HTTP/1.1 server: accepts connections, moves each request into the component and back.
//!
//! What a flood of clients can hold is bounded: open connections (past
//! [`crate::HostConfig::max_connections`] a connection is answered 503 and closed, see
//! [`crate::connection_limit`]), the bytes every connection buffers (hyper's buffer, at most
//! [`CONNECTION_BUFFER_BYTES`]), the bytes all request bodies hold together (the body budget,
//! see `body_budget`), and the time a client may take over a request head or body
//! (408 past the body deadline or idle timeout). A request the component would refuse for
//! want of credentials is refused before its body is read (`early_refusal`).
//!
//! Deleted connections' data is reclaimed in the background meanwhile ([`crate::reclaimer`]).
//!
//! Each request then waits for one of the host's permits and runs on a blocking thread
//! (instantiation, guest code and SQLite calls all block). One log line per request carries
//! method, path (without query), status and duration, never headers or bodies.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HOST, HeaderName, HeaderValue, TRANSFER_ENCODING};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::bindings::exports::idplex::scim::handler::{Request, Response};
use crate::body_read::{BodyLimits, read_body};
use crate::error_response::HostFailure;
use crate::host::Host;
use crate::runtime::GUEST_TIME_LIMIT;

/// The most hyper buffers per connection (request head, pieces of a body not yet taken);
/// also the largest request head accepted (431 past it).
pub const CONNECTION_BUFFER_BYTES: usize = 32 << 10;

/// How long shutdown waits for in-flight requests before giving up on them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(GUEST_TIME_LIMIT.as_secs() + 15);

/// Serves HTTP on `listener` until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    host: Arc<Host>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let connections = Arc::new(Semaphore::new(host.limits().max_connections));
    let reclaimer = tokio::spawn(crate::reclaimer::run(Arc::clone(&host)));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let Ok(open) = Arc::clone(&connections).try_acquire_owned() else {
                        tracing::warn!(
                            max_connections = host.limits().max_connections,
                            "connection refused: too many open connections"
                        );
                        tokio::spawn(crate::connection_limit::refuse(stream));
                        continue;
                    };
                    let host = Arc::clone(&host);
                    let header_read_timeout = host.limits().header_read_timeout;
                    let service = service_fn(move |req| handle_http(Arc::clone(&host), req));
                    // The header read timeout also closes idle keep-alive connections: hyper
                    // starts it as soon as it waits for the next request head.
                    let connection = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_read_timeout)
                        .max_buf_size(CONNECTION_BUFFER_BYTES)
                        .serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        let _open = open;
                        if let Err(e) = connection.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    reclaimer.abort();
    tracing::info!(connections = graceful.count(), "shutting down; draining in-flight requests");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("in-flight requests did not finish in time; stopping anyway");
    }
    Ok(())
}

async fn handle_http(
    host: Arc<Host>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = respond(host, request).await;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        duration_ms = %format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    Ok(response)
}

async fn respond(host: Arc<Host>, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    if let Some(refusal) = crate::early_refusal::refusal(parts.uri.path(), &parts.headers) {
        return into_hyper(refusal);
    }
    let limits = host.limits();
    let declared =
        parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let body_limits = BodyLimits {
        max_bytes: limits.max_body_bytes,
        read_timeout: limits.body_read_timeout,
        idle_timeout: limits.body_idle_timeout,
    };
    let (body, reservation) = match read_body(body, declared, body_limits, &limits.body_budget).await {
        Ok(read) => read,
        Err(failure) => {
            if failure != HostFailure::BodyTooLarge {
                tracing::warn!(status = failure.status(), "request body refused: {failure:?}");
            }
            return into_hyper(failure.response());
        }
    };
    let request = wit_request(parts, body);
    let Ok(permit) = Arc::clone(host.permits()).acquire_owned().await else {
        // The semaphore is never closed; treat it as a host bug.
        return into_hyper(HostFailure::Internal.response());
    };
    let response = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        // The body stays in memory until the component has answered.
        let _reservation = reservation;
        host.handle(request)
    })
    .await;
    match response {
        Ok(response) => into_hyper(response),
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            into_hyper(HostFailure::Internal.response())
        }
    }
}

/// The WIT record of a request whose body has been read.
fn wit_request(parts: hyper::http::request::Parts, body: Vec<u8>) -> Request {
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    if let Some(authority) = parts.uri.authority()
        && !parts.headers.contains_key(HOST)
    {
        headers.push((HOST.as_str().to_owned(), authority.as_str().to_owned()));
    }
    let path_with_query = parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    Request { method: parts.method.as_str().to_ascii_uppercase(), path_with_query, headers, body }
}

/// Converts the component's response, dropping headers HTTP cannot carry and the framing
/// headers hyper computes itself.
fn into_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *out.status_mut() = match hyper::StatusCode::from_u16(response.status) {
        Ok(status) => status,
        Err(_) => {
            tracing::error!(status = response.status, "component returned an invalid status");
            return into_hyper(HostFailure::Internal.response());
        }
    };
    for (name, value) in response.headers {
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) else {
            tracing::warn!("component returned an invalid header; dropped");
            continue;
        };
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        out.headers_mut().append(name, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_keeps_headers_and_drops_framing() {
        let response = into_hyper(Response {
            status: 201,
            headers: vec![
                ("content-type".into(), "application/scim+json".into()),
                ("content-length".into(), "999".into()),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
                ("bad header".into(), "x".into()),
            ],
            body: b"{}".to_vec(),
        });
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["content-type"], "application/scim+json");
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
        assert!(response.headers().get(CONTENT_LENGTH).is_none());
    }

    #[test]
    fn invalid_status_becomes_internal_error() {
        let response = into_hyper(Response { status: 42, headers: vec![], body: vec![] });
        assert_eq!(response.status(), 500);
    }
}

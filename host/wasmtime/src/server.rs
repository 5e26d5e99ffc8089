//! The HTTP/1.1 server: accepts connections, moves each request into the component and back.
//!
//! Each request waits for one of the host's permits, then runs on a blocking thread
//! (instantiation, guest code and SQLite calls all block). One log line per request carries
//! method, path (without query), status and duration, never headers or bodies.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HOST, HeaderName, HeaderValue, TRANSFER_ENCODING};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::bindings::exports::idplex::scim::handler::{Request, Response};
use crate::error_response::HostFailure;
use crate::host::Host;
use crate::runtime::GUEST_TIME_LIMIT;

/// How long a client may take to send the request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request head (request target and headers), in bytes; a larger one is answered
/// 431 (hyper refuses heads past its buffer, 400 KiB, itself). Real SCIM requests need a few
/// KiB: the longest part is a filter, at most 4 KiB.
pub const MAX_HEAD_BYTES: usize = 64 << 10;

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
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let host = Arc::clone(&host);
                    let service = service_fn(move |req| handle_http(Arc::clone(&host), req));
                    let connection = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
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
    if head_size(&request) > MAX_HEAD_BYTES {
        return into_hyper(HostFailure::HeadTooLarge.response());
    }
    let request = match read_request(request, host.max_body_bytes()).await {
        Ok(request) => request,
        Err(failure) => return into_hyper(failure.response()),
    };
    let Ok(permit) = Arc::clone(host.permits()).acquire_owned().await else {
        // The semaphore is never closed; treat it as a host bug.
        return into_hyper(HostFailure::Internal.response());
    };
    let response = tokio::task::spawn_blocking(move || {
        let _permit = permit;
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

/// The bytes of a request's target and headers, as sent (near enough: separators counted).
fn head_size<B>(request: &hyper::Request<B>) -> usize {
    let target = request.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    target + request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>()
}

/// Reads the whole request into the WIT record, enforcing the body limit.
async fn read_request(request: hyper::Request<Incoming>, max_body_bytes: usize) -> Result<Request, HostFailure> {
    let (parts, body) = request.into_parts();
    let declared =
        parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > max_body_bytes as u64) {
        return Err(HostFailure::BodyTooLarge);
    }
    let body = match Limited::new(body, max_body_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(HostFailure::BodyTooLarge);
        }
        Err(_) => return Err(HostFailure::UnreadableBody),
    };

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
    Ok(Request { method: parts.method.as_str().to_ascii_uppercase(), path_with_query, headers, body: body.to_vec() })
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
    fn head_size_counts_target_and_headers() {
        let request = hyper::Request::builder()
            .uri("/scim/v2/c/Users?count=1")
            .header("x-big", "a".repeat(MAX_HEAD_BYTES))
            .body(())
            .expect("request");
        assert!(head_size(&request) > MAX_HEAD_BYTES);
        let small = hyper::Request::builder().uri("/x").header("a", "b").body(()).expect("request");
        assert_eq!(head_size(&small), "/x".len() + "a".len() + "b".len() + 4);
    }

    #[test]
    fn invalid_status_becomes_internal_error() {
        let response = into_hyper(Response { status: 42, headers: vec![], body: vec![] });
        assert_eq!(response.status(), 500);
    }
}

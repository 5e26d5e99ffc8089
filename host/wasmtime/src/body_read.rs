//! Reading one request body within the host's limits: the largest body, the body budget, a
//! deadline for the whole body and an idle timeout between its pieces.

use std::time::Duration;

use bytes::Buf as _;
use http_body_util::BodyExt as _;
use hyper::body::Body;
use tokio::time::Instant;

use crate::body_budget::{BUDGET_WAIT, BodyBudget, Reservation};
use crate::error_response::HostFailure;

/// The limits one body is read under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimits {
    /// Largest accepted body (413 past it).
    pub(crate) max_bytes: usize,
    /// Time for the whole body (408 past it).
    pub(crate) read_timeout: Duration,
    /// Time between two pieces of the body (408 past it).
    pub(crate) idle_timeout: Duration,
}

/// The smallest step a chunked body's reservation grows by.
const MIN_GROWTH: usize = 64 << 10;

/// Reads `body`, which declares `declared` bytes (its `Content-Length`, if any), holding room
/// in `budget` for every byte kept. The returned reservation covers the returned buffer's
/// capacity; keep it as long as the buffer lives.
pub(crate) async fn read_body<B>(
    body: B,
    declared: Option<u64>,
    limits: BodyLimits,
    budget: &BodyBudget,
) -> Result<(Vec<u8>, Reservation), HostFailure>
where
    B: Body + Unpin,
{
    let declared = match declared.map(usize::try_from) {
        Some(Ok(len)) if len <= limits.max_bytes => Some(len),
        Some(_) => return Err(HostFailure::BodyTooLarge),
        None => None,
    };
    // A declared length is reserved in full before anything is read; a chunked body reserves
    // as it arrives.
    let mut reservation =
        budget.reserve(declared.unwrap_or(0), BUDGET_WAIT).await.map_err(|_| HostFailure::BodyBudgetExhausted)?;
    let mut buffer = Vec::with_capacity(declared.unwrap_or(0));
    let deadline = Instant::now() + limits.read_timeout;
    let mut body = body;
    loop {
        let idle_deadline = (Instant::now() + limits.idle_timeout).min(deadline);
        let frame = match tokio::time::timeout_at(idle_deadline, body.frame()).await {
            Err(_elapsed) => return Err(HostFailure::BodyTimeout),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(HostFailure::UnreadableBody),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(mut data) = frame.into_data() else { continue };
        let len = buffer.len().saturating_add(data.remaining());
        if len > limits.max_bytes {
            return Err(HostFailure::BodyTooLarge);
        }
        if len > buffer.capacity() {
            let capacity = len.max(buffer.capacity().saturating_mul(2)).max(MIN_GROWTH).min(limits.max_bytes);
            reservation.grow_to(capacity, BUDGET_WAIT).await.map_err(|_| HostFailure::BodyBudgetExhausted)?;
            buffer.reserve_exact(capacity - buffer.len());
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            buffer.extend_from_slice(chunk);
            let read = chunk.len();
            data.advance(read);
        }
    }
    Ok((buffer, reservation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::Full;
    use hyper::body::Frame;

    const LIMITS: BodyLimits =
        BodyLimits { max_bytes: 1 << 20, read_timeout: Duration::from_secs(5), idle_timeout: Duration::from_secs(1) };

    /// A chunked body fed by a channel.
    struct Chunks(tokio::sync::mpsc::Receiver<Bytes>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            self.0.poll_recv(cx).map(|piece| piece.map(|bytes| Ok(Frame::data(bytes))))
        }
    }

    /// A chunked body of `pieces`, each after `pause`.
    fn slow_body(pieces: Vec<&'static [u8]>, pause: Duration) -> Chunks {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            for piece in pieces {
                tokio::time::sleep(pause).await;
                if tx.send(Bytes::from_static(piece)).await.is_err() {
                    return;
                }
            }
        });
        Chunks(rx)
    }

    #[tokio::test]
    async fn a_declared_body_is_read_whole_and_reserved() {
        let budget = BodyBudget::new(1 << 20);
        let (body, reservation) =
            read_body(Full::new(Bytes::from_static(b"{}")), Some(2), LIMITS, &budget).await.expect("read");
        assert_eq!(body, b"{}");
        assert!(reservation.bytes() >= 2);
    }

    #[tokio::test]
    async fn a_body_longer_than_the_budget_allows_waits_then_gets_503() {
        let budget = BodyBudget::new(8 << 10);
        let _held = budget.reserve(8 << 10, BUDGET_WAIT).await.expect("room");
        let refused = read_body(Full::new(Bytes::from_static(b"x")), Some(1), LIMITS, &budget).await;
        assert_eq!(refused.err(), Some(HostFailure::BodyBudgetExhausted));
    }

    #[tokio::test]
    async fn a_stalled_body_times_out() {
        let budget = BodyBudget::new(1 << 20);
        let limits = BodyLimits { idle_timeout: Duration::from_millis(50), ..LIMITS };
        let body = slow_body(vec![b"a", b"b"], Duration::from_millis(200));
        assert_eq!(read_body(body, None, limits, &budget).await.err(), Some(HostFailure::BodyTimeout));
    }

    #[tokio::test]
    async fn a_body_trickling_past_the_deadline_times_out() {
        let budget = BodyBudget::new(1 << 20);
        let limits = BodyLimits { read_timeout: Duration::from_millis(150), ..LIMITS };
        let body = slow_body(vec![b"a"; 10], Duration::from_millis(40));
        assert_eq!(read_body(body, None, limits, &budget).await.err(), Some(HostFailure::BodyTimeout));
    }

    #[tokio::test]
    async fn a_chunked_body_reserves_as_it_grows_and_stops_at_the_limit() {
        let budget = BodyBudget::new(1 << 20);
        let body = slow_body(vec![b"ab", b"cd"], Duration::ZERO);
        let (read, reservation) = read_body(body, None, LIMITS, &budget).await.expect("read");
        assert_eq!(read, b"abcd");
        assert!(reservation.bytes() >= read.capacity());
        let limits = BodyLimits { max_bytes: 3, ..LIMITS };
        let body = slow_body(vec![b"ab", b"cd"], Duration::ZERO);
        assert_eq!(read_body(body, None, limits, &budget).await.err(), Some(HostFailure::BodyTooLarge));
    }
}

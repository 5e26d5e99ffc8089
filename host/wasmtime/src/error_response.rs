//! The responses the host itself produces, as SCIM error messages (RFC 7644 §3.12).
//!
//! Their bodies never reveal internals: the details are fixed strings.

use crate::bindings::exports::idplex::scim::handler::Response;

/// A host-made failure, rendered as a SCIM error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFailure {
    /// The guest trapped, ran out of time or could not be instantiated (500).
    Internal,
    /// The request body exceeds the configured limit (413).
    BodyTooLarge,
    /// The request body could not be read (400).
    UnreadableBody,
    /// The request body did not arrive within the body read deadline, or stalled longer than
    /// the idle timeout between two pieces (408; the connection is closed).
    BodyTimeout,
    /// The request bodies in flight already hold the whole body budget and none was freed in
    /// time (503 with `Retry-After`).
    BodyBudgetExhausted,
    /// The server holds as many open connections as it allows (503 with `Retry-After`; the
    /// connection is closed).
    TooManyConnections,
    /// The guest ran longer than the guest time limit (503 with `Retry-After`: a less loaded
    /// server may finish it in time).
    GuestTimeLimit,
    /// The guest tried to grow its memory past the guest memory limit (500: retrying the same
    /// request will not help).
    GuestMemoryLimit,
}

impl HostFailure {
    /// The HTTP status code.
    pub fn status(self) -> u16 {
        match self {
            HostFailure::Internal => 500,
            HostFailure::BodyTooLarge => 413,
            HostFailure::UnreadableBody => 400,
            HostFailure::BodyTimeout => 408,
            HostFailure::BodyBudgetExhausted | HostFailure::TooManyConnections | HostFailure::GuestTimeLimit => 503,
            HostFailure::GuestMemoryLimit => 500,
        }
    }

    fn detail(self) -> &'static str {
        match self {
            HostFailure::Internal => "internal error",
            HostFailure::BodyTooLarge => "request body too large",
            HostFailure::UnreadableBody => "request body could not be read",
            HostFailure::BodyTimeout => "request body not received in time",
            HostFailure::BodyBudgetExhausted => "server busy: too many request bodies in flight; retry later",
            HostFailure::TooManyConnections => "server busy: too many open connections; retry later",
            HostFailure::GuestTimeLimit => "the request exceeded the guest time limit",
            HostFailure::GuestMemoryLimit => "the request exceeded the guest memory limit",
        }
    }

    /// Whether the connection is closed after this response: the rest of the request (or the
    /// next one) is not worth reading.
    pub fn closes_connection(self) -> bool {
        matches!(self, HostFailure::BodyTimeout | HostFailure::TooManyConnections)
    }

    /// The response: `{"schemas":[...Error],"status":"<code>","detail":"..."}`, with
    /// `Retry-After` on 503 and `Connection: close` when [`Self::closes_connection`].
    pub fn response(self) -> Response {
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"{}","detail":"{}"}}"#,
            self.status(),
            self.detail()
        );
        let mut headers = vec![("content-type".to_owned(), "application/scim+json".to_owned())];
        if self.status() == 503 {
            headers.push(("retry-after".to_owned(), "1".to_owned()));
        }
        if self.closes_connection() {
            headers.push(("connection".to_owned(), "close".to_owned()));
        }
        Response { status: self.status(), headers, body: body.into_bytes() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_error_body_is_the_fixed_scim_message() {
        let response = HostFailure::Internal.response();
        assert_eq!(response.status, 500);
        assert_eq!(
            String::from_utf8(response.body).expect("utf8"),
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error"}"#
        );
    }

    #[test]
    fn body_too_large_is_413_with_matching_status_string() {
        let response = HostFailure::BodyTooLarge.response();
        assert_eq!(response.status, 413);
        assert!(String::from_utf8(response.body).expect("utf8").contains(r#""status":"413""#));
    }

    #[test]
    fn busy_answers_ask_to_retry_and_name_the_limit() {
        for failure in [HostFailure::BodyBudgetExhausted, HostFailure::TooManyConnections, HostFailure::GuestTimeLimit]
        {
            let response = failure.response();
            assert_eq!(response.status, 503);
            assert!(response.headers.contains(&("retry-after".to_owned(), "1".to_owned())), "{failure:?}");
        }
        let body = String::from_utf8(HostFailure::GuestTimeLimit.response().body).expect("utf8");
        assert!(body.contains("guest time limit"), "{body}");
    }

    #[test]
    fn body_timeout_is_408_and_closes_the_connection() {
        let response = HostFailure::BodyTimeout.response();
        assert_eq!(response.status, 408);
        assert!(response.headers.contains(&("connection".to_owned(), "close".to_owned())));
        assert!(!HostFailure::GuestMemoryLimit.closes_connection());
    }
}

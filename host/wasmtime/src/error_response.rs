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
    /// The request target and headers exceed the host's limit (431).
    HeadTooLarge,
}

impl HostFailure {
    /// The HTTP status code.
    pub fn status(self) -> u16 {
        match self {
            HostFailure::Internal => 500,
            HostFailure::BodyTooLarge => 413,
            HostFailure::UnreadableBody => 400,
            HostFailure::HeadTooLarge => 431,
        }
    }

    fn detail(self) -> &'static str {
        match self {
            HostFailure::Internal => "internal error",
            HostFailure::BodyTooLarge => "request body too large",
            HostFailure::UnreadableBody => "request body could not be read",
            HostFailure::HeadTooLarge => "request headers too large",
        }
    }

    /// The response: `{"schemas":[...Error],"status":"<code>","detail":"..."}`.
    pub fn response(self) -> Response {
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"{}","detail":"{}"}}"#,
            self.status(),
            self.detail()
        );
        Response {
            status: self.status(),
            headers: vec![("content-type".to_owned(), "application/scim+json".to_owned())],
            body: body.into_bytes(),
        }
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
}

//! `ScimError`: what a SCIM client sees when a request fails (RFC 7644 §3.12).

use std::fmt;

use serde_json::json;

use crate::http::Response;
use crate::storage::StorageError;

/// The URN of the SCIM error schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` values of RFC 7644 §3.12 (and RFC 9865's `invalidCursor`/`expiredCursor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter syntax is invalid or the attribute and comparison are not supported.
    InvalidFilter,
    /// The filter yields too many results.
    TooMany,
    /// A uniqueness constraint is violated.
    Uniqueness,
    /// An attempt to modify an immutable attribute.
    Mutability,
    /// The request body structure is invalid or violates the schema.
    InvalidSyntax,
    /// The path attribute is invalid or malformed.
    InvalidPath,
    /// The path did not yield an attribute that could be operated on.
    NoTarget,
    /// A required value is missing or a value is not compatible with the attribute type.
    InvalidValue,
    /// The SCIM protocol version is not supported.
    InvalidVers,
    /// The request targets data that is sensitive.
    Sensitive,
    /// The pagination cursor is invalid.
    InvalidCursor,
}

impl ScimType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::InvalidCursor => "invalidCursor",
        }
    }
}

/// A failed SCIM request: HTTP status, optional `scimType` and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    /// The SCIM error type, for 400 and 409 responses.
    pub scim_type: Option<ScimType>,
    /// What went wrong, for people. Never contains secrets or internals.
    pub detail: String,
}

impl ScimError {
    /// A 400 error of the given type.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError { status: 400, scim_type: Some(scim_type), detail: detail.into() }
    }

    /// 401: missing or invalid bearer token.
    pub fn unauthorized() -> Self {
        ScimError { status: 401, scim_type: None, detail: "missing or invalid bearer token".into() }
    }

    /// 404 with a detail.
    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError { status: 404, scim_type: None, detail: detail.into() }
    }

    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        ScimError { status: 409, scim_type: Some(ScimType::Uniqueness), detail: detail.into() }
    }

    /// 405 for a method the endpoint does not support.
    pub fn method_not_allowed(method: &str) -> Self {
        ScimError { status: 405, scim_type: None, detail: format!("method {method} is not supported here") }
    }

    /// 413: the request is larger than a limit ([`super::limits`]).
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        ScimError { status: 413, scim_type: None, detail: detail.into() }
    }

    /// 412: an `If-Match` precondition failed.
    pub fn precondition_failed() -> Self {
        ScimError { status: 412, scim_type: None, detail: "the resource version does not match If-Match".into() }
    }

    /// 500 for a storage failure; the detail hides the cause.
    pub fn internal() -> Self {
        ScimError { status: 500, scim_type: None, detail: "internal error; the request may be retried".into() }
    }

    /// 503 when the key-value store failed or stayed contended: nothing half-done is left that
    /// readers cannot finish, and the request may be retried.
    pub fn unavailable() -> Self {
        ScimError { status: 503, scim_type: None, detail: "storage temporarily unavailable; retry the request".into() }
    }

    /// The response carrying this error.
    pub fn to_response(&self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t.as_str());
        }
        let response = Response::scim(self.status, &body);
        match self.status {
            401 => response.header("www-authenticate", "Bearer realm=\"idplex\""),
            503 => response.header("retry-after", "1"),
            _ => response,
        }
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl std::error::Error for ScimError {}

impl From<StorageError> for ScimError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Store(_) => ScimError::unavailable(),
            StorageError::Corrupt { .. } => ScimError::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_follows_rfc7644() {
        let r = ScimError::uniqueness("userName taken").to_response();
        assert_eq!(r.status, 409);
        assert_eq!(r.header_value("content-type"), Some("application/scim+json"));
        let body = r.body_json();
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
    }

    #[test]
    fn unauthorized_names_bearer_scheme() {
        let r = ScimError::unauthorized().to_response();
        assert_eq!(r.status, 401);
        assert!(r.header_value("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
        assert!(r.body_json().get("scimType").is_none());
    }
}

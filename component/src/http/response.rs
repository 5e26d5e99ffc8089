//! An outgoing response and its constructors.

use serde_json::Value;

/// The media type of SCIM bodies (RFC 7644 §3.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// An HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a body of the given content type.
    pub fn with_body(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Response { status, headers: vec![("content-type".into(), content_type.into())], body }
    }

    /// A JSON response (`application/json`).
    pub fn json(status: u16, value: &Value) -> Self {
        Self::with_body(status, "application/json", serde_json::to_vec(value).unwrap_or_default())
    }

    /// A SCIM JSON response (`application/scim+json`).
    pub fn scim(status: u16, value: &Value) -> Self {
        Self::with_body(status, SCIM_JSON, serde_json::to_vec(value).unwrap_or_default())
    }

    /// A response without a body.
    pub fn empty(status: u16) -> Self {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (for tests and logs); `Value::Null` when it is not JSON.
    pub fn body_json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

//! Admin API errors and their JSON rendering: `{"error": {"code", "message"}}`.

use serde_json::json;

use crate::connection::ConnectionError;
use crate::http::Response;
use crate::storage::StorageError;
use crate::storage::schemas::{MAX_SCHEMAS_PER_SCOPE, SchemaWriteError};

/// A failed admin API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// 401: missing or wrong admin token.
    Unauthorized,
    /// 404: no such route or connection.
    NotFound(String),
    /// 405 on a known route.
    MethodNotAllowed,
    /// 400: bad input.
    InvalidArgument(String),
    /// 409: the name is taken.
    NameTaken,
    /// 409: a custom schema with that URN is registered already.
    SchemaExists,
    /// 500: a stored document is corrupt (details are not shown).
    Storage,
    /// 503: the key-value store failed or stayed contended; the request may be retried.
    Unavailable,
}

impl AdminError {
    /// The JSON response for this error.
    pub fn to_response(&self) -> Response {
        let (status, code, message) = match self {
            AdminError::Unauthorized => (401, "unauthorized", "missing or invalid admin token".to_owned()),
            AdminError::NotFound(what) => (404, "not_found", what.clone()),
            AdminError::MethodNotAllowed => (405, "method_not_allowed", "method not allowed on this resource".into()),
            AdminError::InvalidArgument(why) => (400, "invalid_argument", why.clone()),
            AdminError::NameTaken => (409, "name_taken", "another connection already has that name".into()),
            AdminError::SchemaExists => {
                (409, "schema_exists", "a schema with that id is registered already (here or tenant-wide)".into())
            }
            AdminError::Storage => (500, "storage", "internal storage error".into()),
            AdminError::Unavailable => {
                (503, "storage_unavailable", "storage temporarily unavailable; retry the request".into())
            }
        };
        let response = Response::json(status, &json!({"error": {"code": code, "message": message}}));
        match status {
            401 => response.header("www-authenticate", "Bearer realm=\"idplex-admin\""),
            503 => response.header("retry-after", "1"),
            _ => response,
        }
    }
}

impl From<ConnectionError> for AdminError {
    fn from(e: ConnectionError) -> Self {
        match e {
            ConnectionError::NotFound => AdminError::NotFound("no connection has that id".into()),
            ConnectionError::InvalidArgument(why) => AdminError::InvalidArgument(why),
            ConnectionError::NameTaken => AdminError::NameTaken,
            ConnectionError::Storage(e) => e.into(),
        }
    }
}

impl From<SchemaWriteError> for AdminError {
    fn from(e: SchemaWriteError) -> Self {
        match e {
            SchemaWriteError::NotFound => AdminError::NotFound("no schema with that id is registered here".into()),
            SchemaWriteError::Exists => AdminError::SchemaExists,
            SchemaWriteError::TooMany => AdminError::InvalidArgument(format!(
                "at most {MAX_SCHEMAS_PER_SCOPE} schemas are registered tenant-wide, and as many per connection"
            )),
            SchemaWriteError::Storage(e) => e.into(),
        }
    }
}

impl From<StorageError> for AdminError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Store(_) => AdminError::Unavailable,
            StorageError::Corrupt { .. } => AdminError::Storage,
        }
    }
}

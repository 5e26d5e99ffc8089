//! Why a connection operation failed.

use std::fmt;

use crate::storage::StorageError;
use crate::storage::connections::ConnectionWriteError;

/// A failed connection operation, in the terms of the `admin` WIT interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionError {
    /// No connection has that id.
    NotFound,
    /// An argument is invalid (the text says which and why).
    InvalidArgument(String),
    /// Another connection has that name.
    NameTaken,
    /// Storage failed.
    Storage(StorageError),
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionError::NotFound => f.write_str("no connection has that id"),
            ConnectionError::InvalidArgument(why) => f.write_str(why),
            ConnectionError::NameTaken => f.write_str("another connection already has that name"),
            ConnectionError::Storage(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ConnectionError {}

impl From<StorageError> for ConnectionError {
    fn from(e: StorageError) -> Self {
        ConnectionError::Storage(e)
    }
}

impl From<ConnectionWriteError> for ConnectionError {
    fn from(e: ConnectionWriteError) -> Self {
        match e {
            ConnectionWriteError::NotFound => ConnectionError::NotFound,
            ConnectionWriteError::NameTaken => ConnectionError::NameTaken,
            ConnectionWriteError::Storage(e) => ConnectionError::Storage(e),
        }
    }
}

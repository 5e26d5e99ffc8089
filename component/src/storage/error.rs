//! Errors of the storage layer.

use std::fmt;

use crate::store::StoreError;

/// A storage operation failed for a reason the client cannot fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// The key-value store failed.
    Store(StoreError),
    /// A stored document could not be decoded.
    Corrupt {
        /// The key of the document.
        key: String,
        /// What was wrong with it.
        detail: String,
    },
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Store(e) => e.fmt(f),
            StorageError::Corrupt { key, detail } => write!(f, "corrupt document at {key}: {detail}"),
        }
    }
}

impl std::error::Error for StorageError {}

impl From<StoreError> for StorageError {
    fn from(e: StoreError) -> Self {
        StorageError::Store(e)
    }
}

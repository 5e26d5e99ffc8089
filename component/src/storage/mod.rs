//! The storage layout: how connections, users and groups are laid out on a plain key-value
//! store that offers only single-key CAS, increment and batches (no scans, no transactions).
//!
//! `docs/storage.md` describes the layout, its invariants and crash recovery. In short:
//! - every record is one JSON document under a key of its own ([`keys`]);
//! - uniqueness (connection names, userNames) is a claim on an index key made with CAS
//!   ([`unique`]); the claim is the commit point of a create;
//! - ordered listings are chunked id lists ([`chunked_list`]), so no value grows unboundedly;
//! - counts are the listings' lengths, read from their directories ([`stats`]);
//! - End Users filters and sorts on per-user summaries kept in pages beside the user list
//!   ([`summaries`]);
//! - registered custom extension schemas are one CAS-written document per scope ([`schemas`]);
//! - multi-key changes are ordered so that a crash between two writes leaves a state that
//!   reads correctly: readers skip what is not committed, and stale claims are reclaimed.

pub mod chunked_list;
pub mod connections;
pub mod keys;
pub mod members;
pub mod resources;
pub mod schemas;
pub mod stats;
pub mod summaries;
pub mod unique;

mod error;

pub use error::StorageError;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::KvStore;

/// Reads and decodes one JSON document.
pub(crate) fn read_json<T: DeserializeOwned>(store: &dyn KvStore, key: &str) -> Result<Option<T>, StorageError> {
    match store.get(key)? {
        None => Ok(None),
        Some(bytes) => decode(key, &bytes).map(Some),
    }
}

/// Decodes a JSON document read from `key`.
pub(crate) fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StorageError> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::Corrupt { key: key.to_owned(), detail: e.to_string() })
}

/// Encodes a document as JSON bytes.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising our own plain structs and `serde_json::Value` cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

//! Connection records: create, read, list, rename, re-key and delete, with the connection
//! name unique case-insensitively.
//!
//! Create: write the record as `Pending`, append the id to the connection list, record the
//! chunk, claim the name (the commit point), mark the record `Live`. A reader treats a `Pending` record as live
//! only if the name claim points to it, so a crash at any step leaves either a connection that
//! fully exists or one that no reader shows.

use serde::{Deserialize, Serialize};

use super::chunked_list::ChunkedList;
use super::unique::{self, Claimed, Holder};
use super::{StorageError, decode, encode, keys, read_json};
use crate::store::{KvStore, Update, update};
use crate::token::TokenHash;

/// Where a record is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordState {
    /// Written, not yet committed by its uniqueness claim.
    Pending,
    /// Committed.
    Live,
    /// Being deleted: invisible to every reader.
    Deleted,
}

/// A stored connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// The connection id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// SHA-256 of the current bearer token.
    pub token_hash: TokenHash,
    /// When the current token was issued (ms since the epoch).
    pub token_issued: i64,
    /// Creation time (ms since the epoch).
    pub created: i64,
    /// Last change of name or token (ms since the epoch).
    pub last_modified: i64,
    /// The chunk of the connection list holding the id.
    pub chunk: u32,
    /// Life-cycle state.
    pub state: RecordState,
    /// Whether extension objects under a URN no registered schema describes are kept (as sent,
    /// unchecked) rather than refused. Records written before the setting existed accept them,
    /// as idplex always did.
    #[serde(default = "accepts_unknown_extensions")]
    pub accept_unknown_extensions: bool,
    /// Whether the connection serves its IdP; a disabled one answers every SCIM request 403
    /// and keeps its users and groups. Records written before the setting existed are enabled.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The current token's non-secret hint (its prefix and last four characters, see
    /// [`crate::token::hint`]); empty on records written before hints existed.
    #[serde(default)]
    pub token_hint: String,
    /// SHA-256 of the previous token while it is in its grace period after a regeneration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_token_hash: Option<TokenHash>,
    /// When the previous token stops working (ms since the epoch); set with
    /// [`ConnectionRecord::previous_token_hash`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_token_expires: Option<i64>,
}

impl ConnectionRecord {
    /// The previous token's hash and expiry while it is in its grace period at `now`.
    pub fn previous_token(&self, now: i64) -> Option<(&TokenHash, i64)> {
        match (&self.previous_token_hash, self.previous_token_expires) {
            (Some(hash), Some(expires)) if now < expires => Some((hash, expires)),
            _ => None,
        }
    }

    /// Whether a previous token is recorded whose grace period is over at `now` (it is retired
    /// by the first authentication that notices, see [`crate::connection::authenticate`]).
    pub fn previous_token_lapsed(&self, now: i64) -> bool {
        self.previous_token_hash.is_some() && self.previous_token(now).is_none()
    }
}

/// The default of [`ConnectionRecord::enabled`].
pub const fn enabled_by_default() -> bool {
    true
}

/// The default of [`ConnectionRecord::accept_unknown_extensions`]: on (see
/// `docs/scim-conformance.md`, "Custom extension schemas").
pub const fn accepts_unknown_extensions() -> bool {
    true
}

/// Why a connection write did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionWriteError {
    /// No live connection has that id.
    NotFound,
    /// Another connection holds the name.
    NameTaken,
    /// Storage failed.
    Storage(StorageError),
}

impl From<StorageError> for ConnectionWriteError {
    fn from(e: StorageError) -> Self {
        ConnectionWriteError::Storage(e)
    }
}

impl From<crate::store::StoreError> for ConnectionWriteError {
    fn from(e: crate::store::StoreError) -> Self {
        ConnectionWriteError::Storage(e.into())
    }
}

pub(crate) fn list(store: &dyn KvStore) -> ChunkedList<'_> {
    ChunkedList::new(store, keys::CONNECTION_LIST.to_owned())
}

/// What the record `id` says about a claim on `name`.
fn name_holder(store: &dyn KvStore, id: &str, name: &str) -> Result<Holder, StorageError> {
    Ok(match read_json::<ConnectionRecord>(store, &keys::connection(id))? {
        None => Holder::Gone,
        Some(r) if r.state == RecordState::Deleted => Holder::Gone,
        Some(r) if r.name.to_lowercase() == name.to_lowercase() => Holder::Holds,
        Some(_) => Holder::Mismatch,
    })
}

/// Whether a record read from storage is visible.
pub(crate) fn visible(store: &dyn KvStore, record: &ConnectionRecord) -> Result<bool, StorageError> {
    Ok(match record.state {
        RecordState::Live => true,
        RecordState::Deleted => false,
        RecordState::Pending => unique::holder(store, &keys::connection_name(&record.name))?
            .is_some_and(|claim| claim.id.as_deref() == Some(record.id.as_str())),
    })
}

/// Stores a new connection (see the module doc for the write order). `record.chunk` and
/// `record.state` are set here.
pub fn create(
    store: &dyn KvStore,
    mut record: ConnectionRecord,
    now: i64,
) -> Result<ConnectionRecord, ConnectionWriteError> {
    let key = keys::connection(&record.id);
    record.state = RecordState::Pending;
    record.chunk = 0;
    store.set(&key, &encode(&record))?;
    record.chunk = list(store).append(&record.id)?;
    store.set(&key, &encode(&record))?;
    let name_key = keys::connection_name(&record.name);
    match unique::claim(store, &name_key, &record.id, now, |holder| name_holder(store, holder, &record.name))? {
        Claimed::Won => {}
        Claimed::TakenBy(_) => {
            list(store).remove(record.chunk, &record.id)?;
            store.delete(&key)?;
            return Err(ConnectionWriteError::NameTaken);
        }
    }
    record.state = RecordState::Live;
    store.set(&key, &encode(&record))?;
    Ok(record)
}

/// The visible connection `id`, if any.
pub fn get(store: &dyn KvStore, id: &str) -> Result<Option<ConnectionRecord>, StorageError> {
    match read_json::<ConnectionRecord>(store, &keys::connection(id))? {
        Some(record) if visible(store, &record)? => Ok(Some(record)),
        _ => Ok(None),
    }
}

/// The visible connection decoded from `bytes`, the value read at `id`'s record key.
pub fn visible_record(
    store: &dyn KvStore,
    id: &str,
    bytes: Option<&[u8]>,
) -> Result<Option<ConnectionRecord>, StorageError> {
    let Some(bytes) = bytes else { return Ok(None) };
    let record: ConnectionRecord = decode(&keys::connection(id), bytes)?;
    Ok(visible(store, &record)?.then_some(record))
}

/// `count` visible connections from `offset` in list order (oldest first), and how many are
/// listed in all: the list's directory and the page's chunks, then the page's records.
pub fn page(store: &dyn KvStore, offset: usize, count: usize) -> Result<(Vec<ConnectionRecord>, usize), StorageError> {
    let page = list(store).page(offset, count)?;
    let record_keys: Vec<String> = page.ids.iter().map(|id| keys::connection(id)).collect();
    let mut out = Vec::with_capacity(page.ids.len());
    for (id, value) in page.ids.iter().zip(store.get_many(&record_keys)?) {
        out.extend(visible_record(store, id, value.as_deref())?);
    }
    Ok((out, page.total))
}

/// Every visible connection, oldest first. Three store calls plus one per pending record.
pub fn all(store: &dyn KvStore) -> Result<Vec<ConnectionRecord>, StorageError> {
    let ids = list(store).all()?;
    let record_keys: Vec<String> = ids.iter().map(|(_, id)| keys::connection(id)).collect();
    let mut out = Vec::with_capacity(ids.len());
    for ((_, id), value) in ids.iter().zip(store.get_many(&record_keys)?) {
        out.extend(visible_record(store, id, value.as_deref())?);
    }
    Ok(out)
}

/// Applies `change` to the live record `id` with CAS; returns the new record.
pub fn modify(
    store: &dyn KvStore,
    id: &str,
    mut change: impl FnMut(&mut ConnectionRecord),
) -> Result<ConnectionRecord, ConnectionWriteError> {
    let key = keys::connection(id);
    let record = update(store, &key, |current| {
        let Some(bytes) = current else { return Err(ConnectionWriteError::NotFound) };
        let mut record: ConnectionRecord = decode(&key, bytes)?;
        if !visible(store, &record)? {
            return Err(ConnectionWriteError::NotFound);
        }
        record.state = RecordState::Live;
        change(&mut record);
        Ok(Update::Write(encode(&record), record))
    })?;
    Ok(record)
}

/// Renames connection `id`: claims the new name, updates the record, releases the old name.
pub fn rename(store: &dyn KvStore, id: &str, name: &str, now: i64) -> Result<ConnectionRecord, ConnectionWriteError> {
    let current = get(store, id)?.ok_or(ConnectionWriteError::NotFound)?;
    let old_name = current.name.clone();
    let same_key = old_name.to_lowercase() == name.to_lowercase();
    if !same_key {
        let new_key = keys::connection_name(name);
        if let Claimed::TakenBy(_) = unique::claim(store, &new_key, id, now, |holder| name_holder(store, holder, name))?
        {
            return Err(ConnectionWriteError::NameTaken);
        }
    }
    let result = modify(store, id, |record| {
        record.name = name.to_owned();
        record.last_modified = now;
    });
    if !same_key {
        match &result {
            Ok(_) => unique::release(store, &keys::connection_name(&old_name), id, now)?,
            Err(_) => unique::release(store, &keys::connection_name(name), id, now)?,
        }
    }
    result
}

/// Marks connection `id` deleted (it stops authenticating and disappears from every listing
/// at once), then releases its name and list entry. Returns the record as it was. Purging its
/// resources is the caller's next step; the record key itself is deleted last, by
/// [`forget`].
pub fn mark_deleted(store: &dyn KvStore, id: &str, now: i64) -> Result<ConnectionRecord, ConnectionWriteError> {
    let record = modify(store, id, |record| {
        record.state = RecordState::Deleted;
        record.last_modified = now;
    })?;
    unique::release(store, &keys::connection_name(&record.name), id, now)?;
    list(store).remove(record.chunk, id)?;
    Ok(record)
}

/// Removes the record of a connection marked deleted.
pub fn forget(store: &dyn KvStore, id: &str) -> Result<(), StorageError> {
    Ok(store.delete(&keys::connection(id))?)
}

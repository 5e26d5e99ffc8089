//! SCIM resource documents (users, groups) of one connection, with their uniqueness claims
//! and listing order.
//!
//! A record lists the unique values it holds (`unique`: attribute and normalised value); the
//! claim on each is what makes the value taken. Create: record `Pending`, list append, record
//! with its chunk, claims (the commit point), record `Live` (a reader that finds a committed
//! `Pending` record finishes this step). Replace: claim new values, CAS the record, release
//! dropped values. Delete: mark `Deleted` with CAS (invisible from then on), release claims,
//! leave the list, delete the record. A crash between any two writes leaves something every
//! reader handles: see `docs/storage.md`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::chunked_list::ChunkedList;
use super::connections::RecordState;
use super::keys::{self, Kind};
use super::unique::{self, Claimed, Holder};
use super::{StorageError, decode, encode, read_json};
use crate::store::{KvStore, StoreError, Swapped, Update};

/// One unique value a record holds: the attribute and its normalised value.
pub type UniqueValue = (String, String);

/// A stored SCIM resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    /// The resource id.
    pub id: String,
    /// Life-cycle state.
    pub state: RecordState,
    /// The chunk of the connection's resource list holding the id.
    pub chunk: u32,
    /// Incremented on every change; the ETag.
    pub version: u64,
    /// Creation time (ms since the epoch).
    pub created: i64,
    /// Last change (ms since the epoch).
    pub last_modified: i64,
    /// The unique values this record holds.
    pub unique: Vec<UniqueValue>,
    /// The looked-up (non-unique) values this record holds, e.g. `externalId`.
    #[serde(default)]
    pub lookup: Vec<UniqueValue>,
    /// The resource's attributes as stored (no `id`, no `meta`: those are rendered).
    pub body: Value,
    /// Fingerprints of the last [`RECENT_WRITES`] replacements, newest last: a writer whose
    /// swap was reported failed finds its own write here even after later writes (see
    /// `store::update`). Each is the SHA-256 prefix of the record it wrote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<String>,
}

/// How many write fingerprints a record keeps.
pub const RECENT_WRITES: usize = 8;

impl ResourceRecord {
    /// Stamps this record with the fingerprint of its content (previous fingerprints kept,
    /// at most [`RECENT_WRITES`]); returns the fingerprint.
    fn stamp(&mut self) -> String {
        use sha2::{Digest, Sha256};
        let mut bare = self.clone();
        bare.writes.clear();
        let digest = Sha256::digest(encode(&bare));
        let print: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        self.writes.push(print.clone());
        let excess = self.writes.len().saturating_sub(RECENT_WRITES);
        self.writes.drain(..excess);
        print
    }
}

/// Why a resource write did not apply.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteError<E> {
    /// No visible resource has that id.
    NotFound,
    /// Another resource holds this unique value (attribute name given).
    Conflict(String),
    /// The caller's function refused the change.
    Rejected(E),
    /// Storage failed.
    Storage(StorageError),
}

impl<E> From<StorageError> for WriteError<E> {
    fn from(e: StorageError) -> Self {
        WriteError::Storage(e)
    }
}

impl<E> From<StoreError> for WriteError<E> {
    fn from(e: StoreError) -> Self {
        WriteError::Storage(e.into())
    }
}

/// The resources of one kind in one connection.
pub struct Resources<'a> {
    store: &'a dyn KvStore,
    connection: &'a str,
    kind: Kind,
}

impl<'a> Resources<'a> {
    /// The `kind` resources of `connection`.
    pub fn new(store: &'a dyn KvStore, connection: &'a str, kind: Kind) -> Self {
        Resources { store, connection, kind }
    }

    /// The store this works on.
    pub(crate) fn store(&self) -> &'a dyn KvStore {
        self.store
    }

    /// The connection whose resources these are.
    pub(crate) fn connection(&self) -> &'a str {
        self.connection
    }

    pub(crate) fn key(&self, id: &str) -> String {
        keys::resource(self.connection, self.kind, id)
    }

    pub(crate) fn claim_key(&self, (attribute, value): &UniqueValue) -> String {
        keys::resource_unique(self.connection, self.kind, attribute, value)
    }

    pub(crate) fn index_key(&self, (attribute, value): &UniqueValue) -> String {
        keys::resource_index(self.connection, self.kind, attribute, value)
    }

    /// Adds `id` to the lookup index of each value (before the record carries them: the index
    /// is a superset of the truth, verified on read).
    pub(crate) fn index_add(&self, id: &str, values: &[UniqueValue]) -> Result<(), StorageError> {
        for value in values {
            let key = self.index_key(value);
            crate::store::update(self.store, &key, |current| {
                let mut ids: Vec<String> = match current {
                    None => Vec::new(),
                    Some(bytes) => decode(&key, bytes)?,
                };
                if ids.iter().any(|x| x == id) {
                    return Ok(Update::Keep(()));
                }
                ids.push(id.to_owned());
                Ok::<_, StorageError>(Update::Write(encode(&ids), ()))
            })?;
        }
        Ok(())
    }

    /// Removes `id` from the lookup index of each value (after the record dropped them).
    pub(crate) fn index_remove(&self, id: &str, values: &[UniqueValue]) -> Result<(), StorageError> {
        for value in values {
            let key = self.index_key(value);
            crate::store::update(self.store, &key, |current| {
                let Some(bytes) = current else { return Ok(Update::Keep(())) };
                let mut ids: Vec<String> = decode(&key, bytes)?;
                let before = ids.len();
                ids.retain(|x| x != id);
                Ok::<_, StorageError>(if ids.len() == before {
                    Update::Keep(())
                } else {
                    Update::Write(encode(&ids), ())
                })
            })?;
        }
        Ok(())
    }

    /// The visible records holding looked-up `value`: two store calls.
    pub fn find_indexed(&self, value: &UniqueValue) -> Result<Vec<ResourceRecord>, StorageError> {
        let ids: Vec<String> = read_json(self.store, &self.index_key(value))?.unwrap_or_default();
        Ok(self.get_many(&ids)?.into_iter().filter(|r| r.lookup.contains(value)).collect())
    }

    pub(crate) fn list(&self) -> ChunkedList<'a> {
        ChunkedList::new(self.store, keys::resource_list(self.connection, self.kind))
    }

    /// What record `holder` says about a claim on `value`.
    pub(crate) fn holder(&self, holder: &str, value: &UniqueValue) -> Result<Holder, StorageError> {
        Ok(match read_json::<ResourceRecord>(self.store, &self.key(holder))? {
            None => Holder::Gone,
            Some(r) if r.state == RecordState::Deleted => Holder::Gone,
            Some(r) if r.unique.contains(value) => Holder::Holds,
            Some(_) => Holder::Mismatch,
        })
    }

    pub(crate) fn visible(&self, record: &ResourceRecord) -> Result<bool, StorageError> {
        Ok(match record.state {
            RecordState::Live => true,
            RecordState::Deleted => false,
            RecordState::Pending => match record.unique.first() {
                None => false,
                Some(value) => {
                    let committed = unique::holder(self.store, &self.claim_key(value))?
                        .is_some_and(|c| c.id.as_deref() == Some(record.id.as_str()));
                    if committed {
                        self.promote(&record.id)?;
                    }
                    committed
                }
            },
        })
    }

    /// Claims every value of `values` for `id`; on a conflict releases what it claimed and
    /// returns the attribute in conflict.
    pub(crate) fn claim_all(&self, id: &str, values: &[UniqueValue], now: i64) -> Result<Option<String>, StorageError> {
        for (i, value) in values.iter().enumerate() {
            let won = unique::claim(self.store, &self.claim_key(value), id, now, |h| self.holder(h, value))?;
            if let Claimed::TakenBy(_) = won {
                for claimed in &values[..i] {
                    unique::release(self.store, &self.claim_key(claimed), id, now)?;
                }
                return Ok(Some(value.0.clone()));
            }
        }
        Ok(None)
    }

    pub(crate) fn release_all(&self, id: &str, values: &[UniqueValue], now: i64) -> Result<(), StorageError> {
        for value in values {
            unique::release(self.store, &self.claim_key(value), id, now)?;
        }
        Ok(())
    }

    /// Stores a new resource. `record.id`, `unique`, `body` and times must be set; `chunk`,
    /// `state` and `version` are set here.
    pub fn create(&self, mut record: ResourceRecord, now: i64) -> Result<ResourceRecord, WriteError<()>> {
        let key = self.key(&record.id);
        record.version = 1;
        record.state = RecordState::Pending;
        record.chunk = 0;
        self.store.set(&key, &encode(&record))?;
        let chunk = self.list().append(&record.id)?;
        record.chunk = chunk;
        self.store.set(&key, &encode(&record))?;
        self.index_add(&record.id, &record.lookup)?;
        if let Some(attribute) = self.claim_all(&record.id, &record.unique, now)? {
            self.index_remove(&record.id, &record.lookup)?;
            self.list().remove(chunk, &record.id)?;
            self.store.delete(&key)?;
            return Err(WriteError::Conflict(attribute));
        }
        Ok(self.promote(&record.id)?.unwrap_or(record))
    }

    /// Marks a committed `Pending` record `Live` (and records its chunk) with CAS; returns the
    /// record as it now stands. Readers call it too, so a create cut short after its commit
    /// point is finished by the next read.
    fn promote(&self, id: &str) -> Result<Option<ResourceRecord>, StorageError> {
        let key = self.key(id);
        crate::store::update(self.store, &key, |current| {
            let Some(bytes) = current else { return Ok(Update::Keep(None)) };
            let mut record: ResourceRecord = decode(&key, bytes)?;
            if record.state != RecordState::Pending {
                return Ok(Update::Keep(Some(record)));
            }
            record.state = RecordState::Live;
            Ok(Update::Write(encode(&record), Some(record)))
        })
    }

    /// The visible resource `id`, if any.
    pub fn get(&self, id: &str) -> Result<Option<ResourceRecord>, StorageError> {
        match read_json::<ResourceRecord>(self.store, &self.key(id))? {
            Some(record) if self.visible(&record)? => Ok(Some(record)),
            _ => Ok(None),
        }
    }

    /// The visible resource holding unique `value`, if any: two store calls.
    pub fn find_unique(&self, value: &UniqueValue) -> Result<Option<ResourceRecord>, StorageError> {
        let Some(claim) = unique::holder(self.store, &self.claim_key(value))? else { return Ok(None) };
        let Some(id) = claim.id else { return Ok(None) };
        Ok(self.get(&id)?.filter(|r| r.unique.contains(value)))
    }

    /// Every listed id in listing order (may include ids of records not visible).
    pub fn ids(&self) -> Result<Vec<String>, StorageError> {
        Ok(self.list().all()?.into_iter().map(|(_, id)| id).collect())
    }

    /// The ids at 0-based positions `offset .. offset + count` of the listing, and the
    /// listing's length: two store calls whatever the offset.
    pub fn page(&self, offset: usize, count: usize) -> Result<super::chunked_list::Page, StorageError> {
        self.list().page(offset, count)
    }

    /// The visible records among `ids`, in the same order, with one store call (plus one per
    /// pending record).
    pub fn get_many(&self, ids: &[String]) -> Result<Vec<ResourceRecord>, StorageError> {
        let record_keys: Vec<String> = ids.iter().map(|id| self.key(id)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for (key, value) in record_keys.iter().zip(self.store.get_many(&record_keys)?) {
            let Some(bytes) = value else { continue };
            let record: ResourceRecord = decode(key, &bytes)?;
            if self.visible(&record)? {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// Replaces resource `id` with what `apply` makes of it, claiming new unique values and
    /// releasing dropped ones. `apply` may run more than once (on a concurrent change) and
    /// must be free of side effects. The version is incremented here.
    pub fn replace<E>(
        &self,
        id: &str,
        now: i64,
        mut apply: impl FnMut(&ResourceRecord) -> Result<ResourceRecord, E>,
    ) -> Result<ResourceRecord, WriteError<E>> {
        let key = self.key(id);
        let mut handle = self.store.cas(&key)?;
        let mut current = handle.current()?;
        for _ in 0..256 {
            let Some(bytes) = current else { return Err(WriteError::NotFound) };
            let old: ResourceRecord = decode(&key, &bytes)?;
            if !self.visible(&old)? {
                return Err(WriteError::NotFound);
            }
            let mut new = apply(&old).map_err(WriteError::Rejected)?;
            new.id = old.id.clone();
            new.chunk = old.chunk;
            new.created = old.created;
            new.state = RecordState::Live;
            new.version = old.version + 1;
            new.writes = old.writes.clone();
            let print = new.stamp();
            let added: Vec<UniqueValue> = new.unique.iter().filter(|v| !old.unique.contains(v)).cloned().collect();
            let dropped: Vec<UniqueValue> = old.unique.iter().filter(|v| !new.unique.contains(v)).cloned().collect();
            if let Some(attribute) = self.claim_all(id, &added, now)? {
                return Err(WriteError::Conflict(attribute));
            }
            let indexed: Vec<UniqueValue> = new.lookup.iter().filter(|v| !old.lookup.contains(v)).cloned().collect();
            let unindexed: Vec<UniqueValue> = old.lookup.iter().filter(|v| !new.lookup.contains(v)).cloned().collect();
            self.index_add(id, &indexed)?;
            // A store error here leaves the outcome unknown: the claims and index entries stay
            // (a claim whose record does not carry the value is free after the grace period;
            // the index is a superset), since the record may carry them now.
            let (fresh, now_bytes) = match crate::store::swap_settled(self.store, &key, handle, encode(&new))? {
                Swapped::Applied => (None, None),
                Swapped::Conflict { handle, current } => (Some(handle), current),
            };
            let now_record: Option<ResourceRecord> = now_bytes.as_deref().map(|b| decode(&key, b)).transpose()?;
            // Applied: reported so, or reported failed and then built upon by a later writer.
            let applied = fresh.is_none() || now_record.as_ref().is_some_and(|r| r.writes.contains(&print));
            match fresh {
                Some(fresh) if !applied => {
                    // Give back only what the record as it now stands does not carry.
                    let unclaim: Vec<UniqueValue> = added
                        .iter()
                        .filter(|v| !now_record.as_ref().is_some_and(|r| r.unique.contains(v)))
                        .cloned()
                        .collect();
                    let unindex: Vec<UniqueValue> = indexed
                        .iter()
                        .filter(|v| !now_record.as_ref().is_some_and(|r| r.lookup.contains(v)))
                        .cloned()
                        .collect();
                    self.release_all(id, &unclaim, now)?;
                    self.index_remove(id, &unindex)?;
                    (handle, current) = (fresh, now_bytes);
                }
                _ => {
                    self.release_all(id, &dropped, now)?;
                    self.index_remove(id, &unindexed)?;
                    return Ok(new);
                }
            }
        }
        Err(StorageError::Store(StoreError("too much contention on one resource".into())).into())
    }

    /// Deletes resource `id` if `allow` accepts its current record (e.g. an `If-Match`).
    pub fn delete<E>(
        &self,
        id: &str,
        now: i64,
        allow: impl Fn(&ResourceRecord) -> Result<(), E>,
    ) -> Result<(), WriteError<E>> {
        let key = self.key(id);
        let record = crate::store::update(self.store, &key, |current| {
            let Some(bytes) = current else { return Err(WriteError::NotFound) };
            let mut record: ResourceRecord = decode(&key, bytes)?;
            if !self.visible(&record)? {
                return Err(WriteError::NotFound);
            }
            allow(&record).map_err(WriteError::Rejected)?;
            record.state = RecordState::Deleted;
            record.last_modified = now;
            Ok(crate::store::Update::Write(encode(&record), record))
        })?;
        self.release_all(id, &record.unique, now)?;
        self.index_remove(id, &record.lookup)?;
        self.list().remove(record.chunk, id)?;
        self.store.delete(&key)?;
        Ok(())
    }
}

//! User summaries: the few fields End Users filters, searches and sorts on (~150 bytes per
//! user), kept in pages that mirror the chunks of each connection's user list, so that a
//! whole-tenant query reads one page per 1,024 users instead of every user record.
//!
//! Page `res-sum/{c}/u/{k}` = `{"rows": [summary…]}` holds the summaries of the ids in chunk
//! `k` of the user list. The list stays the truth of who is listed; a page is a cache of the
//! records, checked against its chunk on every read:
//! - writers upsert their record's summary after writing the record (create: before the
//!   commit; replace: after the swap) and remove it after marking the record `Deleted`;
//! - a row only ever moves to a higher record `version` (like the list directory's `seq`), so
//!   concurrent writers converge on the newest summary whatever order their upserts land in;
//! - a reader that finds a listed id without a row (an upsert still to come or cut short by a
//!   crash, a store written before summaries existed) reads that record and adds its row; a row whose id is no longer listed is ignored
//!   and dropped by that same write. Every write is a CAS.
//!
//! What a crash can leave: a row whose version is behind its record (between a replace's
//! record swap and its upsert): it filters and sorts by the previous values until the user's
//! next write or `idplex check --repair`; the page of results is always rendered from the
//! records themselves. Rows of records that are `Pending` or `Deleted` are skipped when the
//! page's records are read.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::{self, Kind};
use super::resources::ResourceRecord;
use super::{StorageError, decode, encode};
use crate::store::{KvStore, Update, update};

/// The most bytes a summary field takes once JSON-encoded: 6 such fields and the rest of a row
/// stay below 1,000 bytes, so a page of 1,024 rows stays below Spin's 1 MiB value limit
/// whatever the values. Longer values are cut (search and sort see their first ~120 bytes).
pub const FIELD_BYTES: usize = 120;

/// Keys read per store call when reading pages (list chunks ≈ 40 KB, pages ≈ 150 KB).
const KEYS_PER_CALL: usize = 32;

/// What End Users knows about a user without reading its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// SCIM id.
    #[serde(rename = "i")]
    pub id: String,
    /// The record version this summary was made from.
    #[serde(rename = "v")]
    pub version: u64,
    /// userName (cut to [`FIELD_BYTES`]).
    #[serde(rename = "u")]
    pub user_name: String,
    /// displayName, or a name formed from `name`.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// name.givenName.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// name.familyName.
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Primary (or first) email.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// externalId.
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The active flag (absent counts as active).
    #[serde(rename = "a")]
    pub active: bool,
    /// Creation time (ms).
    #[serde(rename = "c")]
    pub created: i64,
    /// Last change (ms).
    #[serde(rename = "m")]
    pub last_modified: i64,
}

/// The user fields End Users shows, read from a SCIM body (case-insensitive names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFields {
    /// userName.
    pub user_name: String,
    /// displayName, else `name.formatted`, else given and family name joined.
    pub display_name: Option<String>,
    /// name.givenName.
    pub given_name: Option<String>,
    /// name.familyName.
    pub family_name: Option<String>,
    /// The primary email, else the first.
    pub email: Option<String>,
    /// externalId.
    pub external_id: Option<String>,
    /// `active` (absent, `true` or anything but `"false"` counts as active).
    pub active: bool,
}

fn member<'v>(body: &'v Value, name: &str) -> Option<&'v Value> {
    body.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

fn text(body: &Value, name: &str) -> Option<String> {
    member(body, name).and_then(Value::as_str).map(str::to_owned)
}

impl UserFields {
    /// The fields of a SCIM user body.
    pub fn of(body: &Value) -> UserFields {
        let name = member(body, "name");
        let given_name = name.and_then(|n| text(n, "givenName")).filter(|s| !s.is_empty());
        let family_name = name.and_then(|n| text(n, "familyName")).filter(|s| !s.is_empty());
        let display_name = text(body, "displayName")
            .filter(|d| !d.is_empty())
            .or_else(|| name.and_then(|n| text(n, "formatted")).filter(|f| !f.is_empty()))
            .or_else(|| {
                let parts: Vec<&String> = [&given_name, &family_name].into_iter().flatten().collect();
                (!parts.is_empty()).then(|| parts.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            });
        let emails = member(body, "emails").and_then(Value::as_array);
        let email = emails.and_then(|emails| {
            let primary = emails.iter().find(|e| member(e, "primary").and_then(Value::as_bool) == Some(true));
            primary.or_else(|| emails.first()).and_then(|e| text(e, "value"))
        });
        UserFields {
            user_name: text(body, "userName").unwrap_or_default(),
            display_name,
            given_name,
            family_name,
            email,
            external_id: text(body, "externalId"),
            active: is_active(body),
        }
    }
}

/// Whether a SCIM `active` value means active (absent, `true`, or a string but `"false"`).
pub fn is_active(body: &Value) -> bool {
    match member(body, "active") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.eq_ignore_ascii_case("false"),
        _ => true,
    }
}

/// `value` cut so that its JSON encoding takes at most [`FIELD_BYTES`] bytes.
fn clip(value: String) -> String {
    let mut used = 2;
    for (at, c) in value.char_indices() {
        used += match c {
            '"' | '\\' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        };
        if used > FIELD_BYTES {
            return value[..at].to_owned();
        }
    }
    value
}

impl Summary {
    /// The summary of a user record.
    pub fn of(record: &ResourceRecord) -> Summary {
        let fields = UserFields::of(&record.body);
        Summary {
            id: record.id.clone(),
            version: record.version,
            user_name: clip(fields.user_name),
            display_name: fields.display_name.map(clip),
            given_name: fields.given_name.map(clip),
            family_name: fields.family_name.map(clip),
            email: fields.email.map(clip),
            external_id: fields.external_id.map(clip),
            active: fields.active,
            created: record.created,
            last_modified: record.last_modified,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SummaryPage {
    rows: Vec<Summary>,
}

#[derive(Deserialize)]
struct ListChunk {
    #[serde(default)]
    ids: Vec<String>,
}

/// The summary pages of one connection's users.
pub struct Summaries<'a> {
    store: &'a dyn KvStore,
    connection: &'a str,
}

impl<'a> Summaries<'a> {
    /// The summaries of `connection`'s users.
    pub fn new(store: &'a dyn KvStore, connection: &'a str) -> Self {
        Summaries { store, connection }
    }

    /// The key of page `chunk`.
    pub fn page_key(&self, chunk: u32) -> String {
        keys::chunk(&keys::resource_summaries(self.connection), chunk)
    }

    /// Puts `record`'s summary in page `chunk` (one CAS; creates the page when absent),
    /// unless the page holds a newer summary of the same user.
    pub fn upsert(&self, chunk: u32, record: &ResourceRecord) -> Result<(), StorageError> {
        if chunk == 0 {
            return Ok(());
        }
        self.change(chunk, true, vec![Summary::of(record)], &HashSet::new())
    }

    /// Removes user `id`'s summary from page `chunk` (one CAS; nothing if absent).
    pub fn remove(&self, chunk: u32, id: &str) -> Result<(), StorageError> {
        if chunk == 0 {
            return Ok(());
        }
        self.change(chunk, false, Vec::new(), &HashSet::from([id.to_owned()]))
    }

    /// Merges `rows` into page `chunk` (a row replaces one of the same id only with a higher
    /// version) and drops the rows of `dropped`; creates the page from absent only if `create`.
    pub(crate) fn change(
        &self,
        chunk: u32,
        create: bool,
        rows: Vec<Summary>,
        dropped: &HashSet<String>,
    ) -> Result<(), StorageError> {
        let key = self.page_key(chunk);
        update(self.store, &key, |current| {
            let mut page: SummaryPage = match current {
                None if !create => return Ok(Update::Keep(())),
                None => SummaryPage::default(),
                Some(bytes) => decode(&key, bytes)?,
            };
            let mut changed = current.is_none();
            let before = page.rows.len();
            page.rows.retain(|r| !dropped.contains(&r.id));
            changed |= page.rows.len() != before;
            let at: HashMap<String, usize> = page.rows.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
            for row in &rows {
                match at.get(&row.id) {
                    Some(&i) if page.rows[i].version >= row.version => {}
                    Some(&i) => {
                        page.rows[i] = row.clone();
                        changed = true;
                    }
                    None => {
                        page.rows.push(row.clone());
                        changed = true;
                    }
                }
            }
            Ok::<_, StorageError>(if changed { Update::Write(encode(&page), ()) } else { Update::Keep(()) })
        })
    }

    /// Every key the pages occupy, for `chunks` list chunks (for deleting the connection).
    pub fn storage_keys(&self, chunks: u32) -> Vec<String> {
        (1..=chunks).map(|n| self.page_key(n)).collect()
    }

    /// The stored rows of page `chunk`, if it exists (maintenance).
    pub(crate) fn read_page(&self, chunk: u32) -> Result<Option<Vec<Summary>>, StorageError> {
        let key = self.page_key(chunk);
        Ok(self.store.get(&key)?.map(|b| decode::<SummaryPage>(&key, &b)).transpose()?.map(|p| p.rows))
    }

    /// Builds the rows of listed ids that have none (reading their records), drops rows of ids
    /// no longer listed, and writes that back: returns the rows in listing order.
    fn reconcile(&self, chunk: u32, listed: &[String], rows: Vec<Summary>) -> Result<Vec<Summary>, StorageError> {
        let mut by_id: HashMap<String, Summary> = rows.into_iter().map(|r| (r.id.clone(), r)).collect();
        let listed_set: HashSet<&String> = listed.iter().collect();
        let dropped: HashSet<String> = by_id.keys().filter(|id| !listed_set.contains(id)).cloned().collect();
        let missing: Vec<&String> = listed.iter().filter(|id| !by_id.contains_key(*id)).collect();
        let mut built = Vec::new();
        if !missing.is_empty() {
            let record_keys: Vec<String> =
                missing.iter().map(|id| keys::resource(self.connection, Kind::User, id)).collect();
            for batch in record_keys.chunks(256) {
                for (key, value) in batch.iter().zip(self.store.get_many(batch)?) {
                    let Some(bytes) = value else { continue };
                    let record: ResourceRecord = decode(key, &bytes)?;
                    built.push(Summary::of(&record));
                }
            }
        }
        if !built.is_empty() || !dropped.is_empty() {
            self.change(chunk, true, built.clone(), &dropped)?;
        }
        for row in built {
            by_id.insert(row.id.clone(), row);
        }
        Ok(listed.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}

/// The summaries of every listed user of each of `connections`, in listing order: one call for
/// the list directories, then one `get-many` per 16 chunks (the chunk and its page), plus the
/// records of listed users a page does not summarise yet (written back for the next reader).
pub fn read_all(store: &dyn KvStore, connections: &[&str]) -> Result<Vec<Vec<Summary>>, StorageError> {
    let dir_keys: Vec<String> =
        connections.iter().map(|c| keys::chunk_directory(&keys::resource_list(c, Kind::User))).collect();
    let mut wanted: Vec<(usize, u32)> = Vec::new();
    for (i, (key, value)) in dir_keys.iter().zip(store.get_many(&dir_keys)?).enumerate() {
        let chunks = match value {
            None => 0,
            Some(bytes) => decode::<Vec<(usize, u64)>>(key, &bytes)?.len() as u32,
        };
        wanted.extend((1..=chunks).map(|n| (i, n)));
    }
    let mut out: Vec<Vec<Summary>> = vec![Vec::new(); connections.len()];
    for span in wanted.chunks(KEYS_PER_CALL / 2) {
        let mut span_keys = Vec::with_capacity(span.len() * 2);
        for (i, n) in span {
            span_keys.push(keys::chunk(&keys::resource_list(connections[*i], Kind::User), *n));
            span_keys.push(Summaries::new(store, connections[*i]).page_key(*n));
        }
        let values = store.get_many(&span_keys)?;
        for (j, (i, n)) in span.iter().enumerate() {
            let listed: Vec<String> = match &values[2 * j] {
                None => Vec::new(),
                Some(bytes) => decode::<ListChunk>(&span_keys[2 * j], bytes)?.ids,
            };
            let rows: Vec<Summary> = match &values[2 * j + 1] {
                None => Vec::new(),
                Some(bytes) => decode::<SummaryPage>(&span_keys[2 * j + 1], bytes)?.rows,
            };
            let in_order = rows.len() == listed.len() && rows.iter().zip(&listed).all(|(r, id)| &r.id == id);
            let page_exists = values[2 * j + 1].is_some() || listed.is_empty();
            if in_order && page_exists {
                out[*i].extend(rows);
            } else {
                out[*i].extend(Summaries::new(store, connections[*i]).reconcile(*n, &listed, rows)?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::storage::connections::RecordState;

    #[test]
    fn a_row_stays_small_whatever_the_values() {
        let huge = "\"\u{1}é".repeat(100_000);
        let body = json!({"userName": huge, "displayName": huge, "name": {"givenName": huge, "familyName": huge},
                          "emails": [{"value": huge}], "externalId": huge});
        let record = ResourceRecord {
            id: "0b5f3e4e-9f1c-4c1e-8a51-3c2d1e0f9a7b".into(),
            state: RecordState::Live,
            chunk: 1,
            version: u64::MAX,
            created: i64::MAX,
            last_modified: i64::MAX,
            unique: Vec::new(),
            lookup: Vec::new(),
            body,
            writes: Vec::new(),
        };
        let row = Summary::of(&record);
        assert!(encode(&row).len() <= 1_000, "{}", encode(&row).len());
        assert!(row.user_name.starts_with("\"\u{1}é") && !row.user_name.is_empty());
        assert_eq!(clip("short".into()), "short");
    }

    #[test]
    fn display_name_falls_back_to_formatted_then_given_and_family() {
        let fields = UserFields::of(&json!({"USERNAME": "u", "name": {"givenName": "Ada", "familyName": "Lovelace"}}));
        assert_eq!((fields.user_name.as_str(), fields.display_name.as_deref()), ("u", Some("Ada Lovelace")));
        let formatted = UserFields::of(&json!({"name": {"formatted": "Dr Ada", "givenName": "Ada"}}));
        assert_eq!(formatted.display_name.as_deref(), Some("Dr Ada"));
        let emails = json!({"emails": [{"value": "a@x"}, {"value": "b@x", "primary": true}], "active": "False"});
        let fields = UserFields::of(&emails);
        assert_eq!((fields.email.as_deref(), fields.active), (Some("b@x"), false));
    }
}

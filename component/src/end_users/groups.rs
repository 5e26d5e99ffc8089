//! The groups list: every group of every connection, filtered by connection, searched, sorted
//! and paged, each with its member count.
//!
//! Groups are not summarised: a query reads every group record of the connections in scope
//! (256 per `get-many`) and their member lists' directories (one `get-many` per 256 groups).
//! Tenants have groups by the hundred, not by the hundred thousand; see `docs/storage.md`.

use serde_json::Value;

use super::MAX_COUNT;
use super::query::{SortOrder, contains, scope};
use crate::app::App;
use crate::connection::ConnectionError;
use crate::storage::chunked_list::ChunkedList;
use crate::storage::connections::{self, ConnectionRecord};
use crate::storage::keys::{self, Kind};
use crate::storage::resources::Resources;
use crate::time::Timestamp;

/// What groups can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSortKey {
    /// displayName, case-insensitively.
    DisplayName,
    /// The connection's name, case-insensitively.
    Connection,
    /// Last change time.
    LastModified,
}

impl GroupSortKey {
    /// The key an API value names (`displayName`, `connection`, `lastModified`; case-insensitive).
    pub fn parse(value: &str) -> Option<GroupSortKey> {
        [
            ("displayName", GroupSortKey::DisplayName),
            ("connection", GroupSortKey::Connection),
            ("lastModified", GroupSortKey::LastModified),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, key)| key)
    }
}

/// Which groups to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupQuery {
    /// Only groups of these connections (all when empty).
    pub connections: Vec<String>,
    /// Case-insensitive substring of displayName or externalId.
    pub search: Option<String>,
    /// Sort key; listing order when absent.
    pub sort_by: Option<GroupSortKey>,
    /// Sort direction.
    pub sort_order: SortOrder,
    /// 1-based index of the first result.
    pub start_index: u32,
    /// Page size (capped at 500).
    pub count: u32,
}

/// One group of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndGroup {
    /// SCIM id.
    pub id: String,
    /// Connection id.
    pub connection_id: String,
    /// Connection name.
    pub connection_name: String,
    /// displayName.
    pub display_name: String,
    /// externalId.
    pub external_id: Option<String>,
    /// Number of direct members.
    pub member_count: u64,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Last change, RFC 3339.
    pub last_modified: String,
}

/// One page of groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPage {
    /// How many groups match in total.
    pub total_results: u64,
    /// 1-based index of the first group of the page.
    pub start_index: u32,
    /// The groups.
    pub groups: Vec<EndGroup>,
}

fn text(body: &Value, name: &str) -> Option<String> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

/// The groups of the connections in scope that match, sorted; `(group, connection name, last
/// change in ms)`.
fn matching(app: &App<'_>, query: &GroupQuery) -> Result<Vec<(EndGroup, i64)>, ConnectionError> {
    let all: Vec<ConnectionRecord> = connections::all(app.store)?;
    let in_scope = scope(&all, &query.connections)?;
    let needle = query.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    let mut found = Vec::new();
    for connection in all.iter().zip(in_scope).filter(|(_, yes)| *yes).map(|(c, _)| c) {
        let groups = Resources::new(app.store, &connection.id, Kind::Group);
        for batch in groups.ids()?.chunks(256) {
            let records = groups.get_many(batch)?;
            let prefixes: Vec<String> = records.iter().map(|r| keys::members(&connection.id, &r.id)).collect();
            let counts = ChunkedList::lengths_many(app.store, &prefixes)?;
            for (record, members) in records.into_iter().zip(counts) {
                let display_name = text(&record.body, "displayName").unwrap_or_default();
                let external_id = text(&record.body, "externalId");
                let hit = needle.as_deref().is_none_or(|n| {
                    contains(&display_name, n) || external_id.as_deref().is_some_and(|x| contains(x, n))
                });
                if !hit {
                    continue;
                }
                let group = EndGroup {
                    id: record.id.clone(),
                    connection_id: connection.id.clone(),
                    connection_name: connection.name.clone(),
                    display_name,
                    external_id,
                    member_count: members as u64,
                    created: Timestamp::from_millis(record.created).to_string(),
                    last_modified: Timestamp::from_millis(record.last_modified).to_string(),
                };
                found.push((group, record.last_modified));
            }
        }
    }
    if let Some(key) = query.sort_by {
        found.sort_by(|(a, am), (b, bm)| {
            let primary = match key {
                GroupSortKey::DisplayName => a.display_name.to_lowercase().cmp(&b.display_name.to_lowercase()),
                GroupSortKey::Connection => a.connection_name.to_lowercase().cmp(&b.connection_name.to_lowercase()),
                GroupSortKey::LastModified => am.cmp(bm),
            };
            let primary = if query.sort_order == SortOrder::Descending { primary.reverse() } else { primary };
            primary.then_with(|| a.id.cmp(&b.id))
        });
    }
    Ok(found)
}

/// Lists groups.
pub fn list(app: &App<'_>, query: &GroupQuery) -> Result<GroupPage, ConnectionError> {
    let start_index = query.start_index.max(1);
    let found = matching(app, query)?;
    let total_results = found.len() as u64;
    let groups = found
        .into_iter()
        .skip(start_index as usize - 1)
        .take(query.count.min(MAX_COUNT) as usize)
        .map(|(g, _)| g)
        .collect();
    Ok(GroupPage { total_results, start_index, groups })
}

//! Answering an End Users query from the tenant's user summaries: scope, filters, search,
//! duplicates, sort, then the page read from the records.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::{EndUser, MAX_COUNT, UserPage, enabled};
use crate::app::App;
use crate::connection::ConnectionError;
use crate::ids;
use crate::storage::connections::{self, ConnectionRecord};
use crate::storage::keys::Kind;
use crate::storage::resources::{ResourceRecord, Resources};
use crate::storage::summaries::{self, Summary, UserFields};
use crate::time::Timestamp;

/// What End Users can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// userName, case-insensitively.
    UserName,
    /// The name shown (displayName, else `name`), case-insensitively; users without one last.
    Name,
    /// The primary email, case-insensitively; users without one last.
    Email,
    /// The connection's name, case-insensitively.
    Connection,
    /// Last change time.
    LastModified,
}

impl SortKey {
    /// The key an API value names (`userName`, `name`, `email`, `connection`, `lastModified`;
    /// case-insensitive).
    pub fn parse(value: &str) -> Option<SortKey> {
        [
            ("userName", SortKey::UserName),
            ("name", SortKey::Name),
            ("email", SortKey::Email),
            ("connection", SortKey::Connection),
            ("lastModified", SortKey::LastModified),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, key)| key)
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// Smallest first (the default).
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

impl SortOrder {
    /// The order an API value names (`ascending`, `descending`; case-insensitive).
    pub fn parse(value: &str) -> Option<SortOrder> {
        if value.eq_ignore_ascii_case("ascending") {
            Some(SortOrder::Ascending)
        } else if value.eq_ignore_ascii_case("descending") {
            Some(SortOrder::Descending)
        } else {
            None
        }
    }
}

/// Which users to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Only users of these connections (all when empty).
    pub connections: Vec<String>,
    /// Only active (`Some(true)`) or inactive (`Some(false)`) users.
    pub active: Option<bool>,
    /// Case-insensitive substring of userName, display name, given or family name, email or
    /// externalId.
    pub search: Option<String>,
    /// Sort key; listing order (connections oldest first, users in creation order) when absent.
    pub sort_by: Option<SortKey>,
    /// Sort direction.
    pub sort_order: SortOrder,
    /// Only users flagged as duplicates (`duplicates=email`).
    pub duplicates: bool,
    /// 1-based index of the first result.
    pub start_index: u32,
    /// Page size (capped at [`MAX_COUNT`]).
    pub count: u32,
}

/// A summary that matched, with what sorting and flagging need.
struct Candidate<'s> {
    connection: usize,
    summary: &'s Summary,
    duplicate: bool,
}

/// The connections a query covers, by index into `all`; unknown ids are `NotFound`.
pub(crate) fn scope(all: &[ConnectionRecord], wanted: &[String]) -> Result<Vec<bool>, ConnectionError> {
    if wanted.is_empty() {
        return Ok(vec![true; all.len()]);
    }
    let mut in_scope = vec![false; all.len()];
    for id in wanted {
        let at = ids::is_connection_id(id).then(|| all.iter().position(|c| &c.id == id)).flatten();
        in_scope[at.ok_or(ConnectionError::NotFound)?] = true;
    }
    Ok(in_scope)
}

/// Whether `haystack` contains the lowercase `needle`, case-insensitively.
pub(crate) fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}

fn matches(summary: &Summary, needle: &str) -> bool {
    std::iter::once(&summary.user_name)
        .chain(
            [&summary.display_name, &summary.given_name, &summary.family_name, &summary.email, &summary.external_id]
                .into_iter()
                .flatten(),
        )
        .any(|field| contains(field, needle))
}

/// Lowercase primary emails → in how many connections (1, or 2 meaning "more than one").
fn email_spread(summaries: &[Vec<Summary>]) -> HashMap<String, (usize, bool)> {
    let mut spread: HashMap<String, (usize, bool)> = HashMap::new();
    for (connection, rows) in summaries.iter().enumerate() {
        for email in rows.iter().filter_map(|s| s.email.as_deref()).filter(|e| !e.is_empty()) {
            spread
                .entry(email.to_lowercase())
                .and_modify(|(first, many)| *many |= *first != connection)
                .or_insert((connection, false));
        }
    }
    spread
}

/// The sort key of one candidate: `None` sorts last in either direction.
fn sort_value(key: SortKey, all: &[ConnectionRecord], c: &Candidate<'_>) -> Option<String> {
    match key {
        SortKey::UserName => Some(c.summary.user_name.to_lowercase()),
        SortKey::Name => c.summary.display_name.as_deref().map(str::to_lowercase),
        SortKey::Email => c.summary.email.as_deref().map(str::to_lowercase),
        SortKey::Connection => Some(all[c.connection].name.to_lowercase()),
        SortKey::LastModified => Some(format!("{:020}", c.summary.last_modified.max(0))),
    }
}

fn sort(candidates: &mut Vec<Candidate<'_>>, all: &[ConnectionRecord], key: SortKey, order: SortOrder) {
    let mut keyed: Vec<(Option<String>, String, Candidate<'_>)> = candidates
        .drain(..)
        .map(|c| {
            let tie = format!("{}\u{0}{}", c.summary.user_name.to_lowercase(), c.summary.id);
            (sort_value(key, all, &c), tie, c)
        })
        .collect();
    keyed.sort_by(|(a, ta, _), (b, tb, _)| {
        let primary = match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) if order == SortOrder::Descending => b.cmp(a),
            (Some(a), Some(b)) => a.cmp(b),
        };
        primary.then_with(|| ta.cmp(tb))
    });
    candidates.extend(keyed.into_iter().map(|(_, _, c)| c));
}

fn end_user(connection: &ConnectionRecord, record: &ResourceRecord, duplicate: bool) -> EndUser {
    let fields = UserFields::of(&record.body);
    EndUser {
        id: record.id.clone(),
        connection_id: connection.id.clone(),
        connection_name: connection.name.clone(),
        connection_enabled: enabled(connection),
        user_name: fields.user_name,
        display_name: fields.display_name,
        given_name: fields.given_name,
        family_name: fields.family_name,
        email: fields.email,
        external_id: fields.external_id,
        active: fields.active,
        created: Timestamp::from_millis(record.created).to_string(),
        last_modified: Timestamp::from_millis(record.last_modified).to_string(),
        duplicate,
    }
}

/// Lists End Users: reads every connection's summaries (duplicates are judged across the
/// whole tenant), filters, sorts and pages them, then reads the page's records, one
/// `get-many` per connection on the page. A page's record that is no longer visible (deleted
/// or never committed since its summary was read) is left out.
pub fn list(app: &App<'_>, query: &UserQuery) -> Result<UserPage, ConnectionError> {
    let start_index = query.start_index.max(1);
    let count = query.count.min(MAX_COUNT) as usize;
    let all = connections::all(app.store)?;
    let in_scope = scope(&all, &query.connections)?;
    let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    let summaries = summaries::read_all(app.store, &ids)?;
    let spread = email_spread(&summaries);
    let needle = query.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for (connection, rows) in summaries.iter().enumerate().filter(|(i, _)| in_scope[*i]) {
        for summary in rows {
            if query.active.is_some_and(|a| a != summary.active) {
                continue;
            }
            if needle.as_deref().is_some_and(|n| !matches(summary, n)) {
                continue;
            }
            let duplicate =
                summary.email.as_deref().and_then(|e| spread.get(&e.to_lowercase())).is_some_and(|(_, many)| *many);
            if query.duplicates && !duplicate {
                continue;
            }
            candidates.push(Candidate { connection, summary, duplicate });
        }
    }
    if let Some(key) = query.sort_by {
        sort(&mut candidates, &all, key, query.sort_order);
    }
    let total_results = candidates.len() as u64;
    let page: Vec<&Candidate<'_>> = candidates.iter().skip(start_index as usize - 1).take(count).collect();
    let mut records: HashMap<(usize, String), ResourceRecord> = HashMap::new();
    for (connection, record) in all.iter().enumerate() {
        let wanted: Vec<String> =
            page.iter().filter(|c| c.connection == connection).map(|c| c.summary.id.clone()).collect();
        if wanted.is_empty() {
            continue;
        }
        for found in Resources::new(app.store, &record.id, Kind::User).get_many(&wanted)? {
            records.insert((connection, found.id.clone()), found);
        }
    }
    let users = page
        .iter()
        .filter_map(|c| {
            let record = records.get(&(c.connection, c.summary.id.clone()))?;
            Some(end_user(&all[c.connection], record, c.duplicate))
        })
        .collect();
    Ok(UserPage { total_results, start_index, users })
}

//! The End Users list: all users of all connections in one place, each with the connection
//! it came from; filterable by connection, searchable, paged.

use serde_json::Value;

use crate::app::App;
use crate::connection::ConnectionError;
use crate::ids;
use crate::storage::connections::{self, ConnectionRecord};
use crate::storage::keys::Kind;
use crate::storage::resources::{ResourceRecord, Resources};
use crate::storage::stats;
use crate::time::Timestamp;

/// The largest page returned.
pub const MAX_COUNT: u32 = 500;

/// Which users to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Only users of this connection.
    pub connection: Option<String>,
    /// Case-insensitive substring of userName, displayName, email or externalId.
    pub search: Option<String>,
    /// 1-based index of the first result.
    pub start_index: u32,
    /// Page size (capped at [`MAX_COUNT`]).
    pub count: u32,
}

/// One user of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndUser {
    /// SCIM id.
    pub id: String,
    /// Connection id.
    pub connection_id: String,
    /// Connection name.
    pub connection_name: String,
    /// SCIM userName.
    pub user_name: String,
    /// displayName, or a name formed from `name`.
    pub display_name: Option<String>,
    /// Primary (or first) email.
    pub email: Option<String>,
    /// externalId.
    pub external_id: Option<String>,
    /// active flag (absent counts as active).
    pub active: bool,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Last change, RFC 3339.
    pub last_modified: String,
}

/// One page of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// How many users match in total.
    pub total_results: u64,
    /// 1-based index of the first user of the page.
    pub start_index: u32,
    /// The users.
    pub users: Vec<EndUser>,
}

fn text(body: &Value, name: &str) -> Option<String> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

fn display_name(body: &Value) -> Option<String> {
    if let Some(d) = text(body, "displayName").filter(|d| !d.is_empty()) {
        return Some(d);
    }
    let name = body.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("name"))?.1;
    if let Some(f) = text(name, "formatted").filter(|f| !f.is_empty()) {
        return Some(f);
    }
    let parts: Vec<String> = [text(name, "givenName"), text(name, "familyName")].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn email(body: &Value) -> Option<String> {
    let emails = body.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("emails"))?.1.as_array()?;
    let primary = emails.iter().find(|e| e.get("primary").and_then(Value::as_bool) == Some(true));
    primary.or_else(|| emails.first()).and_then(|e| text(e, "value"))
}

/// Whether a SCIM `active` value means active (absent, `true`, or the string `"true"`).
pub fn is_active(body: &Value) -> bool {
    let Some((_, v)) = body.as_object().and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("active"))) else {
        return true;
    };
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => !s.eq_ignore_ascii_case("false"),
        _ => true,
    }
}

fn end_user(connection: &ConnectionRecord, record: &ResourceRecord) -> EndUser {
    EndUser {
        id: record.id.clone(),
        connection_id: connection.id.clone(),
        connection_name: connection.name.clone(),
        user_name: text(&record.body, "userName").unwrap_or_default(),
        display_name: display_name(&record.body),
        email: email(&record.body),
        external_id: text(&record.body, "externalId"),
        active: is_active(&record.body),
        created: Timestamp::from_millis(record.created).to_string(),
        last_modified: Timestamp::from_millis(record.last_modified).to_string(),
    }
}

fn matches(user: &EndUser, needle: &str) -> bool {
    [Some(&user.user_name), user.display_name.as_ref(), user.email.as_ref(), user.external_id.as_ref()]
        .into_iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(needle))
}

/// Lists End Users. Without a search, reads only the connections overlapping the page; a
/// search reads every user of the connections in scope.
pub fn list(app: &App<'_>, query: &UserQuery) -> Result<UserPage, ConnectionError> {
    let start_index = query.start_index.max(1);
    let count = query.count.min(MAX_COUNT);
    let scope: Vec<ConnectionRecord> = match &query.connection {
        Some(id) => {
            let record = ids::is_connection_id(id).then(|| connections::get(app.store, id)).transpose()?.flatten();
            vec![record.ok_or(ConnectionError::NotFound)?]
        }
        None => connections::all(app.store)?,
    };
    let needle = query.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    let skip = (start_index - 1) as usize;
    if let Some(needle) = needle {
        let mut found = Vec::new();
        for connection in &scope {
            let users = Resources::new(app.store, &connection.id, Kind::User);
            for batch in users.ids()?.chunks(256) {
                found.extend(
                    users.get_many(batch)?.iter().map(|r| end_user(connection, r)).filter(|u| matches(u, &needle)),
                );
            }
        }
        let total_results = found.len() as u64;
        let users = found.into_iter().skip(skip).take(count as usize).collect();
        return Ok(UserPage { total_results, start_index, users });
    }
    // One store call for every connection's user count (the listing directories).
    let scope_ids: Vec<&str> = scope.iter().map(|c| c.id.as_str()).collect();
    let lengths: Vec<usize> = stats::read_many(app.store, &scope_ids)?.iter().map(|s| s.users as usize).collect();
    let total_results = lengths.iter().sum::<usize>() as u64;
    let mut users = Vec::new();
    let mut offset = skip;
    for (connection, length) in scope.iter().zip(lengths) {
        if users.len() >= count as usize {
            break;
        }
        if offset >= length {
            offset -= length;
            continue;
        }
        let resources = Resources::new(app.store, &connection.id, Kind::User);
        let page = resources.page(offset, count as usize - users.len())?;
        offset = 0;
        users.extend(resources.get_many(&page.ids)?.iter().map(|r| end_user(connection, r)));
    }
    Ok(UserPage { total_results, start_index, users })
}

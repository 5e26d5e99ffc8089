//! One End User in full: the SCIM resource as its IdP sees it, its groups and its connection.

use serde_json::Value;

use super::enabled;
use crate::app::App;
use crate::connection::{ConnectionError, scim_url};
use crate::ids;
use crate::scim::membership;
use crate::scim::render::render;
use crate::scim::resource_type::USER;
use crate::storage::connections::{self, ConnectionRecord};
use crate::storage::keys::Kind;
use crate::storage::resources::Resources;
use crate::storage::summaries::UserFields;

/// A group a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The group's SCIM id.
    pub id: String,
    /// Its displayName.
    pub display_name: String,
}

/// One user in full.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDetail {
    /// The full SCIM resource (with `id`, `meta` and `groups`), as `GET /Users/{id}` renders it.
    pub user: Value,
    /// The groups the user belongs to directly, by displayName.
    pub groups: Vec<GroupRef>,
    /// The connection the user came from.
    pub connection: ConnectionRecord,
    /// Whether that connection is enabled.
    pub connection_enabled: bool,
    /// The primary (or first) email, for callers that show a summary.
    pub email: Option<String>,
}

/// User `id` of connection `connection` (`None`: the connection has no visible user with that
/// id; `NotFound`: no live connection has that id): five store calls (connection, record,
/// group hints, membership entries, group records).
pub fn get(
    app: &App<'_>,
    connection: &str,
    id: &str,
    base: Option<&str>,
) -> Result<Option<UserDetail>, ConnectionError> {
    let record = ids::is_connection_id(connection)
        .then(|| connections::get(app.store, connection))
        .transpose()?
        .flatten()
        .ok_or(ConnectionError::NotFound)?;
    let Some(user) = Resources::new(app.store, &record.id, Kind::User).get(id)? else { return Ok(None) };
    let scim_base = scim_url(base, &record.id);
    let mut rendered = vec![render(&USER, &user, &scim_base)];
    membership::add_groups(app, &record.id, &scim_base, &mut rendered)?;
    let user_value = rendered.pop().unwrap_or_default();
    let mut groups: Vec<GroupRef> = user_value
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|g| GroupRef {
            id: g["value"].as_str().unwrap_or_default().to_owned(),
            display_name: g["display"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    groups.sort_by_key(|g| g.display_name.to_lowercase());
    Ok(Some(UserDetail {
        user: user_value,
        groups,
        connection_enabled: enabled(&record),
        connection: record,
        email: UserFields::of(&user.body).email,
    }))
}

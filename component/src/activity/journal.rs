//! Audit events and the journal a request collects them in.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The tenant's administrator (admin API, console, WIT `admin` export).
    Admin,
    /// The connection's SCIM client: its Identity Provider.
    Idp,
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// A user was created.
    #[serde(rename = "user.created")]
    UserCreated,
    /// A user was changed (other than its `active` flag alone).
    #[serde(rename = "user.updated")]
    UserUpdated,
    /// A user's `active` went from true to false.
    #[serde(rename = "user.deactivated")]
    UserDeactivated,
    /// A user's `active` went from false to true.
    #[serde(rename = "user.reactivated")]
    UserReactivated,
    /// A user was deleted.
    #[serde(rename = "user.deleted")]
    UserDeleted,
    /// A group was created.
    #[serde(rename = "group.created")]
    GroupCreated,
    /// A group (or its membership) was changed.
    #[serde(rename = "group.updated")]
    GroupUpdated,
    /// A group was deleted.
    #[serde(rename = "group.deleted")]
    GroupDeleted,
    /// A connection was created.
    #[serde(rename = "connection.created")]
    ConnectionCreated,
    /// A connection was renamed.
    #[serde(rename = "connection.renamed")]
    ConnectionRenamed,
    /// A connection's token was regenerated.
    #[serde(rename = "connection.token_regenerated")]
    TokenRegenerated,
    /// A connection was disabled.
    #[serde(rename = "connection.disabled")]
    ConnectionDisabled,
    /// A connection was enabled again.
    #[serde(rename = "connection.enabled")]
    ConnectionEnabled,
    /// A connection's settings changed (e.g. accepting unknown extensions).
    #[serde(rename = "connection.updated")]
    ConnectionUpdated,
    /// A connection was deleted.
    #[serde(rename = "connection.deleted")]
    ConnectionDeleted,
}

impl Action {
    /// The action's name as the API shows it, e.g. `user.created`.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// One audit event. Never holds a token, a password or any attribute value: only who, what,
/// when and which resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event's number in the tenant's feed (set when stored; 0 before).
    #[serde(default)]
    pub seq: i64,
    /// When (ms since the epoch).
    pub at: i64,
    /// Who.
    pub actor: Actor,
    /// The connection it concerns.
    pub connection_id: String,
    /// The connection's name at the time.
    pub connection_name: String,
    /// What.
    pub action: Action,
    /// `User`, `Group` or `Connection`.
    pub resource_type: String,
    /// The SCIM id of the resource, or the connection id.
    pub resource_id: String,
    /// A short non-secret detail (e.g. the new name of a renamed connection, the grace period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// How the event changes the connection's count of inactive users (not stored).
    #[serde(skip)]
    pub inactive_delta: i8,
}

/// The audit events one request produced, in order.
#[derive(Debug, Default)]
pub struct Journal {
    events: RefCell<Vec<Event>>,
}

impl Journal {
    /// Adds an event.
    pub fn push(&self, event: Event) {
        self.events.borrow_mut().push(event);
    }

    /// The events so far, leaving the journal empty.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut self.events.borrow_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_have_dotted_names() {
        assert_eq!(Action::UserDeactivated.name(), "user.deactivated");
        assert_eq!(Action::TokenRegenerated.name(), "connection.token_regenerated");
    }
}

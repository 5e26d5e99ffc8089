//! The resource types this server offers, and what differs between them.

use serde_json::{Map, Value};

use super::schema::{GROUP_SCHEMA, ResourceSchema, USER_SCHEMA};
use crate::storage::keys::Kind;
use crate::storage::resources::UniqueValue;

/// One SCIM resource type (`User`, ...).
pub struct ResourceType {
    /// The resource type name, as in `meta.resourceType`.
    pub name: &'static str,
    /// The endpoint below the connection's base URL, e.g. `/Users`.
    pub endpoint: &'static str,
    /// Its schema.
    pub schema: &'static ResourceSchema<'static>,
    /// How it is keyed in storage.
    pub kind: Kind,
    /// The unique values a body holds (attribute name, normalised value).
    pub unique: fn(&Map<String, Value>) -> Vec<UniqueValue>,
    /// The attribute whose `eq` filter is answered from the unique index.
    pub indexed: Option<&'static str>,
    /// The (non-unique, case-exact) looked-up values a body holds; their `eq` filters are
    /// answered from the lookup index.
    pub lookup: fn(&Map<String, Value>) -> Vec<UniqueValue>,
    /// The attribute computed from group memberships (`groups` of users, `members` of
    /// groups), not stored in the resource's own document.
    pub computed: Computed,
}

/// A computed, membership-backed attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Computed {
    /// The read-only `groups` of a user.
    Groups,
    /// The `members` of a group (written through membership operations).
    Members,
}

impl Computed {
    /// The attribute name.
    pub fn attribute(self) -> &'static str {
        match self {
            Computed::Groups => "groups",
            Computed::Members => "members",
        }
    }
}

fn user_unique(body: &Map<String, Value>) -> Vec<UniqueValue> {
    body.get("userName")
        .and_then(Value::as_str)
        .map(|u| vec![("userName".to_owned(), u.to_lowercase())])
        .unwrap_or_default()
}

/// `externalId` (case-exact, RFC 7643 §3.1), the IdP's own key for a resource.
fn external_id(body: &Map<String, Value>) -> Vec<UniqueValue> {
    body.get("externalId")
        .and_then(Value::as_str)
        .map(|e| vec![("externalId".to_owned(), e.to_owned())])
        .unwrap_or_default()
}

fn group_unique(body: &Map<String, Value>) -> Vec<UniqueValue> {
    body.get("displayName")
        .and_then(Value::as_str)
        .map(|d| vec![("displayName".to_owned(), d.to_lowercase())])
        .unwrap_or_default()
}

/// The `User` resource type.
pub static USER: ResourceType = ResourceType {
    name: "User",
    endpoint: "/Users",
    schema: &USER_SCHEMA,
    kind: Kind::User,
    unique: user_unique,
    indexed: Some("userName"),
    lookup: external_id,
    computed: Computed::Groups,
};

/// The `Group` resource type.
pub static GROUP: ResourceType = ResourceType {
    name: "Group",
    endpoint: "/Groups",
    schema: &GROUP_SCHEMA,
    kind: Kind::Group,
    unique: group_unique,
    indexed: Some("displayName"),
    lookup: external_id,
    computed: Computed::Members,
};

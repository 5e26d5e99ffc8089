//! The core `Group` schema (RFC 7643 §4.2).

use super::attribute::Attribute as A;

/// URN of the core Group schema.
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

const MEMBER: &[A<'static>] = &[
    A::string("value").case_exact().immutable().describe("Identifier of the member of this Group."),
    A::reference("$ref").refers_to(&["User", "Group"]).immutable(),
    A::string("display").read_only(),
    A::string("type").canonical(&["User", "Group"]).immutable(),
];

/// Attributes of the core Group schema.
pub static GROUP_ATTRIBUTES: &[A<'static>] = &[
    A::string("displayName").required().describe("A human-readable name for the Group."),
    A::complex("members", MEMBER).multi().describe("A list of members of the Group."),
];

//! What a connection may store under extension schema URNs, beyond what
//! [`super::normalize`] checks attribute by attribute.
//!
//! - An extension object whose URN no schema describes (built-in or registered) is kept as
//!   sent only when the connection accepts unknown extensions
//!   ([`crate::storage::connections::ConnectionRecord::accept_unknown_extensions`]); otherwise
//!   the write is refused with 400 `invalidValue`. An unknown extension already stored and
//!   sent back unchanged is always kept, so turning the setting off never blocks updates of
//!   resources written before.
//! - A registered extension present in a resource must hold its `required` attributes.
//! - An `immutable` extension attribute, once it has a value, keeps it (400 `mutability`).

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::normalize::is_urn;
use super::schema::{Mutability, ResourceSchema};

/// What a connection's settings allow a write to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Whether unknown extension objects are kept.
    pub accept_unknown: bool,
}

fn member<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// Checks a normalised body about to be stored; `before` is the stored body it replaces
/// (PUT, PATCH), `None` for a create.
pub fn check(
    schema: &ResourceSchema<'_>,
    policy: Policy,
    body: &Map<String, Value>,
    before: Option<&Map<String, Value>>,
) -> Result<(), ScimError> {
    for (urn, value) in body.iter().filter(|(k, _)| is_urn(k)) {
        let Some(attributes) = schema.attributes_of(Some(urn)) else {
            let unchanged = before.and_then(|b| member(b, urn)) == Some(value);
            if !policy.accept_unknown && !unchanged {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!(
                        "{urn} is not a schema this connection knows; an admin registers it, or lets the connection accept unknown extensions"
                    ),
                ));
            }
            continue;
        };
        let Value::Object(extension) = value else { continue };
        for attribute in attributes.iter().filter(|a| a.required) {
            if member(extension, attribute.name).is_none() {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("{urn}:{} is required", attribute.name),
                ));
            }
        }
    }
    let Some(before) = before else { return Ok(()) };
    for (urn, attributes) in schema.all_extensions() {
        let old = member(before, urn).and_then(Value::as_object);
        let new = member(body, urn).and_then(Value::as_object);
        for attribute in attributes.iter().filter(|a| a.mutability == Mutability::Immutable) {
            let was = old.and_then(|o| member(o, attribute.name));
            if was.is_some() && was != new.and_then(|n| member(n, attribute.name)) {
                return Err(ScimError::bad_request(
                    ScimType::Mutability,
                    format!("{urn}:{} is immutable and already has a value", attribute.name),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::normalize::normalize_request;
    use crate::scim::schema::custom::{CustomSchema, SubAttributes, extensions};
    use crate::scim::schema::{USER, USER_SCHEMA};
    use serde_json::json;

    const ACME: &str = "urn:acme:scim:1.0:User";
    const OTHER: &str = "urn:other:scim:1.0:User";

    fn defs() -> Vec<CustomSchema> {
        vec![
            CustomSchema::parse(json!({"id": ACME, "resourceType": "User", "attributes": [
                {"name": "badge", "type": "integer", "required": true},
                {"name": "hired", "type": "dateTime", "mutability": "immutable"}
            ]}))
            .expect("valid"),
        ]
    }

    fn written(
        schema: &ResourceSchema<'_>,
        accept_unknown: bool,
        body: Value,
        before: Option<&Map<String, Value>>,
    ) -> Result<Map<String, Value>, ScimError> {
        let body = normalize_request(schema, body)?;
        check(schema, Policy { accept_unknown }, &body, before)?;
        Ok(body)
    }

    #[test]
    fn registered_extensions_are_type_checked_and_unknown_ones_follow_the_setting() {
        let defs = defs();
        let subs = SubAttributes::of(&defs);
        let custom = extensions(&defs, &subs);
        let schema = USER_SCHEMA.with_custom(&custom);
        let user = |ext: Value| json!({"schemas": [USER, ACME, OTHER], "userName": "a", ACME: ext});
        let ok = written(&schema, false, user(json!({"BADGE": "7"})), None);
        assert_eq!(ok.err().map(|e| e.scim_type), Some(Some(ScimType::InvalidValue)), "a string is not an integer");
        let ok = written(&schema, false, user(json!({"BADGE": 7})), None).expect("valid");
        assert_eq!(ok[ACME], json!({"badge": 7}), "the registered name's spelling is kept");
        let e = written(&schema, false, user(json!({"hired": "2020-01-01T00:00:00Z"})), None).expect_err("required");
        assert!(e.detail.contains("badge"), "{}", e.detail);
        let e = written(&schema, false, user(json!({"badge": 1, "shoe": 42})), None).expect_err("unknown attribute");
        assert!(e.detail.contains("shoe"), "{}", e.detail);

        let unknown = json!({"schemas": [USER, OTHER], "userName": "a", OTHER: {"x": 1}});
        let e = written(&schema, false, unknown.clone(), None).expect_err("unknown refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        let stored = written(&schema, true, unknown.clone(), None).expect("unknown kept");
        assert_eq!(stored[OTHER], json!({"x": 1}));
        written(&schema, false, unknown, Some(&stored)).expect("kept unchanged even when off");
        let changed = json!({"schemas": [USER, OTHER], "userName": "a", OTHER: {"x": 2}});
        written(&schema, false, changed, Some(&stored)).expect_err("not changed when off");
    }

    #[test]
    fn an_immutable_extension_attribute_keeps_its_first_value() {
        let defs = defs();
        let subs = SubAttributes::of(&defs);
        let custom = extensions(&defs, &subs);
        let schema = USER_SCHEMA.with_custom(&custom);
        let user = |hired: &str| json!({"schemas": [USER, ACME], "userName": "a", ACME: {"badge": 1, "hired": hired}});
        let first = written(&schema, false, user("2020-01-01T00:00:00Z"), None).expect("set");
        written(&schema, false, user("2020-01-01T00:00:00Z"), Some(&first)).expect("same value");
        let e = written(&schema, false, user("2021-01-01T00:00:00Z"), Some(&first)).expect_err("changed");
        assert_eq!(e.scim_type, Some(ScimType::Mutability));
    }
}

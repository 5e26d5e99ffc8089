//! Turning a client's resource JSON into what is stored: canonical attribute names, values
//! checked against their schema types (with the two coercions IdPs need: boolean strings, and
//! numbers into non-identifying strings) and bounds, read-only and write-only attributes
//! dropped, `schemas` recomputed. Unknown extension schemas are kept intact; an unknown
//! attribute without a schema URN is an error.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::schema::{Attribute, Mutability, ResourceSchema, Type};

fn invalid(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

/// Whether a member name is a schema URN (an extension object, or a qualified attribute).
pub fn is_urn(name: &str) -> bool {
    name.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

pub use super::limits::{MAX_BINARY_CHARS, MAX_IDENTIFIER_CHARS, MAX_RESOURCE_BYTES, MAX_STRING_CHARS};

/// Attributes that identify a resource to people and IdPs; they may hold no control
/// character (a NUL or a line break in a `userName` only ever hides one user as another).
pub const IDENTIFIERS: &[&str] = &["userName", "displayName", "externalId"];

fn is_identifier(attribute: &Attribute) -> bool {
    IDENTIFIERS.iter().any(|n| n.eq_ignore_ascii_case(attribute.name))
}

/// Checks a string value of `attribute` against its bounds.
fn check_string(attribute: &Attribute, value: &str, at: &str) -> Result<(), ScimError> {
    let identifier = is_identifier(attribute);
    let max = match attribute.kind {
        Type::Binary => MAX_BINARY_CHARS,
        _ if identifier => MAX_IDENTIFIER_CHARS,
        _ => MAX_STRING_CHARS,
    };
    if value.chars().count() > max {
        return Err(invalid(format!("{at} is longer than {max} characters")));
    }
    if identifier && value.chars().any(char::is_control) {
        return Err(invalid(format!("{at} holds a control character")));
    }
    if value.contains('\0') {
        return Err(invalid(format!("{at} holds a NUL character")));
    }
    Ok(())
}

/// Coerces one scalar value to `attribute`'s type.
fn coerce_scalar(attribute: &Attribute, value: Value, at: &str) -> Result<Value, ScimError> {
    if let Value::String(s) = &value {
        check_string(attribute, s, at)?;
    }
    match (attribute.kind, value) {
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        (Type::Boolean, v @ Value::Bool(_)) => Ok(v),
        (Type::Boolean, _) => Err(invalid(format!("{at} must be a boolean"))),
        (Type::String | Type::Reference | Type::Binary | Type::DateTime, v @ Value::String(_)) => Ok(v),
        // IdPs map numeric HR fields (employeeNumber, costCenter) into string attributes; an
        // identifier is never coerced (`"userName": 123` is a client bug, not a name).
        (Type::String, Value::Number(n)) if !is_identifier(attribute) => Ok(Value::String(n.to_string())),
        (Type::String | Type::Reference | Type::Binary | Type::DateTime, _) => {
            Err(invalid(format!("{at} must be a string")))
        }
        (Type::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
        (Type::Integer, _) => Err(invalid(format!("{at} must be an integer"))),
        (Type::Decimal, v @ Value::Number(_)) => Ok(v),
        (Type::Decimal, _) => Err(invalid(format!("{at} must be a number"))),
        (Type::Complex, v) => Err(invalid(format!("{at} must be an object, not {v}"))),
    }
}

/// Normalises one value of `attribute` (a scalar or one complex value).
fn normalize_single(attribute: &Attribute, value: Value, at: &str) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if attribute.kind != Type::Complex {
        return coerce_scalar(attribute, value, at).map(Some);
    }
    let Value::Object(members) = value else {
        return Err(invalid(format!("{at} must be an object")));
    };
    let mut out = Map::new();
    for (name, value) in members {
        let Some(sub) = attribute.sub_attribute(&name) else {
            return Err(invalid(format!("{at}.{name} is not a sub-attribute of {}", attribute.name)));
        };
        if matches!(sub.mutability, Mutability::ReadOnly) && attribute.mutability != Mutability::ReadOnly {
            continue;
        }
        if let Some(v) = normalize_single(sub, value, &format!("{at}.{}", sub.name))? {
            out.insert(sub.name.to_owned(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// Normalises the value of `attribute`; `None` when it amounts to no value.
pub fn normalize_value(attribute: &Attribute, value: Value, at: &str) -> Result<Option<Value>, ScimError> {
    if !attribute.multi_valued {
        if let Value::Array(_) = value {
            return Err(invalid(format!("{at} is single-valued")));
        }
        return normalize_single(attribute, value, at);
    }
    let values = match value {
        Value::Null => return Ok(None),
        Value::Array(values) => values,
        single => vec![single],
    };
    let mut out = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        if let Some(v) = normalize_single(attribute, value, &format!("{at}[{i}]"))? {
            out.push(v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// Normalises the members of one schema's object (core top level or an extension object).
fn normalize_members(
    attributes: &[Attribute],
    common: &[Attribute],
    members: Map<String, Value>,
    out: &mut Map<String, Value>,
    prefix: &str,
) -> Result<(), ScimError> {
    for (name, value) in members {
        let found = attributes.iter().chain(common).find(|a| a.name.eq_ignore_ascii_case(&name));
        if found.is_none() && value.is_null() {
            // Null is "unassigned" (RFC 7643 §2.5): nothing to store, nothing to refuse.
            continue;
        }
        let Some(attribute) = found else {
            return Err(invalid(format!(
                "unknown attribute {prefix}{name}; custom attributes belong under an extension schema URN"
            )));
        };
        match attribute.mutability {
            Mutability::ReadOnly | Mutability::WriteOnly => continue,
            Mutability::ReadWrite | Mutability::Immutable => {}
        }
        match normalize_value(attribute, value, &format!("{prefix}{}", attribute.name))? {
            Some(v) => out.insert(attribute.name.to_owned(), v),
            None => out.remove(attribute.name),
        };
    }
    Ok(())
}

/// Normalises a resource body a client sent (POST, PUT): as [`normalize`], after checking that
/// every top-level member named by a URN belongs to a schema the body declares in `schemas`
/// (RFC 7643 §3: `schemas` lists the schemas the resource uses). An undeclared URN member —
/// a typo, or a key that only looks like a URN — is refused with 400 `invalidValue`, never
/// stored.
pub fn normalize_request(schema: &ResourceSchema, body: Value) -> Result<Map<String, Value>, ScimError> {
    if let Value::Object(members) = &body {
        let declared: Vec<&str> = members
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
            .and_then(|(_, v)| v.as_array())
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for name in members.keys().filter(|k| is_urn(k)) {
            if !declared.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                return Err(invalid(format!("{name} is not one of the schemas the resource declares in schemas")));
            }
        }
    }
    normalize(schema, body)
}

/// Normalises a whole resource body as sent with POST or PUT (or produced by PATCH).
pub fn normalize(schema: &ResourceSchema, body: Value) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(members) = body else {
        return Err(ScimError::bad_request(ScimType::InvalidSyntax, "the request body must be a JSON object"));
    };
    let mut out = Map::new();
    let mut core = Map::new();
    let mut declared: Vec<String> = Vec::new();
    for (name, value) in members {
        if name.eq_ignore_ascii_case("schemas") {
            let Value::Array(list) = value else {
                return Err(ScimError::bad_request(ScimType::InvalidSyntax, "schemas must be an array of URNs"));
            };
            declared = list.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
        } else if is_urn(&name) && name.eq_ignore_ascii_case(schema.core) {
            // Core attributes sent under the core URN are the same as unqualified ones.
            if let Value::Object(inner) = value {
                core.extend(inner);
            }
        } else if is_urn(&name) {
            match (schema.extension(&name), value) {
                (_, Value::Null) => {}
                (Some(urn), Value::Object(inner)) => {
                    let attributes = schema.attributes_of(Some(urn)).unwrap_or_default();
                    let mut ext = Map::new();
                    normalize_members(attributes, &[], inner, &mut ext, &format!("{urn}:"))?;
                    if !ext.is_empty() {
                        out.insert(urn.to_owned(), Value::Object(ext));
                    }
                }
                (None, value @ Value::Object(_)) => {
                    out.insert(name, value);
                }
                (_, _) => return Err(invalid(format!("{name} must be an object of extension attributes"))),
            }
        } else {
            core.insert(name, value);
        }
    }
    if !declared.iter().any(|s| s.eq_ignore_ascii_case(schema.core)) {
        return Err(ScimError::bad_request(ScimType::InvalidSyntax, format!("schemas must include {}", schema.core)));
    }
    normalize_members(schema.attributes, super::schema::COMMON_ATTRIBUTES, core, &mut out, "")?;
    for attribute in schema.attributes.iter().filter(|a| a.required) {
        let present = out.get(attribute.name).is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()));
        if !present {
            return Err(invalid(format!("{} is required", attribute.name)));
        }
    }
    let mut schemas = vec![Value::String(schema.core.to_owned())];
    schemas.extend(out.keys().filter(|k| is_urn(k)).map(|k| Value::String(k.clone())));
    out.insert("schemas".to_owned(), Value::Array(schemas));
    check_size(&out)?;
    Ok(out)
}

/// Refuses a resource whose JSON, without a group's `members` (stored apart, one entry per
/// member), is larger than [`MAX_RESOURCE_BYTES`].
fn check_size(resource: &Map<String, Value>) -> Result<(), ScimError> {
    let size: usize = resource
        .iter()
        .filter(|(name, _)| name.as_str() != "members")
        .map(|(name, value)| name.len() + serde_json::to_vec(value).map_or(0, |v| v.len()) + 4)
        .sum();
    if size > MAX_RESOURCE_BYTES {
        return Err(invalid(format!("the resource would be {size} bytes of JSON; the limit is {MAX_RESOURCE_BYTES}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, USER, USER_SCHEMA};
    use serde_json::json;

    #[test]
    fn canonicalises_names_and_coerces_entra_booleans() {
        let out = normalize(
            &USER_SCHEMA,
            json!({
                "schemas": [USER], "USERNAME": "a@x", "Active": "False",
                "emails": [{"Value": "a@x", "Primary": "true"}]
            }),
        )
        .expect("valid");
        assert_eq!(out["userName"], "a@x");
        assert_eq!(out["active"], false);
        assert_eq!(out["emails"][0]["primary"], true);
    }

    #[test]
    fn drops_read_only_and_password() {
        let out = normalize(
            &USER_SCHEMA,
            json!({
                "schemas": [USER], "userName": "a", "id": "x", "meta": {}, "password": "p", "groups": []
            }),
        )
        .expect("valid");
        assert!(out.get("id").is_none() && out.get("password").is_none() && out.get("groups").is_none());
    }

    #[test]
    fn a_urn_member_the_body_does_not_declare_is_refused() {
        let ext = super::super::schema::ENTERPRISE_USER;
        let bogus = "urn:ietf:params:scim:schemas:extension:enterprise:2.0";
        for (declared, member) in [(vec![USER], ext), (vec![USER, ext], bogus)] {
            let body = json!({"schemas": declared, "userName": "a", member: {"department": "x"}});
            let e = normalize_request(&USER_SCHEMA, body).expect_err(member);
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{member}");
        }
        let ok = json!({"schemas": [USER, ext.to_uppercase()], "userName": "a", ext: {"department": "x"}});
        assert_eq!(normalize_request(&USER_SCHEMA, ok).expect("declared")[ext]["department"], "x");
    }

    #[test]
    fn strings_are_bounded_strict_and_identifiers_hold_no_control_character() {
        let base = |name: Value| json!({"schemas": [USER], "userName": name});
        for bad in [json!("x".repeat(MAX_IDENTIFIER_CHARS + 1)), json!("a\u{0}b"), json!("a\nb"), json!(123)] {
            let e = normalize(&USER_SCHEMA, base(bad.clone())).expect_err("refused");
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}");
        }
        let long = "x".repeat(MAX_IDENTIFIER_CHARS);
        assert_eq!(normalize(&USER_SCHEMA, base(json!(long))).expect("at the bound")["userName"], json!(long));
        let title = json!({"schemas": [USER], "userName": "a", "title": "line one\nline two"});
        assert!(normalize(&USER_SCHEMA, title).is_ok(), "free text may hold a line break");
        let nul = json!({"schemas": [USER], "userName": "a", "title": "a\u{0}"});
        assert!(normalize(&USER_SCHEMA, nul).is_err(), "no string holds a NUL");
    }

    #[test]
    fn a_resource_over_the_size_limit_is_refused_whatever_makes_it_large() {
        let many = |n: usize| {
            (0..n).map(|i| json!({"value": format!("{i}-{}@example.com", "x".repeat(100))})).collect::<Vec<_>>()
        };
        let user = |emails: Vec<Value>| json!({"schemas": [USER], "userName": "big", "emails": emails});
        normalize(&USER_SCHEMA, user(many(100))).expect("a user with 100 emails fits");
        let e = normalize(&USER_SCHEMA, user(many(2000))).expect_err("2,000 long emails do not");
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
        assert!(e.detail.contains("limit is"), "{}", e.detail);
        // Unknown extension data counts too.
        let ext = "urn:example:params:scim:schemas:extension:blob:2.0:User";
        let body = json!({"schemas": [USER, ext], "userName": "u", ext: {"blob": "x".repeat(MAX_RESOURCE_BYTES)}});
        assert!(normalize(&USER_SCHEMA, body).is_err());
    }

    #[test]
    fn keeps_unknown_extensions_and_lists_them_in_schemas() {
        let acme = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
        let out = normalize(
            &USER_SCHEMA,
            json!({
                "schemas": [USER], "userName": "a", acme: {"badge": 7},
                ENTERPRISE_USER: {"employeeNumber": 42, "manager": {"value": "m"}}
            }),
        )
        .expect("valid");
        assert_eq!(out[acme]["badge"], 7);
        assert_eq!(out[ENTERPRISE_USER]["employeeNumber"], "42");
        assert_eq!(out["schemas"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn rejects_unknown_plain_attribute_and_missing_user_name() {
        let e = normalize(&USER_SCHEMA, json!({"schemas": [USER], "userName": "a", "badge": 1})).expect_err("bad");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert!(e.detail.contains("badge"));
        let e = normalize(&USER_SCHEMA, json!({"schemas": [USER], "userName": " "})).expect_err("bad");
        assert!(e.detail.contains("userName"));
    }

    #[test]
    fn requires_core_schema_urn() {
        let e = normalize(&USER_SCHEMA, json!({"userName": "a"})).expect_err("bad");
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    }
}

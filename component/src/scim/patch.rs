//! PATCH (RFC 7644 §3.5.2): parsing operations and applying them to a stored body.
//!
//! Operations apply to a copy; the result is normalised again as a whole, so a PATCH either
//! applies completely or not at all. What IdPs send beyond the letter of the RFC is accepted:
//! capitalised op names (Entra `Replace`), a `replace` through a value filter that matches
//! nothing creates the value (Entra on `emails[type eq "work"].value`), no-path values carrying
//! read-only attributes ignore them (Okta sends `id`), and `remove` with a `value` list removes
//! those values (Entra on `members`).

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
use super::normalize::{is_urn, normalize};
use super::schema::{Attribute, Mutability, ResourceSchema};

/// URN of the PatchOp message.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most operations one PATCH may carry.
pub use super::limits::MAX_PATCH_OPERATIONS as MAX_OPERATIONS;

/// An operation's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `add`
    Add,
    /// `replace`
    Replace,
    /// `remove`
    Remove,
}

/// One parsed PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    /// The verb.
    pub kind: OpKind,
    /// The target; `None` means the resource itself.
    pub path: Option<PatchPath>,
    /// The value (absent for most `remove`s).
    pub value: Option<Value>,
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}

fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// Parses a PatchOp request body.
pub fn parse(body: &Value) -> Result<Vec<PatchOp>, ScimError> {
    let Some(object) = body.as_object() else { return Err(syntax("the request body must be a JSON object")) };
    let declared = member(object, "schemas").and_then(Value::as_array);
    if !declared.is_some_and(|s| s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP)))) {
        return Err(syntax(format!("schemas must be [\"{PATCH_OP}\"]")));
    }
    let Some(Value::Array(operations)) = member(object, "Operations") else {
        return Err(syntax("Operations must be an array"));
    };
    if operations.is_empty() {
        return Err(syntax("Operations must hold at least one operation (RFC 7644 §3.5.2)"));
    }
    if operations.len() > MAX_OPERATIONS {
        return Err(syntax(format!("at most {MAX_OPERATIONS} operations per request")));
    }
    operations.iter().enumerate().map(|(i, op)| parse_op(i, op)).collect()
}

fn parse_op(index: usize, op: &Value) -> Result<PatchOp, ScimError> {
    let Some(object) = op.as_object() else { return Err(syntax(format!("Operations[{index}] must be an object"))) };
    let kind = match member(object, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
        Some("add") => OpKind::Add,
        Some("replace") => OpKind::Replace,
        Some("remove") => OpKind::Remove,
        _ => return Err(syntax(format!("Operations[{index}].op must be add, replace or remove"))),
    };
    let path = match member(object, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(
            p.parse::<PatchPath>()
                .map_err(|e| ScimError::bad_request(ScimType::InvalidPath, format!("Operations[{index}].path: {e}")))?,
        ),
        Some(_) => {
            return Err(ScimError::bad_request(
                ScimType::InvalidPath,
                format!("Operations[{index}].path must be a string"),
            ));
        }
    };
    let value = member(object, "value").cloned().filter(|v| !v.is_null());
    if kind == OpKind::Remove && path.is_none() {
        return Err(ScimError::bad_request(ScimType::NoTarget, format!("Operations[{index}]: remove needs a path")));
    }
    if kind != OpKind::Remove && value.is_none() {
        return Err(ScimError::bad_request(
            ScimType::InvalidValue,
            format!("Operations[{index}]: {kind:?} needs a value"),
        ));
    }
    Ok(PatchOp { kind, path, value })
}

/// Applies `ops` to `body` (a stored, normalised body) and returns the normalised result.
pub fn apply(
    schema: &ResourceSchema,
    body: &Map<String, Value>,
    ops: &[PatchOp],
) -> Result<Map<String, Value>, ScimError> {
    let mut work = body.clone();
    for op in ops {
        match &op.path {
            Some(path) if let Some(urn) = whole_extension(schema, path) => {
                apply_extension(schema, &mut work, op.kind, urn, op.value.clone())?
            }
            Some(path) => apply_path(schema, &mut work, op.kind, path, op.value.clone(), true)?,
            None => apply_object(schema, &mut work, op.kind, op.value.clone().unwrap_or(Value::Null))?,
        }
    }
    normalize(schema, Value::Object(work))
}

/// A no-path add/replace: each member of the value object is its own target.
fn apply_object(
    schema: &ResourceSchema,
    body: &mut Map<String, Value>,
    kind: OpKind,
    value: Value,
) -> Result<(), ScimError> {
    let Value::Object(members) = value else {
        return Err(ScimError::bad_request(ScimType::InvalidValue, "a PATCH without path needs an object value"));
    };
    for (name, value) in members {
        if name.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if is_urn(&name)
            && (schema.extension(&name).is_some() || schema.attributes_of(Some(&name)).is_none())
            && value.is_object()
        {
            let urn = schema.extension(&name).map_or(name.clone(), str::to_owned);
            if let Value::Object(inner) = value {
                apply_extension_members(schema, body, kind, &urn, inner)?;
            }
            continue;
        }
        let path: PatchPath =
            name.parse().map_err(|e| ScimError::bad_request(ScimType::InvalidPath, format!("{name}: {e}")))?;
        apply_path(schema, body, kind, &path, Some(value), false)?;
    }
    Ok(())
}

/// Each member of `inner` applied to the extension `urn`'s attribute of that name.
fn apply_extension_members(
    schema: &ResourceSchema,
    body: &mut Map<String, Value>,
    kind: OpKind,
    urn: &str,
    inner: Map<String, Value>,
) -> Result<(), ScimError> {
    for (attr, v) in inner {
        let path =
            PatchPath { attr: AttrPath::new(attr).with_schema(urn.to_owned()), value_filter: None, sub_attr: None };
        apply_path(schema, body, kind, &path, Some(v), false)?;
    }
    Ok(())
}

/// The registered extension a path names as a whole (`urn:…:enterprise:2.0:User`): the
/// parser reads the URN's last segment as an attribute of the URN before it.
fn whole_extension<'a>(schema: &ResourceSchema<'a>, path: &PatchPath) -> Option<&'a str> {
    if path.value_filter.is_some() || path.attr.sub_attr.is_some() {
        return None;
    }
    let prefix = path.attr.schema.as_deref()?;
    schema.extension(&format!("{prefix}:{}", path.attr.name))
}

/// An operation on a whole extension object (RFC 7644 §3.5.2: the path names the extension
/// schema): `add` merges the value's attributes into it, `replace` replaces it, `remove`
/// removes it (and so its URN from `schemas`, which normalising recomputes).
fn apply_extension(
    schema: &ResourceSchema,
    body: &mut Map<String, Value>,
    kind: OpKind,
    urn: &str,
    value: Option<Value>,
) -> Result<(), ScimError> {
    if kind != OpKind::Add
        && let Some(key) = find_key(body, urn)
    {
        body.remove(&key);
    }
    if kind == OpKind::Remove {
        return Ok(());
    }
    let Some(Value::Object(inner)) = value else {
        return Err(ScimError::bad_request(
            ScimType::InvalidValue,
            format!("the value of an operation on {urn} must be an object of its attributes"),
        ));
    };
    apply_extension_members(schema, body, OpKind::Add, urn, inner)
}

fn find_key(object: &Map<String, Value>, name: &str) -> Option<String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The object holding the path's attribute: the body, or an extension object within it.
fn container<'a>(
    schema: &ResourceSchema,
    body: &'a mut Map<String, Value>,
    path: &AttrPath,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    let Some(urn) = path.schema.as_deref().filter(|u| !u.eq_ignore_ascii_case(schema.core)) else {
        return Some(body);
    };
    let key = find_key(body, urn).or_else(|| create.then(|| schema.extension(urn).unwrap_or(urn).to_owned()))?;
    let entry = body.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut()
}

fn apply_path(
    schema: &ResourceSchema,
    body: &mut Map<String, Value>,
    kind: OpKind,
    path: &PatchPath,
    value: Option<Value>,
    explicit: bool,
) -> Result<(), ScimError> {
    let qualified;
    let attr = match (&path.attr.schema, schema.find(None, &path.attr.name)) {
        // An unqualified name no core attribute has, but exactly one extension has (Entra
        // sends `manager` for the Enterprise User's manager).
        (None, None) => match unique_extension(schema, &path.attr.name) {
            Some(urn) => {
                qualified = AttrPath { schema: Some(urn.to_owned()), ..path.attr.clone() };
                &qualified
            }
            None => &path.attr,
        },
        _ => &path.attr,
    };
    let definition = schema.find(attr.schema.as_deref(), &attr.name);
    let known_schema = attr.schema.as_deref().is_none_or(|u| schema.attributes_of(Some(u)).is_some());
    if definition.is_none() && known_schema {
        return Err(ScimError::bad_request(
            ScimType::InvalidPath,
            format!("no attribute {path} in this resource type"),
        ));
    }
    if let Some(def) = definition {
        let sub = path.target_sub_attr().and_then(|s| def.sub_attribute(s));
        let read_only = |a: &Attribute| a.mutability == Mutability::ReadOnly;
        if read_only(def) || sub.is_some_and(read_only) {
            if explicit {
                return Err(ScimError::bad_request(ScimType::Mutability, format!("{path} is read-only")));
            }
            return Ok(());
        }
        if path.target_sub_attr().is_some() && sub.is_none() {
            return Err(ScimError::bad_request(ScimType::InvalidPath, format!("no sub-attribute in {path}")));
        }
    }
    let multi = definition.is_some_and(|d| d.multi_valued);
    // A single-valued complex attribute sent as a one-element list (Entra's `manager`).
    let value = match value {
        Some(Value::Array(mut items))
            if !multi && definition.is_some_and(|d| !d.sub_attributes.is_empty()) && items.len() == 1 =>
        {
            items.pop()
        }
        other => other,
    };
    let key_name = definition.map_or(attr.name.as_str(), |d| d.name);
    let Some(target) = container(schema, body, attr, kind != OpKind::Remove) else { return Ok(()) };
    let key = find_key(target, key_name).unwrap_or_else(|| key_name.to_owned());
    match (&path.value_filter, attr.sub_attr.as_deref()) {
        (Some(filter), _) => apply_filtered(schema, target, &key, kind, path, filter, value),
        (None, Some(sub)) => {
            apply_sub(target, &key, sub, kind, value);
            Ok(())
        }
        (None, None) => {
            apply_whole(target, &key, kind, multi, definition.is_some_and(|d| !d.sub_attributes.is_empty()), value);
            Ok(())
        }
    }
}

/// The one extension of `schema` that defines an attribute called `name`, if exactly one does:
/// among the built-in extensions first (Entra's unqualified `manager` stays the Enterprise
/// User's whatever custom schemas define), then among the registered custom ones.
fn unique_extension<'a>(schema: &ResourceSchema<'a>, name: &str) -> Option<&'a str> {
    let defines = |attrs: &[Attribute<'_>]| attrs.iter().any(|a| a.name.eq_ignore_ascii_case(name));
    let built_in: Vec<&'a str> =
        schema.extensions.iter().filter(|(_, attrs)| defines(attrs)).map(|(urn, _)| *urn).collect();
    let candidates = if built_in.is_empty() {
        schema.all_extensions().filter(|(_, attrs)| defines(attrs)).map(|(urn, _)| urn).collect()
    } else {
        built_in
    };
    match candidates.as_slice() {
        [urn] => Some(*urn),
        _ => None,
    }
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(values) => values,
        single => vec![single],
    }
}

fn apply_whole(
    target: &mut Map<String, Value>,
    key: &str,
    kind: OpKind,
    multi: bool,
    complex: bool,
    value: Option<Value>,
) {
    match (kind, value) {
        (OpKind::Remove, Some(value)) if multi => {
            // Remove the listed values (matched by their `value` sub-attribute, or whole).
            let doomed = as_list(value);
            if let Some(Value::Array(existing)) = target.get_mut(key) {
                existing.retain(|e| !doomed.iter().any(|d| same_value(d, e)));
                if existing.is_empty() {
                    target.remove(key);
                }
            }
        }
        (OpKind::Remove, _) => {
            target.remove(key);
        }
        (OpKind::Add, Some(value)) if multi => {
            let list = target.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            if let Value::Array(existing) = list {
                for v in as_list(value) {
                    if !existing.iter().any(|e| identical(&v, e)) {
                        existing.push(v);
                    }
                }
            }
        }
        (OpKind::Add | OpKind::Replace, Some(Value::Object(members))) if complex && !multi => {
            let entry = target.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(existing) = entry {
                for (k, v) in members {
                    let k = find_key(existing, &k).unwrap_or(k);
                    existing.insert(k, v);
                }
            }
        }
        (OpKind::Add | OpKind::Replace, Some(value)) => {
            target.insert(key.to_owned(), if multi { Value::Array(as_list(value)) } else { value });
        }
        (OpKind::Add | OpKind::Replace, None) => {}
    }
}

/// Whether two values are identical, comparing object member names case-insensitively (an
/// `add` of a value already present adds nothing; `{"value": "x", "type": "work"}` and
/// `{"value": "x", "type": "fax"}` are different values).
fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| member(y, k).is_some_and(|w| identical(v, w)))
        }
        _ => a == b,
    }
}

/// Whether two values of a multi-valued attribute are the same value: by `value`
/// sub-attribute when both are objects that have one, else by equality.
fn same_value(a: &Value, b: &Value) -> bool {
    let key = |v: &Value| v.as_object().and_then(|o| member(o, "value")).cloned();
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn apply_sub(target: &mut Map<String, Value>, key: &str, sub: &str, kind: OpKind, value: Option<Value>) {
    let set = |object: &mut Map<String, Value>, value: &Option<Value>| {
        let k = find_key(object, sub).unwrap_or_else(|| sub.to_owned());
        match (kind, value) {
            (OpKind::Remove, _) | (_, None) => {
                object.remove(&k);
            }
            (_, Some(v)) => {
                object.insert(k, v.clone());
            }
        }
    };
    match target.get_mut(key) {
        Some(Value::Array(items)) => items.iter_mut().filter_map(Value::as_object_mut).for_each(|o| set(o, &value)),
        Some(Value::Object(object)) => set(object, &value),
        _ if kind != OpKind::Remove => {
            let mut object = Map::new();
            set(&mut object, &value);
            target.insert(key.to_owned(), Value::Object(object));
        }
        _ => {}
    }
}

/// The sub-attribute values a filter of `eq` comparisons joined by `and` pins down, for
/// creating the value a `replace` through a filter did not find.
fn pinned(filter: &Filter, out: &mut Map<String, Value>) -> bool {
    match filter {
        Filter::And(a, b) => pinned(a, out) && pinned(b, out),
        Filter::Compare(path, CompareOp::Eq, literal) => {
            let name = path.sub_attr.clone().unwrap_or_else(|| path.name.clone());
            let value = match literal {
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::Num(n) => Value::Number(n.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Null => return false,
            };
            out.insert(name, value);
            true
        }
        _ => false,
    }
}

fn apply_filtered(
    schema: &ResourceSchema,
    target: &mut Map<String, Value>,
    key: &str,
    kind: OpKind,
    path: &PatchPath,
    filter: &Filter,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let sub = path.target_sub_attr().map(str::to_owned);
    let items = match target.get_mut(key) {
        Some(Value::Array(items)) => items,
        _ => {
            if kind == OpKind::Remove {
                return Ok(());
            }
            target.insert(key.to_owned(), Value::Array(Vec::new()));
            match target.get_mut(key) {
                Some(Value::Array(items)) => items,
                _ => return Ok(()),
            }
        }
    };
    let attr = AttrPath { schema: path.attr.schema.clone(), name: path.attr.name.clone(), sub_attr: None };
    let hits: Vec<usize> = (0..items.len()).filter(|&i| filter.matches_element(&attr, &items[i], schema)).collect();
    match kind {
        OpKind::Remove => {
            match &sub {
                Some(sub) => {
                    for &i in &hits {
                        if let Some(object) = items[i].as_object_mut() {
                            let k = find_key(object, sub).unwrap_or_else(|| sub.clone());
                            object.remove(&k);
                        }
                    }
                }
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !hits.contains(&i);
                        i += 1;
                        keep
                    });
                }
            }
            if items.is_empty() {
                target.remove(key);
            }
            Ok(())
        }
        OpKind::Add | OpKind::Replace => {
            let value = value.unwrap_or(Value::Null);
            if hits.is_empty() {
                let mut created = Map::new();
                if !pinned(filter, &mut created) {
                    return Err(ScimError::bad_request(ScimType::NoTarget, format!("no value matches {path}")));
                }
                match (&sub, value) {
                    (Some(sub), v) => {
                        created.insert(sub.clone(), v);
                    }
                    (None, Value::Object(members)) => created.extend(members),
                    (None, _) => {
                        return Err(ScimError::bad_request(
                            ScimType::InvalidValue,
                            format!("{path} needs an object value"),
                        ));
                    }
                }
                items.push(Value::Object(created));
                return Ok(());
            }
            for &i in &hits {
                match (&sub, &value, items[i].as_object_mut()) {
                    (Some(sub), v, Some(object)) => {
                        let k = find_key(object, sub).unwrap_or_else(|| sub.clone());
                        object.insert(k, v.clone());
                    }
                    (None, Value::Object(members), Some(object)) => {
                        if kind == OpKind::Replace {
                            object.clear();
                        }
                        object.extend(members.clone());
                    }
                    (None, v, _) => items[i] = v.clone(),
                    (Some(_), _, None) => {}
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, USER, USER_SCHEMA};
    use serde_json::json;

    fn user() -> Map<String, Value> {
        normalize(
            &USER_SCHEMA,
            json!({
                "schemas": [USER], "userName": "bjensen", "active": true,
                "name": {"givenName": "Barbara", "familyName": "Jensen"},
                "emails": [{"value": "b@work.example", "type": "work", "primary": true}]
            }),
        )
        .expect("valid")
    }

    fn patch(body: &Map<String, Value>, ops: Value) -> Result<Map<String, Value>, ScimError> {
        let ops = parse(&json!({"schemas": [PATCH_OP], "Operations": ops}))?;
        apply(&USER_SCHEMA, body, &ops)
    }

    #[test]
    fn replace_active_with_and_without_path() {
        let out = patch(&user(), json!([{"op": "replace", "path": "active", "value": false}])).expect("patch");
        assert_eq!(out["active"], false);
        let out = patch(&out, json!([{"op": "Replace", "value": {"active": "True"}}])).expect("patch");
        assert_eq!(out["active"], true);
    }

    #[test]
    fn replace_through_filter_creates_missing_value() {
        let out = patch(
            &user(),
            json!([{"op": "Replace", "path": "emails[type eq \"home\"].value", "value": "b@home.example"}]),
        )
        .expect("patch");
        let emails = out["emails"].as_array().expect("emails");
        assert_eq!(emails.len(), 2);
        assert_eq!(emails[1], json!({"type": "home", "value": "b@home.example"}));
    }

    #[test]
    fn dotted_and_extension_keys_without_path() {
        let out = patch(
            &user(),
            json!([{"op": "replace", "value": {
                "name.givenName": "Babs",
                ENTERPRISE_USER: {"department": "R&D"},
                format!("{ENTERPRISE_USER}:employeeNumber"): "7"
            }}]),
        )
        .expect("patch");
        assert_eq!(out["name"]["givenName"], "Babs");
        assert_eq!(out["name"]["familyName"], "Jensen");
        assert_eq!(out[ENTERPRISE_USER]["department"], "R&D");
        assert_eq!(out[ENTERPRISE_USER]["employeeNumber"], "7");
    }

    #[test]
    fn a_path_naming_a_whole_extension_adds_replaces_and_removes_it() {
        let ext = crate::scim::schema::ENTERPRISE_USER;
        let mut body = user();
        body = patch(&body, json!([{"op": "add", "path": ext, "value": {"department": "R&D", "employeeNumber": "7"}}]))
            .expect("add");
        assert_eq!(body[ext]["department"], "R&D");
        assert_eq!(body[ext]["employeeNumber"], "7");
        assert!(!body.keys().any(|k| k == "urn:ietf:params:scim:schemas:extension:enterprise:2.0"), "{body:?}");
        assert!(body["schemas"].as_array().is_some_and(|s| s.contains(&json!(ext)) && s.len() == 2), "{body:?}");
        // `add` merges.
        body = patch(&body, json!([{"op": "add", "path": ext, "value": {"costCenter": "42"}}])).expect("merge");
        assert_eq!((body[ext]["department"].clone(), body[ext]["costCenter"].clone()), (json!("R&D"), json!("42")));
        // `replace` replaces.
        body = patch(&body, json!([{"op": "replace", "path": ext, "value": {"division": "East"}}])).expect("replace");
        assert_eq!(body[ext], json!({"division": "East"}));
        // `remove` removes it and its URN.
        body = patch(&body, json!([{"op": "remove", "path": ext}])).expect("remove");
        assert!(body.get(ext).is_none(), "{body:?}");
        assert_eq!(body["schemas"], json!([crate::scim::schema::USER]));
        // A value that is not an object is refused.
        let bad = patch(&body, json!([{"op": "add", "path": ext, "value": "x"}])).expect_err("bad value");
        assert_eq!(bad.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn failing_operation_rejects_the_whole_patch() {
        let body = user();
        let e = patch(
            &body,
            json!([
                {"op": "replace", "path": "displayName", "value": "X"},
                {"op": "replace", "path": "id", "value": "new"}
            ]),
        )
        .expect_err("read-only");
        assert_eq!(e.scim_type, Some(ScimType::Mutability));
    }

    #[test]
    fn no_path_value_ignores_read_only_id() {
        let out = patch(&user(), json!([{"op": "replace", "value": {"id": "x", "displayName": "B"}}])).expect("patch");
        assert_eq!(out["displayName"], "B");
    }

    #[test]
    fn remove_requires_path_and_unknown_path_is_invalid() {
        assert_eq!(patch(&user(), json!([{"op": "remove"}])).expect_err("bad").scim_type, Some(ScimType::NoTarget));
        assert_eq!(patch(&user(), json!([])).expect_err("no operations").scim_type, Some(ScimType::InvalidSyntax));
        assert_eq!(
            patch(&user(), json!([{"op": "add", "path": "nope", "value": 1}])).expect_err("bad").scim_type,
            Some(ScimType::InvalidPath)
        );
    }

    #[test]
    fn remove_value_filtered_email() {
        let out = patch(&user(), json!([{"op": "remove", "path": "emails[type eq \"work\"]"}])).expect("patch");
        assert!(out.get("emails").is_none());
    }
}

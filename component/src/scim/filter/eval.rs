//! Evaluating a [`Filter`] against a resource held as JSON.
//!
//! Attribute names are looked up case-insensitively. A path with a schema URN looks in the
//! object under that URN (an extension), or at the top level when the resource has no such
//! member and [`AttributeTypes::is_core_schema`] says the URN is the core schema.
//!
//! Semantics chosen where RFC 7644 §3.4.2.2 leaves room:
//! - Multi-valued attributes match when any value matches. Values that are objects (a
//!   multi-valued complex attribute compared without a sub-attribute, as in
//!   `emails co "x"`) are compared through their `value` sub-attribute.
//! - `ne` is the negation of `eq`: it matches when no value equals the literal, including
//!   when the attribute has no value ("not identical"). On a multi-valued attribute
//!   `emails.type ne "work"` therefore excludes users with any work email.
//! - Unassigned, `null` and `[]` are the same state (RFC 7643 §2.5), so `attr eq null`
//!   matches exactly when `attr pr` does not, and `attr ne null` when it does. Other
//!   operators against `null` never match.
//! - `pr` matches a value that is not `null`, `""`, `[]`, or an object of only such values.
//! - `gt`/`ge`/`lt`/`le` on booleans, binaries and complex values do not match (the RFC
//!   wants a 400 for booleans and binaries: [`Filter::check_types`] finds them).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::compare::value_matches;
use super::error::FilterError;
use super::types::{AttrKind, AttributeTypes};

/// Where a filter's paths are looked up.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// Paths are full paths into this resource.
    Resource(&'a Value),
    /// Paths are sub-attributes of `parent`, looked up in one of its values.
    Element { parent: &'a AttrPath, element: &'a Value },
}

impl Filter {
    /// Whether `resource` (a SCIM resource as JSON) matches this filter.
    pub fn matches(&self, resource: &Value, types: &dyn AttributeTypes) -> bool {
        self.eval(Scope::Resource(resource), types)
    }

    /// Whether `element`, one value of the multi-valued attribute `attr`, matches this
    /// filter, whose paths name sub-attributes of `attr`: the value filter of a
    /// [`super::PatchPath`] or the inner filter of a [`Filter::Complex`].
    ///
    /// A value that is not an object (e.g. one of `schemas`) is its own `value`
    /// sub-attribute, so `schemas[value eq "urn:…"]` selects it.
    pub fn matches_element(&self, attr: &AttrPath, element: &Value, types: &dyn AttributeTypes) -> bool {
        self.eval(Scope::Element { parent: attr, element }, types)
    }

    /// Checks the filter against the schema before evaluation: `gt`, `ge`, `lt` or `le` on
    /// a boolean or binary attribute is an error (RFC 7644 §3.4.2.2: SHALL fail with
    /// `invalidFilter`). [`Filter::matches`] alone treats those comparisons as no match.
    ///
    /// # Errors
    ///
    /// [`FilterError::NotOrderable`] for the first such comparison found.
    pub fn check_types(&self, types: &dyn AttributeTypes) -> Result<(), FilterError> {
        let mut pending: Vec<(&Filter, Option<&AttrPath>)> = vec![(self, None)];
        while let Some((filter, parent)) = pending.pop() {
            match filter {
                Filter::And(left, right) | Filter::Or(left, right) => {
                    pending.push((left, parent));
                    pending.push((right, parent));
                }
                Filter::Not(inner) => pending.push((inner, parent)),
                Filter::Complex(path, inner) => {
                    let full = full_path(parent, path);
                    if !matches!(types.kind(&full), AttrKind::Complex | AttrKind::Unknown) {
                        return Err(FilterError::NotComplex { attribute: full.to_string() });
                    }
                    pending.push((inner, Some(path)));
                }
                Filter::Compare(path, op, literal) => {
                    let full = full_path(parent, path);
                    let kind = types.kind(&full);
                    if op.is_ordering() && matches!(kind, AttrKind::Boolean | AttrKind::Binary) {
                        return Err(FilterError::NotOrderable { attribute: full.to_string(), op: *op });
                    }
                    if let Some(expected) = literal_mismatch(kind, literal) {
                        return Err(FilterError::LiteralType { attribute: full.to_string(), expected });
                    }
                }
                Filter::Present(_) => {}
            }
        }
        Ok(())
    }

    fn eval(&self, scope: Scope<'_>, types: &dyn AttributeTypes) -> bool {
        match self {
            Filter::And(..) => self.chain(true).into_iter().all(|operand| operand.eval(scope, types)),
            Filter::Or(..) => self.chain(false).into_iter().any(|operand| operand.eval(scope, types)),
            Filter::Not(inner) => !inner.eval(scope, types),
            Filter::Present(path) => scope.values(path, types).into_iter().any(is_present),
            Filter::Compare(path, op, literal) => compare(scope, path, *op, literal, types),
            Filter::Complex(path, inner) => {
                let parent = scope.type_path(path);
                scope
                    .values(path, types)
                    .into_iter()
                    .any(|element| inner.eval(Scope::Element { parent: &parent, element }, types))
            }
        }
    }
}

/// What a literal compared with an attribute of `kind` should have been, when it is not: a
/// number or boolean against a text attribute matches nothing and is a client error, as is a
/// dateTime literal that is not an RFC 3339 timestamp.
fn literal_mismatch(kind: AttrKind, literal: &CompValue) -> Option<&'static str> {
    match (kind, literal) {
        (_, CompValue::Null) => None,
        (AttrKind::String { .. } | AttrKind::Reference | AttrKind::Binary, CompValue::Str(_)) => None,
        (AttrKind::String { .. } | AttrKind::Reference | AttrKind::Binary, _) => Some("a string"),
        (AttrKind::DateTime, CompValue::Str(text)) if super::datetime::parse(text).is_some() => None,
        (AttrKind::DateTime, _) => Some("an RFC 3339 timestamp such as \"2026-01-31T08:00:00Z\""),
        _ => None,
    }
}

fn compare(scope: Scope<'_>, path: &AttrPath, op: CompareOp, literal: &CompValue, types: &dyn AttributeTypes) -> bool {
    let values = scope.values(path, types);
    match (op, literal) {
        (CompareOp::Eq, CompValue::Null) => !values.into_iter().any(is_present),
        (CompareOp::Ne, CompValue::Null) => values.into_iter().any(is_present),
        (_, CompValue::Null) => false,
        (CompareOp::Ne, _) => !compare(scope, path, CompareOp::Eq, literal, types),
        _ => {
            let mut type_path = scope.type_path(path);
            let mut kind = types.kind(&type_path);
            if kind == AttrKind::Complex && type_path.sub_attr.is_none() {
                type_path.to_mut().sub_attr = Some("value".to_owned());
                kind = types.kind(&type_path);
            }
            values.into_iter().any(|value| match value {
                Value::Object(object) => {
                    get(object, "value").is_some_and(|value| value_matches(value, op, literal, kind))
                }
                value => value_matches(value, op, literal, kind),
            })
        }
    }
}

impl<'a> Scope<'a> {
    /// The non-null values at `path`, arrays flattened.
    fn values(self, path: &AttrPath, types: &dyn AttributeTypes) -> Vec<&'a Value> {
        let found = match self {
            Scope::Resource(resource) => {
                let Value::Object(top) = resource else {
                    return Vec::new();
                };
                let container = match &path.schema {
                    None => Some(top),
                    Some(urn) => match get(top, urn) {
                        Some(Value::Object(extension)) => Some(extension),
                        Some(_) => None,
                        None => types.is_core_schema(urn).then_some(top),
                    },
                };
                container.and_then(|container| get(container, &path.name))
            }
            Scope::Element { element: Value::Object(element), .. } => get(element, &path.name),
            Scope::Element { element, .. } => path.matches_name("value").then_some(element),
        };
        let mut values = Vec::new();
        match (found, &path.sub_attr) {
            (Some(found), None) => push_flat(&mut values, found),
            (Some(found), Some(sub_attr)) => {
                let mut parents = Vec::new();
                push_flat(&mut parents, found);
                for parent in parents {
                    if let Some(value) = parent.as_object().and_then(|object| get(object, sub_attr)) {
                        push_flat(&mut values, value);
                    }
                }
            }
            (None, _) => {}
        }
        values
    }

    /// The full path of `path` as the schema knows it (`emails.type` inside `emails[…]`).
    fn type_path<'p>(self, path: &'p AttrPath) -> Cow<'p, AttrPath> {
        match self {
            Scope::Resource(_) => Cow::Borrowed(path),
            Scope::Element { parent, .. } => Cow::Owned(full_path(Some(parent), path)),
        }
    }
}

fn full_path(parent: Option<&AttrPath>, path: &AttrPath) -> AttrPath {
    match parent {
        Some(parent) => {
            AttrPath { schema: parent.schema.clone(), name: parent.name.clone(), sub_attr: Some(path.name.clone()) }
        }
        None => path.clone(),
    }
}

/// The member `name` of `object`, matched exactly if possible, else ignoring case.
fn get<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| object.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value))
}

/// Pushes `value`, or each element of it if it is an array, skipping nulls.
fn push_flat<'v>(values: &mut Vec<&'v Value>, value: &'v Value) {
    match value {
        Value::Array(items) => values.extend(items.iter().filter(|item| !item.is_null())),
        Value::Null => {}
        value => values.push(value),
    }
}

/// Whether `value` counts as having a value for `pr`.
fn is_present(value: &Value) -> bool {
    has_value(value, 2)
}

/// [`is_present`], looking `depth` levels into arrays and objects: deep enough for SCIM
/// attribute values, and bounded however deeply a client nests its JSON.
fn has_value(value: &Value, depth: u8) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
        Value::Array(items) if depth == 0 => !items.is_empty(),
        Value::Array(items) => items.iter().any(|item| has_value(item, depth - 1)),
        Value::Object(members) if depth == 0 => !members.is_empty(),
        Value::Object(members) => members.values().any(|member| has_value(member, depth - 1)),
    }
}

//! `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3), ordering by the attribute's schema type:
//! strings by `caseExact`, numbers numerically, dateTimes chronologically, booleans `false`
//! first. Attributes no schema describes order by what they hold (strings ignoring case).

use std::cmp::Ordering;

use serde_json::Value;

use super::filter::{AttrKind, AttrPath, AttributeTypes, Instant, parse_date_time};
use super::list::SortOrder;

fn member<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// A number that orders totally (`f64::total_cmp`).
#[derive(Debug, Clone, Copy)]
struct Number(f64);

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Number {}
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What a resource sorts by. Values of different kinds (only possible where no schema says
/// the type) order by kind, in this order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Boolean(bool),
    Number(Number),
    Instant(Instant),
    Text(String),
}

fn text(s: &str, case_exact: bool) -> Key {
    Key::Text(if case_exact { s.to_owned() } else { s.to_lowercase() })
}

fn number(value: &Value) -> Option<Key> {
    match value {
        Value::Number(n) => n.as_f64().map(|n| Key::Number(Number(n))),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|n| Key::Number(Number(n))),
        _ => None,
    }
}

fn key_of(value: &Value, kind: AttrKind) -> Option<Key> {
    match (kind, value) {
        (_, Value::Null) => None,
        (AttrKind::String { case_exact }, Value::String(s)) => Some(text(s, case_exact)),
        (AttrKind::Reference | AttrKind::Binary, Value::String(s)) => Some(text(s, true)),
        (AttrKind::Integer | AttrKind::Decimal, v) => number(v).or_else(|| key_of(v, AttrKind::Unknown)),
        (AttrKind::DateTime, Value::String(s)) => Some(parse_date_time(s).map_or_else(|| text(s, false), Key::Instant)),
        (AttrKind::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(Key::Boolean(true)),
        (AttrKind::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(Key::Boolean(false)),
        (_, Value::Bool(b)) => Some(Key::Boolean(*b)),
        (_, v @ Value::Number(_)) => number(v),
        (_, Value::String(s)) => Some(text(s, false)),
        (_, other) => Some(Key::Text(other.to_string())),
    }
}

/// The value a resource sorts by: for a multi-valued attribute, its primary (or first) value.
fn sort_key(resource: &Value, path: &AttrPath, types: &dyn AttributeTypes) -> Option<Key> {
    let scope = match path.schema.as_deref() {
        Some(urn) => member(resource, urn).unwrap_or(resource),
        None => resource,
    };
    let mut value = member(scope, &path.name)?;
    if let Value::Array(items) = value {
        value = items
            .iter()
            .find(|i| member(i, "primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| items.first())?;
    }
    let (value, type_path) = match &path.sub_attr {
        Some(sub) => (member(value, sub)?, path.clone()),
        None if value.is_object() => (member(value, "value")?, path.clone().with_sub_attr("value")),
        None => (value, path.clone()),
    };
    key_of(value, types.kind(&type_path))
}

/// Sorts resources in place; resources without the attribute sort last either way.
pub fn sort(resources: &mut [Value], path: &AttrPath, order: SortOrder, types: &dyn AttributeTypes) {
    resources.sort_by_cached_key(|r| match sort_key(r, path, types) {
        Some(v) => (false, Some(v)),
        None => (true, None),
    });
    if order == SortOrder::Descending {
        let present = resources.iter().take_while(|r| sort_key(r, path, types).is_some()).count();
        resources[..present].reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::DefaultTypes;
    use crate::scim::schema::USER_SCHEMA;
    use serde_json::json;

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        let mut rs = vec![json!({"userName": "b"}), json!({}), json!({"userName": "A"})];
        sort(&mut rs, &AttrPath::new("username"), SortOrder::Ascending, &USER_SCHEMA);
        assert_eq!(rs, vec![json!({"userName": "A"}), json!({"userName": "b"}), json!({})]);
        sort(&mut rs, &AttrPath::new("userName"), SortOrder::Descending, &USER_SCHEMA);
        assert_eq!(rs, vec![json!({"userName": "b"}), json!({"userName": "A"}), json!({})]);
    }

    #[test]
    fn values_order_by_their_type() {
        let mut rs = vec![json!({"n": 10}), json!({"n": 9}), json!({"n": 8.5})];
        sort(&mut rs, &AttrPath::new("n"), SortOrder::Ascending, &DefaultTypes);
        assert_eq!(rs, vec![json!({"n": 8.5}), json!({"n": 9}), json!({"n": 10})], "numerically, not as text");
        let mut rs = vec![json!({"id": "b"}), json!({"id": "B"}), json!({"id": "a"})];
        sort(&mut rs, &AttrPath::new("id"), SortOrder::Ascending, &USER_SCHEMA);
        assert_eq!(rs, vec![json!({"id": "B"}), json!({"id": "a"}), json!({"id": "b"})], "id is caseExact");
        let at = |t: &str| json!({"meta": {"lastModified": t}});
        let mut rs = vec![at("2020-01-01T01:00:00+02:00"), at("2020-01-01T00:30:00Z")];
        sort(&mut rs, &AttrPath::new("meta").with_sub_attr("lastModified"), SortOrder::Ascending, &USER_SCHEMA);
        assert_eq!(rs[0], at("2020-01-01T01:00:00+02:00"), "chronologically, offsets applied");
    }
}

//! `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3).

use serde_json::Value;

use super::filter::AttrPath;
use super::list::SortOrder;

fn member<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// The value a resource sorts by: for a multi-valued attribute, its primary (or first) value.
fn sort_key(resource: &Value, path: &AttrPath) -> Option<String> {
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
    let value = match &path.sub_attr {
        Some(sub) => member(value, sub)?,
        None if value.is_object() => member(value, "value")?,
        None => value,
    };
    match value {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Sorts resources in place; resources without the attribute sort last either way.
pub fn sort(resources: &mut [Value], path: &AttrPath, order: SortOrder) {
    resources.sort_by_cached_key(|r| match sort_key(r, path) {
        Some(v) => (false, v),
        None => (true, String::new()),
    });
    if order == SortOrder::Descending {
        let present = resources.iter().take_while(|r| sort_key(r, path).is_some()).count();
        resources[..present].reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        let mut rs = vec![json!({"userName": "b"}), json!({}), json!({"userName": "A"})];
        sort(&mut rs, &AttrPath::new("username"), SortOrder::Ascending);
        assert_eq!(rs, vec![json!({"userName": "A"}), json!({"userName": "b"}), json!({})]);
        sort(&mut rs, &AttrPath::new("userName"), SortOrder::Descending);
        assert_eq!(rs, vec![json!({"userName": "b"}), json!({"userName": "A"}), json!({})]);
    }
}

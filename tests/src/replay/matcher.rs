//! Partial matching of a response body against a fixture's expectation.
//!
//! - An object matches when every member the expectation names matches; other members of the
//!   actual object are ignored.
//! - An array matches element-wise and must have the same length.
//! - Numbers compare by value, everything else by equality.
//! - An object with a single `$`-member is an operator:
//!   `{"$contains": [..]}` (an array holding, in any order, an element matching each given
//!   one), `{"$absent": true}` (the member is unassigned: missing, `null` or `[]`, which
//!   RFC 7643 §2.5 makes equivalent), `{"$present": true}` (the member is assigned), `{"$type": "string" | "number" | "boolean" | "array" |
//!   "object" | "null"}`, `{"$len": n}` (an array of `n` elements), `{"$ne": value}` (anything
//!   but that value).

use serde_json::Value;

/// Appends a description of every mismatch between `expected` and `actual` to `errors`;
/// `at` is the JSON pointer of the value compared.
pub fn check(expected: &Value, actual: Option<&Value>, at: &str, errors: &mut Vec<String>) {
    if let Some((op, arg)) = operator(expected) {
        apply(op, arg, actual, at, errors);
        return;
    }
    let Some(actual) = actual else {
        errors.push(format!("{}: missing, expected {expected}", pointer(at)));
        return;
    };
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let child = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                check(value, have.get(key), &child, errors);
            }
        }
        (Value::Array(want), Value::Array(have)) => {
            if want.len() != have.len() {
                errors.push(format!("{}: expected {} elements, got {}: {actual}", pointer(at), want.len(), have.len()));
                return;
            }
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                check(w, Some(h), &format!("{at}/{i}"), errors);
            }
        }
        (Value::Number(w), Value::Number(h)) if w.as_f64() == h.as_f64() => {}
        (w, h) if w == h => {}
        (w, h) => errors.push(format!("{}: expected {w}, got {h}", pointer(at))),
    }
}

/// Whether `expected` matches `actual` (no mismatch at all).
pub fn matches(expected: &Value, actual: &Value) -> bool {
    let mut errors = Vec::new();
    check(expected, Some(actual), "", &mut errors);
    errors.is_empty()
}

fn pointer(at: &str) -> &str {
    if at.is_empty() { "(body)" } else { at }
}

fn operator(expected: &Value) -> Option<(&str, &Value)> {
    let object = expected.as_object()?;
    let (key, arg) = object.iter().next()?;
    (object.len() == 1 && key.starts_with('$') && key != "$ref").then_some((key.as_str(), arg))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn apply(op: &str, arg: &Value, actual: Option<&Value>, at: &str, errors: &mut Vec<String>) {
    let at = pointer(at);
    let assigned = actual.filter(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()));
    let shown = |v: Option<&Value>| v.map_or("nothing".to_owned(), Value::to_string);
    match (op, actual) {
        ("$absent", _) if assigned.is_none() => {}
        ("$absent", v) => errors.push(format!("{at}: expected absent, got {}", shown(v))),
        ("$present", _) if assigned.is_some() => {}
        ("$present", v) => errors.push(format!("{at}: expected a value, got {}", shown(v))),
        ("$type", Some(v)) if arg.as_str() == Some(type_name(v)) => {}
        ("$type", v) => errors.push(format!("{at}: expected a {arg}, got {}", shown(v))),
        ("$len", Some(Value::Array(items))) if arg.as_u64() == Some(items.len() as u64) => {}
        ("$len", v) => errors.push(format!("{at}: expected {arg} elements, got {}", shown(v))),
        ("$ne", v) if v != Some(arg) => {}
        ("$ne", _) => errors.push(format!("{at}: expected anything but {arg}")),
        ("$contains", Some(Value::Array(items))) => {
            for want in arg.as_array().map(Vec::as_slice).unwrap_or_default() {
                if !items.iter().any(|have| matches(want, have)) {
                    errors.push(format!("{at}: no element matches {want} in {}", Value::Array(items.clone())));
                }
            }
        }
        ("$contains", v) => errors.push(format!("{at}: expected an array, got {}", shown(v))),
        (other, _) => errors.push(format!("{at}: unknown operator {other} in the fixture")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(expected: Value, actual: Value) -> Vec<String> {
        let mut out = Vec::new();
        check(&expected, Some(&actual), "", &mut out);
        out
    }

    #[test]
    fn objects_match_partially_and_arrays_element_wise() {
        let actual = json!({"a": 1, "b": [{"x": 1, "y": 2}], "c": "z"});
        assert!(errors(json!({"a": 1.0, "b": [{"x": 1}]}), actual.clone()).is_empty());
        assert_eq!(errors(json!({"b": []}), actual.clone()).len(), 1);
        assert_eq!(errors(json!({"a": "1"}), actual).len(), 1);
    }

    #[test]
    fn operators() {
        let actual = json!({"list": [{"v": 1}, {"v": 2}], "s": "x", "n": null, "e": []});
        let ok = json!({
            "list": {"$contains": [{"v": 2}]}, "s": {"$type": "string"}, "n": {"$absent": true}, "e": {"$absent": true},
            "gone": {"$absent": true}, "x": {"$ne": 3}
        });
        assert!(errors(ok, actual.clone()).is_empty());
        assert_eq!(errors(json!({"list": {"$contains": [{"v": 3}]}, "s": {"$absent": true}}), actual.clone()).len(), 2);
        assert!(errors(json!({"list": {"$len": 2}, "s": {"$present": true}}), actual).is_empty());
    }

    #[test]
    fn dollar_ref_is_a_member_not_an_operator() {
        assert!(errors(json!({"$ref": "u"}), json!({"$ref": "u", "value": "1"})).is_empty());
    }
}

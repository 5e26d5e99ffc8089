//! A small JSON Schema (2020-12) validator for the subset the admin API's OpenAPI document
//! uses: `type` (one or several, `null` among them), `properties`, `required`,
//! `additionalProperties` (`false` or a schema), `items`, `enum`, `const`, `oneOf`, `anyOf`,
//! `$ref` (to the document), `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`,
//! and `format: date-time` (checked loosely: RFC 3339's shape). Any other keyword is refused, so the
//! document cannot rely on a rule this validator would silently skip.

use serde_json::Value;

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &["description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"];

/// Keywords this validator checks.
const ASSERTIONS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "$ref",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "format",
];

/// The formats this validator knows.
const FORMATS: &[&str] = &["date-time"];

/// The value `pointer` (`#/a/b`, with `~0`/`~1` escapes) names in `document`.
pub fn resolve<'a>(document: &'a Value, pointer: &str) -> Option<&'a Value> {
    let path = pointer.strip_prefix('#')?;
    if path.is_empty() {
        return Some(document);
    }
    let mut at = document;
    for token in path.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        at = match at {
            Value::Object(map) => map.get(&token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// The keywords of `schema` (recursively, not following `$ref`) this validator does not know:
/// `at` names where each is.
pub fn unsupported(schema: &Value, at: &str) -> Vec<String> {
    let Some(map) = schema.as_object() else {
        return vec![format!("{at}: a schema must be an object")];
    };
    let mut out = Vec::new();
    for (key, value) in map {
        let here = format!("{at}/{key}");
        if !ANNOTATIONS.contains(&key.as_str()) && !ASSERTIONS.contains(&key.as_str()) {
            out.push(format!("{here}: keyword not supported by the test's validator"));
            continue;
        }
        match key.as_str() {
            "properties" => {
                for (name, sub) in value.as_object().into_iter().flatten() {
                    out.extend(unsupported(sub, &format!("{here}/{name}")));
                }
            }
            "items" => out.extend(unsupported(value, &here)),
            "additionalProperties" if !value.is_boolean() => out.extend(unsupported(value, &here)),
            "oneOf" | "anyOf" => {
                for (i, sub) in value.as_array().into_iter().flatten().enumerate() {
                    out.extend(unsupported(sub, &format!("{here}/{i}")));
                }
            }
            "format" if !value.as_str().is_some_and(|f| FORMATS.contains(&f)) => {
                out.push(format!("{here}: format {value} not supported by the test's validator"));
            }
            _ => {}
        }
    }
    out
}

/// Whether `text` has the shape of an RFC 3339 date-time (`2026-12-01T06:00:00(.123)?Z` or
/// with an offset).
pub fn is_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.len() < 20 || !(digits(0..4) && digits(5..7) && digits(8..10) && digits(11..13) && digits(14..16)) {
        return false;
    }
    if !(b[4] == b'-' && b[7] == b'-' && matches!(b[10], b'T' | b't') && b[13] == b':' && b[16] == b':') {
        return false;
    }
    if !digits(17..19) {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.as_i64().is_some() || value.as_u64().is_some() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        other => panic!("unknown type {other} in the document"),
    }
}

/// Checks `value` against `schema`, whose `$ref`s point into `document`. Returns every
/// mismatch, each with the JSON path (`at`) of the value.
pub fn validate(document: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let problems = unsupported(schema, "#");
    assert!(problems.is_empty(), "schema at {at}: {problems:?}");
    let map = schema.as_object().expect("a schema is an object");
    if let Some(pointer) = map.get("$ref").and_then(Value::as_str) {
        let target = resolve(document, pointer).unwrap_or_else(|| panic!("unresolved $ref {pointer}"));
        errors.extend(validate(document, target, value, at));
    }
    if let Some(kind) = map.get("type") {
        let names: Vec<&str> = match kind {
            Value::String(name) => vec![name.as_str()],
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
            _ => panic!("type must be a string or an array"),
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            errors.push(format!("{at}: {value} is not of type {kind}"));
            return errors;
        }
    }
    if let Some(allowed) = map.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(expected) = map.get("const")
        && expected != value
    {
        errors.push(format!("{at}: {value} is not {expected}"));
    }
    if let Some(number) = value.as_f64() {
        if map.get("minimum").and_then(Value::as_f64).is_some_and(|min| number < min) {
            errors.push(format!("{at}: {value} is below the minimum"));
        }
        if map.get("maximum").and_then(Value::as_f64).is_some_and(|max| number > max) {
            errors.push(format!("{at}: {value} is above the maximum"));
        }
    }
    if let Some(text) = value.as_str() {
        let chars = text.chars().count() as u64;
        if map.get("minLength").and_then(Value::as_u64).is_some_and(|min| chars < min) {
            errors.push(format!("{at}: shorter than minLength"));
        }
        if map.get("maxLength").and_then(Value::as_u64).is_some_and(|max| chars > max) {
            errors.push(format!("{at}: longer than maxLength"));
        }
        if map.get("format").and_then(Value::as_str) == Some("date-time") && !is_date_time(text) {
            errors.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
        }
    }
    if let Some(items) = value.as_array() {
        let n = items.len() as u64;
        if map.get("minItems").and_then(Value::as_u64).is_some_and(|min| n < min) {
            errors.push(format!("{at}: fewer than minItems"));
        }
        if map.get("maxItems").and_then(Value::as_u64).is_some_and(|max| n > max) {
            errors.push(format!("{at}: more than maxItems"));
        }
        if let Some(item_schema) = map.get("items") {
            for (i, item) in items.iter().enumerate() {
                errors.extend(validate(document, item_schema, item, &format!("{at}[{i}]")));
            }
        }
    }
    if let Some(members) = value.as_object() {
        let properties = map.get("properties").and_then(Value::as_object);
        for name in map.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !members.contains_key(name) {
                errors.push(format!("{at}: required member {name} is missing"));
            }
        }
        for (name, member) in members {
            let here = format!("{at}.{name}");
            match (properties.and_then(|p| p.get(name)), map.get("additionalProperties")) {
                (Some(sub), _) => errors.extend(validate(document, sub, member, &here)),
                (None, Some(Value::Bool(false))) => errors.push(format!("{here}: member not in the document")),
                (None, Some(extra @ Value::Object(_))) => errors.extend(validate(document, extra, member, &here)),
                (None, _) => {}
            }
        }
    }
    if let Some(choices) = map.get("oneOf").and_then(Value::as_array) {
        let passing = choices.iter().filter(|c| validate(document, c, value, at).is_empty()).count();
        if passing != 1 {
            errors.push(format!("{at}: matches {passing} of the oneOf schemas, not exactly one"));
        }
    }
    if let Some(choices) = map.get("anyOf").and_then(Value::as_array)
        && !choices.iter().any(|c| validate(document, c, value, at).is_empty())
    {
        errors.push(format!("{at}: matches none of the anyOf schemas"));
    }
    errors
}

#[test]
fn the_validator_catches_what_it_claims_to() {
    let document = serde_json::json!({"components": {"schemas": {"T": {"type": "string", "format": "date-time"}}}});
    let schema = serde_json::json!({
        "type": "object", "required": ["a"], "additionalProperties": false,
        "properties": {
            "a": {"type": ["integer", "null"], "minimum": 0},
            "b": {"type": "array", "items": {"$ref": "#/components/schemas/T"}},
            "c": {"enum": ["x", "y"]},
            "d": {"oneOf": [{"type": "string"}, {"type": "integer"}]}
        }
    });
    let ok =
        serde_json::json!({"a": null, "b": ["2026-12-01T06:00:00Z", "2026-12-01T06:00:00.5+01:00"], "c": "x", "d": 1});
    assert_eq!(validate(&document, &schema, &ok, "$"), Vec::<String>::new());
    for bad in [
        serde_json::json!({}),
        serde_json::json!({"a": -1}),
        serde_json::json!({"a": 1.5}),
        serde_json::json!({"a": 1, "z": 0}),
        serde_json::json!({"a": 1, "b": ["yesterday"]}),
        serde_json::json!({"a": 1, "c": "z"}),
        serde_json::json!({"a": 1, "d": true}),
        serde_json::json!([]),
    ] {
        assert!(!validate(&document, &schema, &bad, "$").is_empty(), "{bad} should fail");
    }
    assert!(!unsupported(&serde_json::json!({"pattern": "x"}), "#").is_empty());
    assert!(!unsupported(&serde_json::json!({"format": "uri"}), "#").is_empty());
}

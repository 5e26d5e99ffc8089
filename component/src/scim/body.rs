//! SCIM request bodies, parsed strictly.
//!
//! `serde_json` keeps the last of two members with one name and drops the first without a
//! word. A body naming a member twice is ambiguous — which `userName` did the client mean? —
//! and two members whose names differ only in case are the same attribute in SCIM (RFC 7643
//! §2.1). Both are refused with 400 `invalidSyntax`, never half-applied. So are bodies nested
//! deeper than [`MAX_JSON_DEPTH`]; a body over [`MAX_BODY_BYTES`] is refused unread with 413.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::limits::{MAX_BODY_BYTES, MAX_JSON_DEPTH};

/// Parses a request body as JSON, refusing duplicate member names (compared without case), a
/// body larger than [`MAX_BODY_BYTES`] (413) and nesting deeper than [`MAX_JSON_DEPTH`].
pub fn parse(bytes: &[u8]) -> Result<Value, ScimError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ScimError::payload_too_large(format!(
            "the request body is {} bytes; the limit is {MAX_BODY_BYTES}",
            bytes.len()
        )));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Strict { depth: 0 }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|e| ScimError::bad_request(ScimType::InvalidSyntax, format!("body is not valid JSON: {e}")))?;
    Ok(value)
}

/// Reads one JSON value nested `depth` levels deep, whose objects name each member once.
#[derive(Clone, Copy)]
struct Strict {
    depth: usize,
}

impl Strict {
    /// The seed for a value inside this one's array or object.
    fn inner<E: de::Error>(self) -> Result<Strict, E> {
        if self.depth >= MAX_JSON_DEPTH {
            return Err(E::custom(format!("arrays and objects nest deeper than {MAX_JSON_DEPTH} levels")));
        }
        Ok(Strict { depth: self.depth + 1 })
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut object = Map::new();
        let mut names = HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if !names.insert(name.to_lowercase()) {
                return Err(de::Error::custom(format!("member \"{name}\" appears twice in one object")));
            }
            let value = map.next_value_seed(inner)?;
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_what_serde_json_parses() {
        let text = r#"{"a": [1, -2, 3.5, "x", true, null, {"b": {}}], "c": 18446744073709551615}"#;
        assert_eq!(parse(text.as_bytes()).expect("parse"), serde_json::from_str::<Value>(text).expect("serde"));
    }

    #[test]
    fn refuses_a_member_named_twice_even_in_another_case() {
        for text in [
            r#"{"userName": "a", "userName": "b"}"#,
            r#"{"userName": "a", "USERNAME": "b"}"#,
            r#"{"x": [{"v": 1, "v": 2}]}"#,
        ] {
            let e = parse(text.as_bytes()).expect_err(text);
            assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidSyntax)), "{text}");
            assert!(e.detail.contains("appears twice"), "{}", e.detail);
        }
        assert_eq!(parse(br#"{"a": 1, "b": {"a": 2}}"#).expect("distinct"), json!({"a": 1, "b": {"a": 2}}));
    }

    #[test]
    fn refuses_nesting_deeper_than_the_limit() {
        let nested = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        parse(nested(MAX_JSON_DEPTH).as_bytes()).expect("at the limit");
        let e = parse(nested(MAX_JSON_DEPTH + 1).as_bytes()).expect_err("one past the limit");
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidSyntax)));
        assert!(e.detail.contains("nest deeper"), "{}", e.detail);
        let objects = format!("{}1{}", "{\"a\":".repeat(MAX_JSON_DEPTH + 1), "}".repeat(MAX_JSON_DEPTH + 1));
        assert!(parse(objects.as_bytes()).expect_err("objects").detail.contains("nest deeper"));
        // Far past serde_json's own recursion limit: refused, not a stack overflow.
        assert!(parse(nested(100_000).as_bytes()).is_err());
    }

    #[test]
    fn refuses_a_body_over_the_limit_unread() {
        let big = format!("\"{}\"", "x".repeat(MAX_BODY_BYTES));
        let e = parse(big.as_bytes()).expect_err("too large");
        assert_eq!((e.status, e.scim_type), (413, None));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for text in ["{not json", "", "{\"a\": 1} trailing", "[1,]"] {
            assert_eq!(parse(text.as_bytes()).expect_err(text).scim_type, Some(ScimType::InvalidSyntax), "{text}");
        }
    }
}

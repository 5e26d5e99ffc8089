//! SCIM request bodies, parsed strictly.
//!
//! `serde_json` keeps the last of two members with one name and drops the first without a
//! word. A body naming a member twice is ambiguous — which `userName` did the client mean? —
//! and two members whose names differ only in case are the same attribute in SCIM (RFC 7643
//! §2.1). Both are refused with 400 `invalidSyntax`, never half-applied.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};

/// Parses a request body as JSON, refusing duplicate member names (compared without case).
pub fn parse(bytes: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice::<Strict>(bytes)
        .map(|Strict(value)| value)
        .map_err(|e| ScimError::bad_request(ScimType::InvalidSyntax, format!("body is not valid JSON: {e}")))
}

/// A JSON value whose objects name each member once.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
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
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        let mut names = HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if !names.insert(name.to_lowercase()) {
                return Err(de::Error::custom(format!("member \"{name}\" appears twice in one object")));
            }
            let Strict(value) = map.next_value()?;
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
    fn refuses_what_is_not_json() {
        for text in ["{not json", "", "{\"a\": 1} trailing", "[1,]"] {
            assert_eq!(parse(text.as_bytes()).expect_err(text).scim_type, Some(ScimType::InvalidSyntax), "{text}");
        }
    }
}

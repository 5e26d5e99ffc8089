//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes of a
//! resource are returned.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::AttrPath;
use super::schema::{Attribute, ResourceSchema, Returned};

/// The attribute selection of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// Only these (plus attributes returned always), when non-empty.
    pub attributes: Vec<AttrPath>,
    /// Not these (unless returned always).
    pub excluded: Vec<AttrPath>,
}

fn parse_list(raw: Option<&str>, name: &str) -> Result<Vec<AttrPath>, ScimError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let path: super::filter::PatchPath =
                s.parse().map_err(|e| ScimError::bad_request(ScimType::InvalidValue, format!("{name}: {e}")))?;
            if path.value_filter.is_some() {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("{name}: filters are not allowed here"),
                ));
            }
            Ok(path.attr)
        })
        .collect()
}

impl Projection {
    /// Parses the comma-separated `attributes` and `excludedAttributes` values.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        Ok(Projection {
            attributes: parse_list(attributes, "attributes")?,
            excluded: parse_list(excluded, "excludedAttributes")?,
        })
    }

    /// Whether the top-level core attribute `name` can appear in the output (to skip
    /// computing attributes nobody asked for).
    pub fn may_include(&self, name: &str) -> bool {
        let names = |p: &&AttrPath| p.name.eq_ignore_ascii_case(name) && p.schema.is_none();
        if self.excluded.iter().filter(names).any(|p| p.sub_attr.is_none()) {
            return false;
        }
        self.attributes.is_empty() || self.attributes.iter().any(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Applies the selection to a rendered resource.
    pub fn apply(&self, schema: &ResourceSchema, resource: Value) -> Value {
        let Value::Object(members) = resource else { return resource };
        let mut out = Map::new();
        for (key, value) in members {
            let (urn, attribute) = if super::normalize::is_urn(&key) {
                (Some(key.as_str()), None)
            } else {
                (None, schema.find(None, &key))
            };
            if key == "schemas" || attribute.is_some_and(|a| a.returned == Returned::Always) {
                out.insert(key, value);
                continue;
            }
            let kept = match urn {
                Some(urn) => self.extension(schema, urn, value),
                None => self.member(None, &key, attribute, value),
            };
            if let Some(v) = kept {
                out.insert(key, v);
            }
        }
        Value::Object(out)
    }

    fn extension(&self, schema: &ResourceSchema, urn: &str, value: Value) -> Option<Value> {
        let Value::Object(members) = value else { return Some(value) };
        let whole = |p: &AttrPath| {
            p.schema.is_none() && p.name.eq_ignore_ascii_case(urn)
                || p.schema.as_deref().is_some_and(|s| format!("{s}:{}", p.name).eq_ignore_ascii_case(urn))
        };
        if self.excluded.iter().any(whole) {
            return None;
        }
        let all = self.attributes.is_empty() || self.attributes.iter().any(whole);
        let mut out = Map::new();
        for (key, v) in members {
            let attribute = schema.find(Some(urn), &key);
            let kept = if all && self.excluded.is_empty() {
                Some(v)
            } else {
                Projection {
                    attributes: if all { Vec::new() } else { self.attributes.clone() },
                    excluded: self.excluded.clone(),
                }
                .member(Some(urn), &key, attribute, v)
            };
            if let Some(v) = kept {
                out.insert(key, v);
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    fn member(&self, urn: Option<&str>, key: &str, attribute: Option<&Attribute>, value: Value) -> Option<Value> {
        let same_schema = |p: &AttrPath| match (urn, p.schema.as_deref()) {
            (None, None) => true,
            (None, Some(s)) => s.to_ascii_lowercase().starts_with("urn:ietf:params:scim:schemas:core:"),
            (Some(u), Some(s)) => u.eq_ignore_ascii_case(s),
            (Some(_), None) => false,
        };
        let names = |p: &&AttrPath| same_schema(p) && p.name.eq_ignore_ascii_case(key);
        if self.excluded.iter().filter(names).any(|p| p.sub_attr.is_none()) {
            return None;
        }
        if attribute.is_some_and(|a| a.returned == Returned::Never) {
            return None;
        }
        let asked: Vec<&AttrPath> = self.attributes.iter().filter(names).collect();
        if self.attributes.is_empty() {
            if attribute.is_some_and(|a| a.returned == Returned::Request) {
                return None;
            }
            let subs: Vec<&str> = self.excluded.iter().filter(names).filter_map(|p| p.sub_attr.as_deref()).collect();
            return Some(if subs.is_empty() {
                value
            } else {
                retain_subs(value, |s| !subs.iter().any(|x| x.eq_ignore_ascii_case(s)))
            });
        }
        if asked.is_empty() {
            return None;
        }
        if asked.iter().any(|p| p.sub_attr.is_none()) {
            return Some(value);
        }
        let subs: Vec<&str> = asked.iter().filter_map(|p| p.sub_attr.as_deref()).collect();
        Some(retain_subs(value, |s| subs.iter().any(|x| x.eq_ignore_ascii_case(s))))
    }
}

fn retain_subs(value: Value, keep: impl Fn(&str) -> bool + Copy) -> Value {
    match value {
        Value::Object(mut o) => {
            o.retain(|k, _| keep(k));
            Value::Object(o)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| retain_subs(v, keep)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, USER_SCHEMA};
    use serde_json::json;

    fn user() -> Value {
        json!({"schemas": ["s"], "id": "1", "userName": "b", "displayName": "B",
               "name": {"givenName": "G", "familyName": "F"},
               "meta": {"resourceType": "User"}, ENTERPRISE_USER: {"department": "D", "costCenter": "C"}})
    }

    #[test]
    fn attributes_keep_only_asked_and_always_returned() {
        let p = Projection::parse(Some("userName,name.givenName"), None).expect("parse");
        let out = p.apply(&USER_SCHEMA, user());
        assert_eq!(out, json!({"schemas": ["s"], "id": "1", "userName": "b", "name": {"givenName": "G"}}));
    }

    #[test]
    fn excluded_attributes_drop_but_never_id() {
        let p = Projection::parse(None, Some("displayName,id,name.familyName,meta")).expect("parse");
        let out = p.apply(&USER_SCHEMA, user());
        assert!(out.get("displayName").is_none() && out.get("meta").is_none());
        assert_eq!(out["id"], "1");
        assert_eq!(out["name"], json!({"givenName": "G"}));
    }

    #[test]
    fn extension_attributes_can_be_selected() {
        let p = Projection::parse(Some(&format!("{ENTERPRISE_USER}:department")), None).expect("parse");
        let out = p.apply(&USER_SCHEMA, user());
        assert_eq!(out[ENTERPRISE_USER], json!({"department": "D"}));
        assert!(out.get("userName").is_none());
    }
}

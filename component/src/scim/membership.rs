//! Group membership at the SCIM level: which members a request names, how PATCH operations
//! on `members` become membership changes, and the computed `members` / `groups` attributes.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::error::{ScimError, ScimType};
use super::filter::{CompValue, CompareOp, Filter};
use super::patch::{OpKind, PatchOp};
use super::schema::GROUP;
use crate::app::App;
use crate::storage::StorageError;
use crate::storage::keys::Kind;
use crate::storage::members::{MemberType, Members, groups_of_many};
use crate::storage::resources::{ResourceRecord, Resources};

/// A change to a group's members.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    /// Add these member values (`{"value": id, ...}`).
    Add(Vec<Value>),
    /// Remove these member ids.
    Remove(Vec<String>),
    /// Remove the members matching a value filter.
    RemoveMatching(Filter),
    /// Remove every member.
    RemoveAll,
    /// Make the members exactly these values.
    ReplaceAll(Vec<Value>),
}

fn is_members(name: &str) -> bool {
    name.eq_ignore_ascii_case("members")
}

fn values(value: Option<Value>) -> Vec<Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(single) => vec![single],
    }
}

/// The id of a member value: its `value` sub-attribute, or the value itself if a string.
pub fn member_id(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            o.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")).and_then(|(_, v)| v.as_str()).map(str::to_owned)
        }
        _ => None,
    }
}

/// Splits PATCH operations into those on the group document and those on `members`.
pub fn split_ops(ops: Vec<PatchOp>) -> Result<(Vec<PatchOp>, Vec<MemberChange>), ScimError> {
    let mut document = Vec::new();
    let mut changes = Vec::new();
    for op in ops {
        match &op.path {
            Some(path)
                if is_members(&path.attr.name)
                    && path.attr.schema.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(GROUP)) =>
            {
                if let Some(sub) = path.target_sub_attr() {
                    // Every sub-attribute of a member is immutable or read-only (RFC 7643 §4.2).
                    let known = super::schema::GROUP_SCHEMA.find(None, "members").and_then(|m| m.sub_attribute(sub));
                    let scim_type = if known.is_some() { ScimType::Mutability } else { ScimType::InvalidPath };
                    return Err(ScimError::bad_request(
                        scim_type,
                        format!("{path}: members can only be added or removed, not changed"),
                    ));
                }
                let change = match (op.kind, &path.value_filter) {
                    (OpKind::Add, None) => MemberChange::Add(values(op.value)),
                    (OpKind::Replace, None) => MemberChange::ReplaceAll(values(op.value)),
                    (OpKind::Remove, None) if op.value.is_some() => {
                        MemberChange::Remove(values(op.value).iter().filter_map(member_id).collect())
                    }
                    (OpKind::Remove, None) => MemberChange::RemoveAll,
                    (OpKind::Remove, Some(filter)) => match filter {
                        Filter::Compare(p, CompareOp::Eq, CompValue::Str(id))
                            if p.matches_name("value") && p.sub_attr.is_none() =>
                        {
                            MemberChange::Remove(vec![id.clone()])
                        }
                        other => MemberChange::RemoveMatching(other.clone()),
                    },
                    (_, Some(_)) => {
                        return Err(ScimError::bad_request(
                            ScimType::InvalidPath,
                            format!("{path}: use add or remove for members"),
                        ));
                    }
                };
                changes.push(change);
            }
            None if op.value.as_ref().and_then(Value::as_object).is_some_and(|o| o.keys().any(|k| is_members(k))) => {
                let mut object: Map<String, Value> =
                    op.value.clone().and_then(|v| v.as_object().cloned()).unwrap_or_default();
                let key = object.keys().find(|k| is_members(k)).cloned().unwrap_or_default();
                let members = object.remove(&key);
                changes.push(match op.kind {
                    OpKind::Replace => MemberChange::ReplaceAll(values(members)),
                    _ => MemberChange::Add(values(members)),
                });
                if !object.is_empty() {
                    document.push(PatchOp { kind: op.kind, path: None, value: Some(Value::Object(object)) });
                }
            }
            _ => document.push(op),
        }
    }
    Ok((document, changes))
}

/// Resolves member values to existing users or groups of the connection (two store calls).
pub fn resolve(app: &App<'_>, connection: &str, values: &[Value]) -> Result<Vec<(String, MemberType)>, ScimError> {
    let mut ids = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let id = member_id(value).ok_or_else(|| {
            ScimError::bad_request(ScimType::InvalidValue, format!("members[{i}] needs a value (the member's id)"))
        })?;
        ids.push(id);
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    let users = Resources::new(app.store, connection, Kind::User).get_many(&ids)?;
    let groups = Resources::new(app.store, connection, Kind::Group).get_many(&ids)?;
    let mut kinds: HashMap<&str, MemberType> = HashMap::new();
    kinds.extend(users.iter().map(|r| (r.id.as_str(), MemberType::User)));
    kinds.extend(groups.iter().map(|r| (r.id.as_str(), MemberType::Group)));
    ids.iter()
        .map(|id| match kinds.get(id.as_str()) {
            Some(kind) => Ok((id.clone(), *kind)),
            None => Err(ScimError::bad_request(
                ScimType::InvalidValue,
                format!("member {id} is not a user or group of this connection"),
            )),
        })
        .collect()
}

/// Validates the changes (members must exist) so that applying them cannot fail on input.
pub fn prepare(app: &App<'_>, connection: &str, changes: Vec<MemberChange>) -> Result<Vec<Prepared>, ScimError> {
    changes
        .into_iter()
        .map(|change| {
            Ok(match change {
                MemberChange::Add(values) => Prepared::Add(resolve(app, connection, &values)?),
                MemberChange::ReplaceAll(values) => Prepared::ReplaceAll(resolve(app, connection, &values)?),
                MemberChange::Remove(ids) => Prepared::Remove(ids),
                MemberChange::RemoveMatching(filter) => Prepared::RemoveMatching(filter),
                MemberChange::RemoveAll => Prepared::RemoveAll,
            })
        })
        .collect()
}

/// A validated membership change.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Add these existing members.
    Add(Vec<(String, MemberType)>),
    /// Remove these ids.
    Remove(Vec<String>),
    /// Remove members matching the filter.
    RemoveMatching(Filter),
    /// Remove everyone.
    RemoveAll,
    /// Exactly these members.
    ReplaceAll(Vec<(String, MemberType)>),
}

fn type_name(kind: MemberType) -> &'static str {
    match kind {
        MemberType::User => "User",
        MemberType::Group => "Group",
    }
}

/// Applies validated changes to group `group`.
pub fn apply(app: &App<'_>, connection: &str, group: &str, changes: &[Prepared]) -> Result<(), StorageError> {
    let members = Members::new(app.store, connection, group);
    for change in changes {
        match change {
            Prepared::Add(list) => {
                members.add(list)?;
            }
            Prepared::Remove(ids) => {
                members.remove(ids)?;
            }
            Prepared::RemoveAll => {
                let all: Vec<String> = members.all()?.into_iter().map(|(id, _)| id).collect();
                members.remove(&all)?;
            }
            Prepared::RemoveMatching(filter) => {
                let attr = super::filter::AttrPath::new("members");
                let doomed: Vec<String> = members
                    .all()?
                    .into_iter()
                    .filter(|(id, kind)| {
                        filter.matches_element(
                            &attr,
                            &json!({"value": id, "type": type_name(*kind)}),
                            &super::schema::GROUP_SCHEMA,
                        )
                    })
                    .map(|(id, _)| id)
                    .collect();
                members.remove(&doomed)?;
            }
            Prepared::ReplaceAll(wanted) => {
                let current: Vec<String> = members.all()?.into_iter().map(|(id, _)| id).collect();
                let keep: std::collections::HashSet<&String> = wanted.iter().map(|(id, _)| id).collect();
                let doomed: Vec<String> = current.iter().filter(|id| !keep.contains(id)).cloned().collect();
                members.remove(&doomed)?;
                members.add(wanted)?;
            }
        }
    }
    Ok(())
}

fn reference(base: &str, kind: MemberType, id: &str) -> String {
    match kind {
        MemberType::User => format!("{base}/Users/{id}"),
        MemberType::Group => format!("{base}/Groups/{id}"),
    }
}

/// The `members` attribute of a group.
pub fn members_value(app: &App<'_>, connection: &str, base: &str, group: &str) -> Result<Vec<Value>, StorageError> {
    Ok(Members::new(app.store, connection, group)
        .all()?
        .into_iter()
        .map(|(id, kind)| json!({"value": id, "$ref": reference(base, kind, &id), "type": type_name(kind)}))
        .collect())
}

/// Adds the computed `groups` attribute to rendered users (four store calls for any number).
pub fn add_groups(app: &App<'_>, connection: &str, base: &str, users: &mut [Value]) -> Result<(), StorageError> {
    let ids: Vec<String> = users.iter().map(|u| u["id"].as_str().unwrap_or_default().to_owned()).collect();
    let memberships = groups_of_many(app.store, connection, &ids)?;
    let mut all: Vec<String> = memberships.iter().flatten().cloned().collect();
    all.sort();
    all.dedup();
    let names: HashMap<String, String> = Resources::new(app.store, connection, Kind::Group)
        .get_many(&all)?
        .into_iter()
        .map(|r: ResourceRecord| {
            let name = r.body.get("displayName").and_then(Value::as_str).unwrap_or_default().to_owned();
            (r.id, name)
        })
        .collect();
    for (user, groups) in users.iter_mut().zip(memberships) {
        let values: Vec<Value> = groups
            .iter()
            .filter_map(|g| names.get(g).map(|name| (g, name)))
            .map(|(g, name)| json!({"value": g, "$ref": format!("{base}/Groups/{g}"), "display": name, "type": "direct"}))
            .collect();
        if let (Some(object), false) = (user.as_object_mut(), values.is_empty()) {
            object.insert("groups".into(), Value::Array(values));
        }
    }
    Ok(())
}

//! PATCH (`scim::patch`): a PatchOp body parsed and applied to a stored sample user and group
//! (the group's `members` split off first, as the handler does).
//!
//! The input is either a whole request body (it starts with `{`), or three lines — op, path,
//! value as JSON — made into a one-operation body, so the fuzzer spends its time on paths
//! and values. Beyond "no panic": what a PATCH yields is a normalised body (normalising it
//! again changes nothing) that keeps the resource's core schema.

#![no_main]

use idplex_component::scim::membership::split_ops;
use idplex_component::scim::normalize::normalize;
use idplex_component::scim::patch::{self, PATCH_OP};
use idplex_component::scim::schema::{GROUP_SCHEMA, ResourceSchema, USER_SCHEMA};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fn body(data: &[u8]) -> Option<Value> {
    if data.first() == Some(&b'{') {
        return idplex_component::scim::body::parse(data).ok();
    }
    let text = std::str::from_utf8(data).ok()?;
    let mut lines = text.splitn(3, '\n');
    let op = lines.next()?;
    let path = lines.next()?;
    let mut operation = json!({"op": op});
    if !path.is_empty() {
        operation["path"] = Value::String(path.to_owned());
    }
    if let Some(value) = lines.next() {
        operation["value"] = serde_json::from_str(value).ok()?;
    }
    Some(json!({"schemas": [PATCH_OP], "Operations": [operation]}))
}

fn stored(schema: &ResourceSchema, sample: Value) -> Map<String, Value> {
    normalize(schema, sample).expect("the sample is a valid resource")
}

fn check(schema: &ResourceSchema, patched: Map<String, Value>) {
    let again = normalize(schema, Value::Object(patched.clone()))
        .unwrap_or_else(|e| panic!("a patched body does not normalise again: {e:?}\n{patched:?}"));
    assert_eq!(again, patched, "normalising a patched body changes it");
    let schemas = patched.get("schemas").and_then(Value::as_array);
    assert!(schemas.is_some_and(|s| s.first() == Some(&json!(schema.core))), "core schema lost: {patched:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some(body) = body(data) else { return };
    let Ok(ops) = patch::parse(&body) else { return };
    let user = stored(&USER_SCHEMA, idplex_fuzz::sample_user());
    if let Ok(patched) = patch::apply(&USER_SCHEMA, &user, &ops) {
        check(&USER_SCHEMA, patched);
    }
    if let Ok((ops, _members)) = split_ops(ops) {
        let mut group = idplex_fuzz::object(idplex_fuzz::sample_group());
        group.remove("members");
        let group = stored(&GROUP_SCHEMA, Value::Object(group));
        if let Ok(patched) = patch::apply(&GROUP_SCHEMA, &group, &ops) {
            check(&GROUP_SCHEMA, patched);
        }
    }
});

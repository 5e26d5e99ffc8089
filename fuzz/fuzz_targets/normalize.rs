//! Validation and normalisation of a resource body (`scim::normalize`): arbitrary bytes, read
//! as the handler reads a POST or PUT body, normalised as a User and as a Group.
//!
//! Beyond "no panic": a normalised body is a fixed point (normalising it again, as a request
//! or not, yields it unchanged), names its core schema first, and holds no `null`.

#![no_main]

use idplex_component::scim::normalize::{is_urn, normalize, normalize_request};
use idplex_component::scim::schema::{GROUP_SCHEMA, ResourceSchema, USER_SCHEMA};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn holds_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(values) => values.iter().any(holds_null),
        Value::Object(members) => members.values().any(holds_null),
        _ => false,
    }
}

fn check(schema: &ResourceSchema, body: &Value) {
    let Ok(out) = normalize_request(schema, body.clone()) else { return };
    let out = Value::Object(out);
    assert_eq!(out["schemas"][0], json!(schema.core), "core schema not first: {out}");
    let again =
        normalize_request(schema, out.clone()).unwrap_or_else(|e| panic!("a normalised body is refused: {e:?}\n{out}"));
    assert_eq!(Value::Object(again), out, "normalising twice changes the body");
    let plain = normalize(schema, out.clone()).unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    assert_eq!(Value::Object(plain), out, "normalize and normalize_request differ on a stored body");
    // Unknown extensions are kept as sent, nulls included; the schema's own members are not.
    let known = out.as_object().into_iter().flatten().filter(|(k, _)| !is_urn(k) || schema.extension(k).is_some());
    for (name, value) in known {
        assert!(!holds_null(value), "{name} holds a null: {out}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = idplex_component::scim::body::parse(data) else { return };
    check(&USER_SCHEMA, &body);
    check(&GROUP_SCHEMA, &body);
});

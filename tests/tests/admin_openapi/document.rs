//! The structural checks of the OpenAPI 3.1 document that matter to its readers and to the
//! test: every `$ref` resolves, every operation has an `operationId` (unique) and responses,
//! every path template's parameters are declared, security names a declared scheme, every
//! component is used, and every schema stays within what `schema.rs` validates.

use std::collections::BTreeSet;

use serde_json::Value;

use super::schema::{resolve, unsupported};

/// The HTTP methods an OpenAPI path item may hold operations for.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Every `$ref` in `value`, with where it is.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                match (key.as_str(), member) {
                    ("$ref", Value::String(target)) => out.push((at.clone(), target)),
                    _ => refs(member, format!("{at}/{key}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refs(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// `value`, or what its `$ref` points to (followed until it is not a reference).
pub fn deref<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(pointer) = value.get("$ref").and_then(Value::as_str) {
        value = resolve(document, pointer).unwrap_or_else(|| panic!("unresolved $ref {pointer}"));
    }
    value
}

/// The `{name}`s of a path template.
pub fn template_names(template: &str) -> Vec<&str> {
    template.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
}

/// The parameters of `operation` on path item `item` (path-level ones overridden by the
/// operation's), references followed.
pub fn parameters<'a>(document: &'a Value, item: &'a Value, operation: &'a Value) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = Vec::new();
    let lists = [item.get("parameters"), operation.get("parameters")];
    for parameter in lists.into_iter().flatten().filter_map(Value::as_array).flatten().map(|p| deref(document, p)) {
        out.retain(|p| !(p["name"] == parameter["name"] && p["in"] == parameter["in"]));
        out.push(parameter);
    }
    out
}

/// Every schema the document holds: components' and those inline under parameters, headers
/// and media types (each with where it is).
fn schemas(value: &Value, at: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                let here = format!("{at}/{key}");
                if (key == "schema" && member.is_object()) || at == "#/components/schemas" {
                    out.push((here, member.clone()));
                } else {
                    schemas(member, here, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                schemas(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every problem found in `document`; empty when it is sound.
pub fn problems(document: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if !document["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")) {
        out.push(format!("openapi is {}, not 3.1.x", document["openapi"]));
    }
    for member in ["title", "version"] {
        if !document["info"][member].is_string() {
            out.push(format!("info.{member} is missing"));
        }
    }
    let mut found = Vec::new();
    refs(document, "#".into(), &mut found);
    let mut referenced = BTreeSet::new();
    for (at, target) in &found {
        if resolve(document, target).is_none() {
            out.push(format!("{at}: $ref {target} does not resolve"));
        }
        referenced.insert(target.to_string());
    }
    for (kind, entries) in document["components"].as_object().into_iter().flatten() {
        if kind == "securitySchemes" {
            continue;
        }
        for name in entries.as_object().into_iter().flatten().map(|(name, _)| name) {
            if !referenced.contains(&format!("#/components/{kind}/{name}")) {
                out.push(format!("#/components/{kind}/{name} is never used"));
            }
        }
    }
    let schemes = &document["components"]["securitySchemes"];
    let mut operation_ids = BTreeSet::new();
    let paths = document["paths"].as_object();
    if paths.is_none_or(|p| p.is_empty()) {
        out.push("no paths".into());
    }
    for (template, item) in paths.into_iter().flatten() {
        if !template.starts_with('/') {
            out.push(format!("path {template} does not start with /"));
        }
        for (method, operation) in item.as_object().into_iter().flatten() {
            if !METHODS.contains(&method.as_str()) {
                if !matches!(method.as_str(), "parameters" | "summary" | "description") {
                    out.push(format!("{template}: unknown member {method}"));
                }
                continue;
            }
            let at = format!("{method} {template}");
            match operation["operationId"].as_str() {
                Some(id) if operation_ids.insert(id.to_owned()) => {}
                Some(id) => out.push(format!("{at}: operationId {id} is not unique")),
                None => out.push(format!("{at}: no operationId")),
            }
            let responses = operation["responses"].as_object();
            if responses.is_none_or(|r| r.is_empty()) {
                out.push(format!("{at}: no responses"));
            }
            for status in responses.into_iter().flatten().map(|(s, _)| s) {
                if !(status == "default"
                    || status.len() == 3 && status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)))
                {
                    out.push(format!("{at}: response key {status} is not a status code"));
                }
            }
            let declared = parameters(document, item, operation);
            let in_path: BTreeSet<&str> =
                declared.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect();
            let in_template: BTreeSet<&str> = template_names(template).into_iter().collect();
            if in_path != in_template {
                out.push(format!("{at}: path parameters {in_path:?} are not the template's {in_template:?}"));
            }
            for parameter in &declared {
                if parameter["in"] == "path" && parameter["required"] != true {
                    out.push(format!("{at}: path parameter {} is not required", parameter["name"]));
                }
            }
            let security = operation.get("security").unwrap_or(&document["security"]);
            for requirement in security.as_array().into_iter().flatten() {
                for name in requirement.as_object().into_iter().flatten().map(|(n, _)| n) {
                    if !schemes[name].is_object() {
                        out.push(format!("{at}: security scheme {name} is not declared"));
                    }
                }
            }
        }
    }
    let mut all = Vec::new();
    schemas(document, "#".into(), &mut all);
    for (at, schema) in &all {
        out.extend(unsupported(schema, at));
    }
    out
}

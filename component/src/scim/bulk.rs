//! `/Bulk` (RFC 7644 §3.7): many operations in one request, with `bulkId` references
//! between them and `failOnErrors`.
//!
//! Operations run in request order through the same endpoint code as single requests. An
//! operation that refers (in its path or data) to the `bulkId` of an operation that has not
//! run yet is deferred until it has; references that can never resolve (circular, unknown, or
//! to a failed operation) fail that operation with 409.

use serde_json::{Map, Value, json};

use super::error::{ScimError, ScimType};
use super::router::{Scope, dispatch};
use crate::http::{Request, Response};

/// URN of the BulkRequest message.
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// URN of the BulkResponse message.
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The most operations one request may carry.
pub use super::limits::MAX_BULK_OPERATIONS as MAX_OPERATIONS;
/// The largest request body accepted, in bytes.
pub use super::limits::MAX_BULK_PAYLOAD_BYTES as MAX_PAYLOAD_BYTES;

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}

fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// One parsed operation.
struct Operation {
    method: String,
    path: String,
    bulk_id: Option<String>,
    version: Option<String>,
    data: Option<Value>,
}

fn parse(request: &Request) -> Result<(Vec<Operation>, Option<usize>), ScimError> {
    if request.body.len() > MAX_PAYLOAD_BYTES {
        return Err(ScimError::payload_too_large(format!("the bulk request is larger than {MAX_PAYLOAD_BYTES} bytes")));
    }
    let body: Value = super::body::parse(&request.body)?;
    let object = body.as_object().ok_or_else(|| syntax("a BulkRequest must be a JSON object"))?;
    let declared = member(object, "schemas").and_then(Value::as_array);
    if !declared.is_some_and(|s| s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(BULK_REQUEST)))) {
        return Err(syntax(format!("schemas must be [\"{BULK_REQUEST}\"]")));
    }
    let fail_on_errors = match member(object, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => {
            Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| syntax("failOnErrors must be a positive integer"))?
                as usize)
        }
    };
    let operations =
        member(object, "Operations").and_then(Value::as_array).ok_or_else(|| syntax("Operations must be an array"))?;
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::payload_too_large(format!("at most {MAX_OPERATIONS} operations per bulk request")));
    }
    let parsed = operations
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let op = op.as_object().ok_or_else(|| syntax(format!("Operations[{i}] must be an object")))?;
            let text = |name: &str| member(op, name).and_then(Value::as_str).map(str::to_owned);
            let method = text("method")
                .map(|m| m.to_ascii_uppercase())
                .ok_or_else(|| syntax(format!("Operations[{i}].method is required")))?;
            if !["POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                return Err(syntax(format!("Operations[{i}].method must be POST, PUT, PATCH or DELETE")));
            }
            let path = text("path").ok_or_else(|| syntax(format!("Operations[{i}].path is required")))?;
            let bulk_id = text("bulkId");
            if method == "POST" && bulk_id.is_none() {
                return Err(syntax(format!("Operations[{i}]: POST needs a bulkId")));
            }
            Ok(Operation { method, path, bulk_id, version: text("version"), data: member(op, "data").cloned() })
        })
        .collect::<Result<Vec<_>, ScimError>>()?;
    let mut bulk_ids = std::collections::HashSet::new();
    if let Some(duplicate) = parsed.iter().filter_map(|op| op.bulk_id.as_deref()).find(|id| !bulk_ids.insert(*id)) {
        // A reference to it could mean either resource.
        return Err(ScimError::bad_request(
            ScimType::InvalidValue,
            format!("bulkId {duplicate:?} names more than one operation"),
        ));
    }
    Ok((parsed, fail_on_errors))
}

/// The `bulkId`s a value refers to (`"bulkId:xyz"` strings anywhere inside).
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:") {
                out.push(id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        Value::Object(members) => members.values().for_each(|v| references(v, out)),
        _ => {}
    }
}

fn substitute(value: &mut Value, resolved: &std::collections::HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:").and_then(|b| resolved.get(b)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, resolved)),
        Value::Object(members) => members.values_mut().for_each(|v| substitute(v, resolved)),
        _ => {}
    }
}

fn result(op: &Operation, response: &Response) -> Value {
    let mut out = json!({"method": op.method, "status": response.status.to_string()});
    if let Some(bulk_id) = &op.bulk_id {
        out["bulkId"] = json!(bulk_id);
    }
    if let Some(location) = response.header_value("location") {
        out["location"] = json!(location);
    }
    if let Some(etag) = response.header_value("etag") {
        out["version"] = json!(etag);
    }
    if response.status >= 400 {
        out["response"] = response.body_json();
    }
    out
}

/// Handles `POST /Bulk`.
pub fn handle(scope: &Scope<'_>, request: &Request) -> Result<Response, ScimError> {
    let (operations, fail_on_errors) = parse(request)?;
    let mut results: Vec<Option<Value>> = vec![None; operations.len()];
    let mut resolved = std::collections::HashMap::new();
    let mut pending: Vec<usize> = (0..operations.len()).collect();
    let mut errors = 0;
    'passes: while !pending.is_empty() {
        let mut progressed = false;
        let mut deferred = Vec::new();
        for &i in &pending {
            let op = &operations[i];
            let mut refs = Vec::new();
            references(&Value::String(op.path.clone()), &mut refs);
            if let Some(data) = &op.data {
                references(data, &mut refs);
            }
            let waiting = refs.iter().any(|r| !resolved.contains_key(r));
            let can_wait = refs.iter().any(|r| {
                !resolved.contains_key(r)
                    && operations
                        .iter()
                        .enumerate()
                        .any(|(j, o)| o.bulk_id.as_deref() == Some(r) && results[j].is_none() && j != i)
            });
            if waiting && can_wait {
                deferred.push(i);
                continue;
            }
            progressed = true;
            let response = if waiting {
                ScimError { status: 409, scim_type: None, detail: "a bulkId reference cannot be resolved".into() }
                    .to_response()
            } else {
                let mut path = Value::String(op.path.clone());
                substitute(&mut path, &resolved);
                let mut data = op.data.clone();
                if let Some(d) = &mut data {
                    substitute(d, &resolved);
                }
                run(scope, request, op, path.as_str().unwrap_or_default(), data)
            };
            if response.status >= 400 {
                errors += 1;
            } else if let (Some(bulk_id), "POST", Some(id)) =
                (&op.bulk_id, op.method.as_str(), response.body_json()["id"].as_str())
            {
                resolved.insert(bulk_id.clone(), id.to_owned());
            }
            results[i] = Some(result(op, &response));
            if fail_on_errors.is_some_and(|limit| errors >= limit) {
                break 'passes;
            }
        }
        if !progressed {
            for &i in &deferred {
                let response = ScimError { status: 409, scim_type: None, detail: "circular bulkId references".into() }
                    .to_response();
                results[i] = Some(result(&operations[i], &response));
            }
            break;
        }
        pending = deferred;
    }
    let body = json!({"schemas": [BULK_RESPONSE], "Operations": results.into_iter().flatten().collect::<Vec<_>>()});
    Ok(Response::scim(200, &body))
}

fn run(scope: &Scope<'_>, outer: &Request, op: &Operation, path: &str, data: Option<Value>) -> Response {
    let path = path.trim();
    let segments: Vec<&str> = path.split('?').next().unwrap_or_default().split('/').filter(|s| !s.is_empty()).collect();
    if segments.first().is_some_and(|s| s.eq_ignore_ascii_case("Bulk")) || segments.is_empty() {
        return ScimError::bad_request(ScimType::InvalidPath, format!("{path} is not a resource path")).to_response();
    }
    let mut headers: Vec<(String, String)> =
        outer.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("host")).cloned().collect();
    if let Some(version) = &op.version {
        headers.push(("if-match".into(), version.clone()));
    }
    let body = data.map(|d| serde_json::to_vec(&d).unwrap_or_default()).unwrap_or_default();
    let request = Request::new(&op.method, path, headers, body);
    dispatch(scope, &request, &segments).unwrap_or_else(|e| e.to_response())
}

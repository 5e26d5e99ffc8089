//! `/admin/api/v1/schemas` (tenant-wide) and `/admin/api/v1/connections/{id}/schemas` (one
//! connection): registering, reading, replacing and unregistering custom extension schemas.

use serde_json::{Value, json};

use super::AdminError;
use super::routes::{PREFIX, body};
use crate::app::App;
use crate::connection;
use crate::http::{Request, Response, percent_decode};
use crate::scim::schema::custom::CustomSchema;
use crate::storage::schemas::{self, Scope};

/// A schema as the admin API shows it: the definition, where it is registered.
fn shape(schema: &CustomSchema, scope: Scope<'_>) -> Value {
    let mut value = serde_json::to_value(schema).unwrap_or_default();
    match scope {
        Scope::Tenant => value["scope"] = json!("tenant"),
        Scope::Connection(id) => {
            value["scope"] = json!("connection");
            value["connectionId"] = json!(id);
        }
    }
    value
}

fn location(scope: Scope<'_>, urn: &str) -> String {
    match scope {
        Scope::Tenant => format!("{PREFIX}/schemas/{urn}"),
        Scope::Connection(id) => format!("{PREFIX}/connections/{id}/schemas/{urn}"),
    }
}

/// The definition in the body; `urn` (from the path) fills in or must equal its `id`.
fn definition(request: &Request, urn: Option<&str>) -> Result<CustomSchema, AdminError> {
    let mut value = body(request)?;
    if let Some(urn) = urn {
        match value.get("id") {
            None | Some(Value::Null) => value["id"] = json!(urn),
            Some(Value::String(id)) if id.eq_ignore_ascii_case(urn) => {}
            Some(_) => return Err(AdminError::InvalidArgument("id must be the schema URN of the path".into())),
        }
    }
    // A schema read back from this API may be sent again as it is.
    if let Some(members) = value.as_object_mut() {
        members.retain(|k, _| k != "scope" && k != "connectionId");
    }
    CustomSchema::parse(value).map_err(AdminError::InvalidArgument)
}

/// Routes a request whose path segments (after [`PREFIX`]) start with `schemas` or
/// `connections/{id}/schemas`.
pub(super) fn route(app: &App<'_>, request: &Request, segments: &[&str]) -> Result<Response, AdminError> {
    let (scope, rest) = match segments {
        ["schemas", rest @ ..] => (Scope::Tenant, rest),
        ["connections", id, "schemas", rest @ ..] => {
            connection::get(app, id, None)?;
            (Scope::Connection(id), rest)
        }
        _ => return Err(AdminError::NotFound("no such admin API endpoint".into())),
    };
    let urn = match rest {
        [] => None,
        [urn] => Some(percent_decode(urn)),
        _ => return Err(AdminError::NotFound("no such admin API endpoint".into())),
    };
    let store = app.store;
    match (urn.as_deref(), request.method.as_str()) {
        (None, "GET") => {
            let all: Vec<Value> = schemas::read(store, scope)?.iter().map(|s| shape(s, scope)).collect();
            Ok(Response::json(200, &json!({"schemas": all})))
        }
        (None, "POST") => {
            let schema = definition(request, None)?;
            schemas::create(store, scope, &schema)?;
            Ok(Response::json(201, &shape(&schema, scope)).header("location", &location(scope, &schema.id)))
        }
        (Some(urn), "GET") => {
            let all = schemas::read(store, scope)?;
            let found = all.iter().find(|s| s.id.eq_ignore_ascii_case(urn));
            let found =
                found.ok_or_else(|| AdminError::NotFound("no schema with that id is registered here".into()))?;
            Ok(Response::json(200, &shape(found, scope)))
        }
        (Some(urn), "PUT") => {
            let schema = definition(request, Some(urn))?;
            schemas::replace(store, scope, &schema)?;
            Ok(Response::json(200, &shape(&schema, scope)))
        }
        (Some(urn), "DELETE") => {
            schemas::remove(store, scope, urn)?;
            Ok(Response::empty(204))
        }
        _ => Err(AdminError::MethodNotAllowed),
    }
}

//! Routing of `/admin/api/v1/...` requests to connection and End Users operations.

use serde_json::{Value, json};

use super::{AdminError, is_admin, json as shape};
use crate::app::App;
use crate::connection;
use crate::end_users::{self, UserQuery};
use crate::http::{Request, Response};

/// The path prefix of the admin API.
pub const PREFIX: &str = "/admin/api/v1";

/// Handles a request whose path starts with [`PREFIX`].
pub fn handle(app: &App<'_>, request: &Request, base: Option<&str>) -> Response {
    if let Some(document) = super::openapi::serve(request) {
        return document;
    }
    if !is_admin(app, request) {
        return AdminError::Unauthorized.to_response();
    }
    let response = route(app, request, base).unwrap_or_else(|e| e.to_response());
    super::maintenance::after_request(app, request);
    response
}

/// The JSON object body of `request` (`{}` when empty).
pub(super) fn body(request: &Request) -> Result<Value, AdminError> {
    if request.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_slice(&request.body)
        .map_err(|e| AdminError::InvalidArgument(format!("body is not valid JSON: {e}")))?;
    if value.is_object() { Ok(value) } else { Err(AdminError::InvalidArgument("body must be a JSON object".into())) }
}

fn optional_name(body: &Value) -> Result<Option<String>, AdminError> {
    match body.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AdminError::InvalidArgument("name must be a string".into())),
    }
}

/// The optional boolean member `name` of `body`.
fn flag(body: &Value, name: &str) -> Result<Option<bool>, AdminError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AdminError::InvalidArgument(format!("{name} must be a boolean"))),
    }
}

/// The optional non-negative integer query parameter `name`.
pub(super) fn number(request: &Request, name: &str, default: u32) -> Result<u32, AdminError> {
    match request.query.get(name) {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| AdminError::InvalidArgument(format!("{name} must be a non-negative integer"))),
    }
}

fn route(app: &App<'_>, request: &Request, base: Option<&str>) -> Result<Response, AdminError> {
    let rest = request.path.strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = request.method.as_str();
    if let Some(answer) = super::maintenance::route(app, request, &segments) {
        return answer;
    }
    match (segments.as_slice(), method) {
        (["connections"], "GET") => {
            let start_index = number(request, "startIndex", 1)?;
            let count = number(request, "count", connection::DEFAULT_PAGE)?;
            Ok(Response::json(200, &shape::connection_page(&connection::list(app, base, start_index, count)?)))
        }
        (["connections"], "POST") => {
            let name = optional_name(&body(request)?)?;
            let issued = connection::create(app, name.as_deref(), base)?;
            let location = format!("{PREFIX}/connections/{}", issued.connection.record.id);
            Ok(Response::json(201, &shape::issued(&issued))
                .header("location", &location)
                .header("cache-control", "no-store"))
        }
        (["connections", id], "GET") => Ok(Response::json(200, &shape::connection(&connection::get(app, id, base)?))),
        (["connections", id], "PATCH") => {
            let body = body(request)?;
            let name = optional_name(&body)?;
            let accept = flag(&body, "acceptUnknownExtensions")?;
            let enabled = flag(&body, "enabled")?;
            if name.is_none() && accept.is_none() && enabled.is_none() {
                return Err(AdminError::InvalidArgument("name, enabled or acceptUnknownExtensions is required".into()));
            }
            let mut view = match &name {
                Some(name) => connection::rename(app, id, name, base)?,
                None => connection::get(app, id, base)?,
            };
            if let Some(accept) = accept {
                view = connection::set_accept_unknown_extensions(app, id, accept, base)?;
            }
            if let Some(enabled) = enabled {
                view = connection::set_enabled(app, id, enabled, base)?;
            }
            Ok(Response::json(200, &shape::connection(&view)))
        }
        (["connections", id], "DELETE") => {
            connection::delete(app, id)?;
            Ok(Response::empty(204))
        }
        (["connections", id, "token"], "POST") => {
            let grace = match body(request)?.get("graceSeconds") {
                None | Some(Value::Null) => 0,
                Some(value) => value.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
                    AdminError::InvalidArgument(format!(
                        "graceSeconds must be an integer from 0 to {}",
                        connection::MAX_GRACE_SECONDS
                    ))
                })?,
            };
            let issued = connection::regenerate_token(app, id, grace, base)?;
            Ok(Response::json(200, &shape::issued(&issued)).header("cache-control", "no-store"))
        }
        (["users"], "GET") => {
            let query = UserQuery {
                connection: request.query.get("connection").filter(|c| !c.is_empty()).map(str::to_owned),
                search: request.query.get("search").map(str::to_owned),
                start_index: number(request, "startIndex", 1)?,
                count: number(request, "count", 50)?,
            };
            Ok(Response::json(200, &shape::user_page(&end_users::list(app, &query)?)))
        }
        (["audit"], "GET") => super::audit::route(app, request),
        (["schemas", ..] | ["connections", _, "schemas", ..], _) => super::schemas::route(app, request, &segments),
        (["connections"] | ["connections", _] | ["connections", _, "token"] | ["users"] | ["audit"], _) => {
            Err(AdminError::MethodNotAllowed)
        }
        _ => Err(AdminError::NotFound("no such admin API endpoint".into())),
    }
}

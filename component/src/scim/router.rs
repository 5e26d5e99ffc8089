//! Routing of `/scim/v2/{connection-id}/...`: authentication, then the endpoint.

use super::discovery::{self, Document};
use super::error::ScimError;
use super::filter::DefaultTypes;
use super::handlers::Endpoint;
use super::list::ListParams;
use super::schema::Extension;
use super::schema::custom::{SubAttributes, extensions};
use crate::activity::{self, Journal};
use crate::app::App;
use crate::connection::{Authenticated, authenticate, scim_url};
use crate::http::{Request, Response, percent_decode};
use crate::ids;
use crate::storage::connections::ConnectionRecord;
use crate::storage::schemas;

/// The path prefix of every connection's SCIM base URL.
pub const PREFIX: &str = "/scim/v2/";

/// Handles a request whose path starts with [`PREFIX`]. `origin` is the public origin. A
/// request that authenticates is recorded in its connection's health, with the audit events
/// it produced ([`activity::after_request`]).
pub fn handle(app: &App<'_>, request: &Request, origin: Option<&str>) -> Response {
    let journal = Journal::default();
    let app = app.with_journal(&journal);
    let mut authenticated = None;
    let response = route(&app, request, origin, &mut authenticated).unwrap_or_else(|e| e.to_response());
    if let Some(Authenticated { record, health }) = &authenticated {
        activity::after_request(&app, record, health, &response, journal.take());
    }
    response
}

/// The answer to a request that authenticated for a disabled connection.
fn disabled() -> ScimError {
    ScimError { status: 403, scim_type: None, detail: "this connection is disabled by its administrator".into() }
}

fn route(
    app: &App<'_>,
    request: &Request,
    origin: Option<&str>,
    authenticated: &mut Option<Authenticated>,
) -> Result<Response, ScimError> {
    let rest = request.path.strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<String> = rest.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let Some((connection_id, segments)) = segments.split_first() else {
        return Err(ScimError::not_found("the SCIM base URL is /scim/v2/{connection id}"));
    };
    let base = scim_url(origin, connection_id);
    let method = request.method.as_str();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();

    // Discovery needs no credentials (RFC 7644 §4) and is read-only. Without credentials it
    // describes the built-in schemas only, the same for every connection: a connection's
    // registered custom schemas are its tenant's configuration, shown only to a request that
    // presents the connection's token (a wrong token is refused, as on every other endpoint).
    if ids::is_connection_id(connection_id) {
        let document = match segments.as_slice() {
            ["ServiceProviderConfig"] => Some(Document::ServiceProviderConfig),
            ["ResourceTypes"] => Some(Document::ResourceTypes(None)),
            ["ResourceTypes", name] => Some(Document::ResourceTypes(Some(name))),
            ["Schemas"] => Some(Document::Schemas(None)),
            ["Schemas", id] => Some(Document::Schemas(Some(id))),
            _ => None,
        };
        if let Some(document) = document {
            if method != "GET" {
                return not_allowed(method, "GET");
            }
            let registered = match request.header("authorization") {
                None => Vec::new(),
                Some(_) => {
                    let connection = authenticate_request(app, connection_id, request, authenticated)?;
                    match document {
                        Document::ServiceProviderConfig => Vec::new(),
                        _ => schemas::for_connection(app.store, &connection.id)?,
                    }
                }
            };
            let subs = SubAttributes::of(&registered);
            let custom = extensions(&registered, &subs);
            return discovery::document(&base, document, &custom)
                .map(|body| Response::scim(200, &body))
                .ok_or_else(|| ScimError::not_found("no such resource type or schema"));
        }
    }

    let connection = authenticate_request(app, connection_id, request, authenticated)?;
    super::media_type::check(request)?;
    let registered = schemas::for_connection(app.store, &connection.id)?;
    let subs = SubAttributes::of(&registered);
    let custom = extensions(&registered, &subs);
    let scope = Scope { app, connection: &connection, base: &base, custom: &custom };
    match (segments.as_slice(), method) {
        (["Me", ..], _) => Err(ScimError {
            status: 501,
            scim_type: None,
            detail: "/Me is not supported: a connection's token authenticates an IdP, not a user".into(),
        }),
        ([".search"], "POST") => search_all(&scope, request),
        (["Bulk"], "POST") => super::bulk::handle(&scope, request),
        ([".search"] | ["Bulk"], _) => not_allowed(method, "POST"),
        _ => dispatch(&scope, request, &segments),
    }
}

/// The connection `connection_id` when `request` carries its bearer token (kept in
/// `authenticated` for recording the request); 401 otherwise, 403 when the connection is
/// disabled.
fn authenticate_request(
    app: &App<'_>,
    connection_id: &str,
    request: &Request,
    authenticated: &mut Option<Authenticated>,
) -> Result<ConnectionRecord, ScimError> {
    let token = request.bearer_token().ok_or_else(ScimError::unauthorized)?;
    let found = authenticate(app, connection_id, token)?.ok_or_else(ScimError::unauthorized)?;
    let record = found.record.clone();
    *authenticated = Some(found);
    if !record.enabled {
        return Err(disabled());
    }
    Ok(record)
}

/// 405 with the methods the endpoint supports in `Allow` (RFC 9110 §15.5.6) and a SCIM error
/// body.
fn not_allowed(method: &str, allow: &str) -> Result<Response, ScimError> {
    Ok(ScimError::method_not_allowed(method).to_response().header("allow", allow))
}

/// An authenticated connection and its SCIM base URL.
pub struct Scope<'a> {
    /// The app.
    pub app: &'a App<'a>,
    /// The authenticated connection.
    pub connection: &'a ConnectionRecord,
    /// The connection's SCIM base URL.
    pub base: &'a str,
    /// The custom extension schemas registered for the connection (its own and the tenant's).
    pub custom: &'a [Extension<'a>],
}

/// Routes an authenticated request to a resource endpoint; `segments` follow the base URL.
pub fn dispatch(scope: &Scope<'_>, request: &Request, segments: &[&str]) -> Result<Response, ScimError> {
    let method = request.method.as_str();
    let Some((endpoint_name, rest)) = segments.split_first() else {
        return Err(ScimError::not_found("no endpoint at the base URL; see /ServiceProviderConfig"));
    };
    let Some(kind) = discovery::RESOURCE_TYPES.iter().find(|k| k.endpoint[1..].eq_ignore_ascii_case(endpoint_name))
    else {
        return Err(ScimError::not_found(format!("no endpoint /{endpoint_name}")));
    };
    let endpoint =
        Endpoint { app: scope.app, connection: scope.connection, base: scope.base, kind, custom: scope.custom };
    match (rest, method) {
        ([], "GET") => endpoint.list(&ListParams::from_query(request)?),
        ([], "POST") => endpoint.create(request),
        ([".search"], "POST") => endpoint.list(&ListParams::from_search(request)?),
        ([id], "GET") => endpoint.get(request, id),
        ([id], "PUT") => endpoint.replace(request, id),
        ([id], "PATCH") => endpoint.patch(request, id),
        ([id], "DELETE") => endpoint.delete(request, id),
        ([], _) => not_allowed(method, "GET, POST"),
        ([".search"], _) => not_allowed(method, "POST"),
        ([_], _) => not_allowed(method, "GET, PUT, PATCH, DELETE"),
        _ => Err(ScimError::not_found(format!("no such {} endpoint", kind.name))),
    }
}

/// `POST /.search`: one search over every resource type.
fn search_all(scope: &Scope<'_>, request: &Request) -> Result<Response, ScimError> {
    let params = ListParams::from_search(request)?;
    let mut matching = Vec::new();
    for kind in discovery::RESOURCE_TYPES {
        let endpoint =
            Endpoint { app: scope.app, connection: scope.connection, base: scope.base, kind, custom: scope.custom };
        let found = endpoint.matching(&ListParams { sort_by: None, ..params.clone() })?;
        matching.extend(found.into_iter().map(|r| params.projection.apply(&endpoint.schema(), r)));
    }
    if let Some(path) = &params.sort_by {
        // Across resource types a path may have a type in each: values order by what they hold.
        super::sort::sort(&mut matching, path, params.sort_order, &DefaultTypes);
    }
    let ids: Vec<String> = matching.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect();
    let start = params.paging.start(&ids);
    let page: Vec<_> = matching.into_iter().skip(start).take(params.count).collect();
    Ok(Response::scim(200, &super::list::page_response(&params, ids.len(), &ids, start, page)))
}

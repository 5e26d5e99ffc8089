//! The End Users part of the admin API: `GET /users`, `GET /users/{connection}/{id}`,
//! `GET /groups`.

use serde_json::json;

use super::routes::number;
use super::{AdminError, json as shape};
use crate::app::App;
use crate::end_users::groups::{self, GroupQuery, GroupSortKey};
use crate::end_users::{self, SortKey, SortOrder, UserQuery, detail};
use crate::http::{Request, Response};

/// Handles `segments` (the path after the prefix) if they name an End Users endpoint.
pub(super) fn route(
    app: &App<'_>,
    request: &Request,
    segments: &[&str],
    base: Option<&str>,
) -> Option<Result<Response, AdminError>> {
    Some(match (segments, request.method.as_str()) {
        (["users"], "GET") => users(app, request),
        (["users", connection, id], "GET") => user(app, connection, id, base),
        (["groups"], "GET") => group_list(app, request),
        (["users"] | ["users", _, _] | ["groups"], _) => Err(AdminError::MethodNotAllowed),
        _ => return None,
    })
}

/// `connection=a,b` and `connection=a&connection=b`, empty values ignored.
fn connections(request: &Request) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in request.query.get_all("connection").flat_map(|v| v.split(',')).map(str::trim) {
        if !id.is_empty() && !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    out
}

fn choice<T>(
    request: &Request,
    name: &str,
    allowed: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, AdminError> {
    match request.query.get(name) {
        None | Some("") => Ok(None),
        Some(v) => {
            parse(v).map(Some).ok_or_else(|| AdminError::InvalidArgument(format!("{name} must be one of {allowed}")))
        }
    }
}

fn users(app: &App<'_>, request: &Request) -> Result<Response, AdminError> {
    let active = choice(request, "active", "true, false", |v| match v {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })?;
    let duplicates = choice(request, "duplicates", "email", |v| v.eq_ignore_ascii_case("email").then_some(()))?;
    let query = UserQuery {
        connections: connections(request),
        active,
        search: request.query.get("search").map(str::to_owned),
        sort_by: choice(request, "sortBy", "userName, name, email, connection, lastModified", SortKey::parse)?,
        sort_order: choice(request, "sortOrder", "ascending, descending", SortOrder::parse)?.unwrap_or_default(),
        duplicates: duplicates.is_some(),
        start_index: number(request, "startIndex", 1)?,
        count: number(request, "count", 50)?,
    };
    Ok(Response::json(200, &shape::user_page(&end_users::list(app, &query)?)))
}

fn user(app: &App<'_>, connection: &str, id: &str, base: Option<&str>) -> Result<Response, AdminError> {
    let found = detail::get(app, connection, id, base)?
        .ok_or_else(|| AdminError::NotFound("that connection has no user with that id".into()))?;
    Ok(Response::json(200, &shape::user_detail(&found)))
}

fn group_list(app: &App<'_>, request: &Request) -> Result<Response, AdminError> {
    let query = GroupQuery {
        connections: connections(request),
        search: request.query.get("search").map(str::to_owned),
        sort_by: choice(request, "sortBy", "displayName, connection, lastModified", GroupSortKey::parse)?,
        sort_order: choice(request, "sortOrder", "ascending, descending", SortOrder::parse)?.unwrap_or_default(),
        start_index: number(request, "startIndex", 1)?,
        count: number(request, "count", 50)?,
    };
    let page = groups::list(app, &query)?;
    Ok(Response::json(
        200,
        &json!({
            "totalResults": page.total_results,
            "startIndex": page.start_index,
            "itemsPerPage": page.groups.len(),
            "groups": page.groups.iter().map(shape::end_group).collect::<Vec<_>>(),
        }),
    ))
}

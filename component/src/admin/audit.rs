//! `GET /admin/api/v1/audit`: the audit feed of the tenant or of one connection.

use serde_json::json;

use super::routes::number;
use super::{AdminError, json as shape};
use crate::activity::audit;
use crate::app::App;
use crate::http::{Request, Response};
use crate::ids;

/// The default page size of the feed.
const DEFAULT_COUNT: u32 = 50;

/// Answers `GET /audit?connection=&count=&before=`, newest first. `before` is the
/// `nextCursor` of the previous page. A deleted connection's events stay in the feed.
pub(super) fn route(app: &App<'_>, request: &Request) -> Result<Response, AdminError> {
    let connection = request.query.get("connection").filter(|c| !c.is_empty());
    if connection.is_some_and(|c| !ids::is_connection_id(c)) {
        return Err(AdminError::InvalidArgument("connection is not a connection id".into()));
    }
    let count = number(request, "count", DEFAULT_COUNT)?;
    if count == 0 || count as usize > audit::MAX_COUNT {
        return Err(AdminError::InvalidArgument(format!("count must be from 1 to {}", audit::MAX_COUNT)));
    }
    let before = match request.query.get("before").filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| AdminError::InvalidArgument("before must be a cursor from nextCursor".into()))?,
        ),
    };
    let page = audit::page(app.store, connection, before, count as usize)?;
    Ok(Response::json(
        200,
        &json!({
            "events": page.events.iter().map(shape::audit_event).collect::<Vec<_>>(),
            "nextCursor": page.next_cursor.map(|c| c.to_string()),
        }),
    )
    .header("cache-control", "no-store"))
}

//! `GET /admin/api/v1/audit`: the audit feed of the tenant or of one connection.

use serde_json::json;

use super::routes::number;
use super::{AdminError, json as shape};
use crate::activity::audit;
use crate::app::App;
use crate::http::{Request, Response};

/// The default page size of the feed.
const DEFAULT_COUNT: u32 = 50;

/// Answers `GET /audit?connection=&count=&before=`, newest first. `before` is the
/// `nextCursor` of the previous page. A deleted connection's events stay in the feed.
pub(super) fn route(app: &App<'_>, request: &Request) -> Result<Response, AdminError> {
    let connection = request.query.get("connection").filter(|c| !c.is_empty());
    let before = request.query.get("before").filter(|b| !b.is_empty());
    let count = number(request, "count", DEFAULT_COUNT)?;
    let page = audit::read(app.store, connection, before, count).map_err(|e| match e {
        audit::FeedError::InvalidArgument(why) => AdminError::InvalidArgument(why),
        audit::FeedError::Storage(e) => e.into(),
    })?;
    Ok(Response::json(
        200,
        &json!({
            "events": page.events.iter().map(shape::audit_event).collect::<Vec<_>>(),
            "nextCursor": page.next_cursor.map(|c| c.to_string()),
        }),
    )
    .header("cache-control", "no-store"))
}

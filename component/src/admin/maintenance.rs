//! Store maintenance through the admin API: the consistency check and the reclamation of
//! deleted connections' data. What a Spin deployment, where only the HTTP handler is plugged
//! in, has instead of `idplex check` and the wasmtime host's background reclamation.
//!
//! - `POST /maintenance/check` (`{"repair": bool}` or `?repair=true`) → the check report;
//!   `POST /check` is the same (kept for scripts written before).
//! - `POST /maintenance/reclaim` → one reclamation step: `{"pending", "reclaimedKeys",
//!   "finishedConnections", "busy"}`.
//! - After every other admin API request, one small reclamation step ([`after_request`]).

use serde_json::{Value, json};

use super::AdminError;
use super::json as shape;
use crate::app::App;
use crate::http::{Request, Response};
use crate::reclaim::{self, Progress};

/// Routes `segments` (the path below the API prefix) if they name a maintenance endpoint.
pub(super) fn route(app: &App<'_>, request: &Request, segments: &[&str]) -> Option<Result<Response, AdminError>> {
    let endpoint = match segments {
        ["check"] | ["maintenance", "check"] => check,
        ["maintenance", "reclaim"] => reclaim,
        ["maintenance", ..] => return Some(Err(AdminError::NotFound("no such admin API endpoint".into()))),
        _ => return None,
    };
    Some(if request.method == "POST" { endpoint(app, request) } else { Err(AdminError::MethodNotAllowed) })
}

/// Whether to repair: the body's `repair` (a boolean), else the `repair` query parameter.
fn repair(request: &Request) -> Result<bool, AdminError> {
    let from_query = match request.query.get("repair") {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(_) => return Err(AdminError::InvalidArgument("repair must be true or false".into())),
    };
    match super::routes::body(request)?.get("repair") {
        None | Some(Value::Null) => Ok(from_query),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(AdminError::InvalidArgument("repair must be a boolean".into())),
    }
}

fn check(app: &App<'_>, request: &Request) -> Result<Response, AdminError> {
    let options = crate::maintenance::Options { repair: repair(request)?, now: None };
    let report = crate::maintenance::check(app, options)?;
    Ok(Response::json(200, &shape::check_report(&report)).header("cache-control", "no-store"))
}

fn reclaim(app: &App<'_>, _request: &Request) -> Result<Response, AdminError> {
    let progress = reclaim::step(app, reclaim::REQUEST_BUDGET)?;
    Ok(Response::json(200, &progress_json(&progress)).header("cache-control", "no-store"))
}

/// A step's progress as the API shows it.
fn progress_json(progress: &Progress) -> Value {
    json!({
        "pending": progress.pending,
        "reclaimedKeys": progress.reclaimed_keys,
        "finishedConnections": progress.finished_connections,
        "busy": progress.busy,
    })
}

/// The small reclamation step every admin API request runs after its own work (not
/// `POST /maintenance/reclaim`, which just ran one): one store call when nothing is pending.
/// Its failure does not change the request's answer; the next request tries again.
pub(super) fn after_request(app: &App<'_>, request: &Request) {
    if request.path.trim_end_matches('/').ends_with("/maintenance/reclaim") {
        return;
    }
    let _ = reclaim::step(app, reclaim::REQUEST_BUDGET);
}

//! The top-level router: every HTTP surface of the product behind one function.

use super::{Request, Response};
use crate::app::App;
use crate::{admin, console, scim};

/// Handles one request. Never panics on input.
pub fn handle(app: &App<'_>, request: &Request) -> Response {
    let configured = app.public_base_url();
    let origin = configured.or_else(|| request.origin());
    let path = request.path.as_str();
    if path.starts_with(scim::router::PREFIX) {
        return scim::handle(app, request, origin.as_deref());
    }
    if path == admin_prefix() || path.starts_with(&format!("{}/", admin_prefix())) {
        return admin::handle(app, request, origin.as_deref());
    }
    if let Some(response) = console::serve(request) {
        return response;
    }
    Response::json(404, &serde_json::json!({"error": {"code": "not_found", "message": "no such path"}}))
}

fn admin_prefix() -> &'static str {
    admin::PREFIX
}

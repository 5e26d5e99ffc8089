//! The admin console: a static single-page app (HTML, JavaScript, CSS) compiled into the
//! component and served at `/`. It talks to the admin API with the admin token the user
//! types in; it holds no secrets of its own.

use crate::http::{Request, Response};

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");

/// Content-Security-Policy of every console asset: nothing but same-origin resources.
pub const CSP: &str = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Serves a console asset for GET/HEAD of a console path; `None` for other paths.
pub fn serve(request: &Request) -> Option<Response> {
    let (body, content_type) = match request.path.as_str() {
        "/" | "/index.html" | "/console" | "/console/" => (INDEX_HTML, "text/html; charset=utf-8"),
        "/console/app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "/console/app.css" => (APP_CSS, "text/css; charset=utf-8"),
        _ => return None,
    };
    if request.method != "GET" && request.method != "HEAD" {
        return Some(Response::empty(405).header("allow", "GET, HEAD"));
    }
    let body = if request.method == "HEAD" { Vec::new() } else { body.as_bytes().to_vec() };
    Some(
        Response::with_body(200, content_type, body)
            .header("content-security-policy", CSP)
            .header("x-content-type-options", "nosniff")
            .header("referrer-policy", "no-referrer")
            .header("cache-control", "no-cache"),
    )
}

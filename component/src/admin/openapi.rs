//! `GET /admin/api/v1/openapi.json`: the OpenAPI 3.1 document of the admin API
//! (`openapi.json` beside this file), served without credentials: it describes the API and
//! holds no secret. `tests/tests/admin_openapi.rs` keeps it true to the router.

use super::{AdminError, PREFIX};
use crate::http::{Request, Response};

/// The document, compiled into the component.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// Its path below [`PREFIX`].
pub const PATH: &str = "/openapi.json";

/// The document's entity tag: a hash of its bytes, so it changes with the component's API.
const ETAG_HASH: u64 = fnv1a(DOCUMENT.as_bytes());

/// 64-bit FNV-1a: not a security measure, only a version stamp.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

fn etag() -> String {
    format!("\"{ETAG_HASH:016x}\"")
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, RFC 9110 §13.1.2).
fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// The answer for a request of the document's path; `None` for any other path (the admin
/// API's credentials check and router decide those).
pub fn serve(request: &Request) -> Option<Response> {
    if request.path.strip_prefix(PREFIX) != Some(PATH) {
        return None;
    }
    if request.method != "GET" && request.method != "HEAD" {
        return Some(AdminError::MethodNotAllowed.to_response().header("allow", "GET, HEAD"));
    }
    let etag = etag();
    if request.header("if-none-match").is_some_and(|v| matches(v, &etag)) {
        return Some(Response::empty(304).header("etag", &etag).header("cache-control", "no-cache"));
    }
    let body = if request.method == "HEAD" { Vec::new() } else { DOCUMENT.as_bytes().to_vec() };
    Some(
        Response::with_body(200, "application/json", body)
            .header("etag", &etag)
            .header("cache-control", "no-cache")
            .header("x-content-type-options", "nosniff"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        let headers = headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        Request::new(method, path, headers, Vec::new())
    }

    #[test]
    fn the_document_is_openapi_3_1_json() {
        let document: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
        assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")));
        assert_eq!(document["servers"][0]["url"], PREFIX);
        assert!(document["paths"][PATH]["get"].is_object());
    }

    #[test]
    fn served_without_credentials_with_a_revalidating_cache_rule() {
        let response = serve(&request("GET", "/admin/api/v1/openapi.json", &[])).expect("served");
        assert_eq!(response.status, 200);
        assert_eq!(response.body, DOCUMENT.as_bytes());
        assert_eq!(response.header_value("cache-control"), Some("no-cache"));
        let etag = response.header_value("etag").expect("etag").to_owned();
        let again = serve(&request("GET", "/admin/api/v1/openapi.json", &[("if-none-match", &etag)])).expect("served");
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        let stale =
            serve(&request("GET", "/admin/api/v1/openapi.json", &[("if-none-match", "\"0\"")])).expect("served");
        assert_eq!(stale.status, 200);
    }

    #[test]
    fn head_has_no_body_and_other_methods_are_405() {
        let head = serve(&request("HEAD", "/admin/api/v1/openapi.json", &[])).expect("served");
        assert_eq!((head.status, head.body.len()), (200, 0));
        let post = serve(&request("POST", "/admin/api/v1/openapi.json", &[])).expect("served");
        assert_eq!(post.status, 405);
        assert_eq!(post.header_value("allow"), Some("GET, HEAD"));
        assert_eq!(post.body_json()["error"]["code"], "method_not_allowed");
    }

    #[test]
    fn other_paths_are_left_to_the_router() {
        for path in
            ["/admin/api/v1/connections", "/admin/api/v1/openapi.json/x", "/admin/api/v1openapi.json", "/openapi.json"]
        {
            assert!(serve(&request("GET", path, &[])).is_none(), "{path}");
        }
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        assert!(matches("\"a\", W/\"b\"", "\"b\""));
        assert!(matches("*", "\"b\""));
        assert!(!matches("\"a\"", "\"b\""));
    }
}

//! Refusing, before its body is read, a request the component would refuse for want of
//! credentials.
//!
//! The component stays the authority on tokens: the host only looks at whether an
//! `Authorization` header is present at all, and only on the paths where the component asks
//! for one before anything else (so not the admin API's public OpenAPI document). The
//! responses are copies of the component's own 401s (the SCIM error of RFC 7644 §3.12 under
//! `/scim/v2/`, the admin API error under `/admin/api/v1`);
//! `tests/with_component.rs` checks that they stay equal to what the component answers.

use hyper::header::{AUTHORIZATION, HeaderMap};

use crate::bindings::exports::idplex::scim::handler::Response;

/// The prefix of every connection's SCIM base URL (the component's `scim::router::PREFIX`).
const SCIM_PREFIX: &str = "/scim/v2/";

/// The prefix of the admin API (the component's `admin::PREFIX`).
const ADMIN_PREFIX: &str = "/admin/api/v1";

/// The admin API's OpenAPI document (the component's `admin::openapi`), public: it holds no
/// secret.
const ADMIN_OPENAPI: &str = "/admin/api/v1/openapi.json";

/// The SCIM discovery endpoints, which need no credentials (RFC 7644 §4).
const DISCOVERY: [&str; 3] = ["ServiceProviderConfig", "ResourceTypes", "Schemas"];

/// The component's 401 for `path` when `headers` carry no `Authorization` at all and the
/// component would refuse the request for that alone; `None` otherwise (the component decides).
pub(crate) fn refusal(path: &str, headers: &HeaderMap) -> Option<Response> {
    if headers.contains_key(AUTHORIZATION) {
        return None;
    }
    if let Some(rest) = path.strip_prefix(SCIM_PREFIX) {
        return scim_needs_credentials(rest).then(scim_unauthorized);
    }
    if path == ADMIN_OPENAPI {
        return None;
    }
    if path == ADMIN_PREFIX || path.strip_prefix(ADMIN_PREFIX).is_some_and(|rest| rest.starts_with('/')) {
        return Some(admin_unauthorized());
    }
    None
}

/// Whether the component asks for a bearer token on `/scim/v2/{rest}` before anything else:
/// there is a connection id and what follows it is not (and might not decode to) a discovery
/// endpoint.
fn scim_needs_credentials(rest: &str) -> bool {
    let mut segments = rest.split('/').filter(|s| !s.is_empty());
    if segments.next().is_none() {
        // No connection id: the component answers 404.
        return false;
    }
    match segments.next() {
        None => true,
        Some(endpoint) => !(endpoint.contains('%') || DISCOVERY.iter().any(|d| d.eq_ignore_ascii_case(endpoint))),
    }
}

/// The component's `ScimError::unauthorized().to_response()`.
fn scim_unauthorized() -> Response {
    Response {
        status: 401,
        headers: vec![
            ("content-type".to_owned(), "application/scim+json".to_owned()),
            ("www-authenticate".to_owned(), "Bearer realm=\"idplex\"".to_owned()),
        ],
        body: br#"{"detail":"missing or invalid bearer token","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401"}"#.to_vec(),
    }
}

/// The component's `AdminError::Unauthorized.to_response()`.
fn admin_unauthorized() -> Response {
    Response {
        status: 401,
        headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("www-authenticate".to_owned(), "Bearer realm=\"idplex-admin\"".to_owned()),
        ],
        body: br#"{"error":{"code":"unauthorized","message":"missing or invalid admin token"}}"#.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn refused(path: &str) -> bool {
        refusal(path, &HeaderMap::new()).is_some()
    }

    #[test]
    fn scim_resources_and_admin_api_without_credentials_are_refused() {
        assert!(refused("/scim/v2/c_123/Users"));
        assert!(refused("/scim/v2/c_123/Users/abc"));
        assert!(refused("/scim/v2/c_123/Bulk"));
        assert!(refused("/scim/v2/c_123"));
        assert!(refused("/admin/api/v1"));
        assert!(refused("/admin/api/v1/connections"));
    }

    #[test]
    fn public_paths_are_left_to_the_component() {
        assert!(!refused("/"));
        assert!(!refused("/app.js"));
        assert!(!refused("/scim/v2/"));
        assert!(!refused("/scim/v2/c_123/ServiceProviderConfig"));
        assert!(!refused("/scim/v2/c_123/schemas/urn:x"));
        assert!(!refused("/scim/v2/c_123/ResourceTypes/User"));
        assert!(!refused("/scim/v2/c_123/%53chemas"));
        assert!(!refused("/admin/api/v10"));
        assert!(!refused("/admin"));
        assert!(!refused("/admin/api/v1/openapi.json"));
        assert!(refused("/admin/api/v1/openapi.json/x"));
    }

    #[test]
    fn any_authorization_header_goes_to_the_component() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic eA=="));
        assert!(refusal("/scim/v2/c_123/Users", &headers).is_none());
    }
}

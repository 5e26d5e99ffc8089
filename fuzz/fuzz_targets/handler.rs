//! The whole HTTP handler (`idplex_component::handle`) over the in-memory store, with one
//! connection created at set-up and its token sent by default, so requests reach the SCIM code.
//!
//! An input is up to eight requests separated by a line `---`, each written as in HTTP/1.1:
//!
//! ```text
//! PATCH /Users/${id}?attributes=userName
//! If-Match: *
//!
//! {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[…]}
//! ```
//!
//! A path starting with `/scim/` or `/admin/` is sent as written (`${conn}` is the connection
//! id); any other is below the connection's SCIM base URL. `${id}` is the `id` of the last
//! resource a request created. Without an `Authorization` header the connection's token is
//! sent (the admin token on `/admin/` paths); `Authorization: none` sends none.
//!
//! Beyond "no panic": every status is in 100..600 and none is a 500 (the in-memory store does
//! not fail, so a 5xx other than `/Me`'s 501 is a bug); a JSON content type comes with a JSON
//! body; a SCIM error (status ≥ 400 on a SCIM path) has the RFC 7644 §3.12 body with the
//! status; no request leaves a creation ticket behind.

#![no_main]

use idplex_component::fuzzing::{ADMIN_TOKEN, Product};
use idplex_component::scim::error::ERROR_SCHEMA;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const MAX_REQUESTS: usize = 8;

struct Parsed<'a> {
    method: &'a str,
    target: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

fn parse(request: &[u8]) -> Option<Parsed<'_>> {
    let (head, body) = match find(request, b"\n\n") {
        Some(at) => (&request[..at], &request[at + 2..]),
        None => (request, &b""[..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim(), v.trim())).collect();
    Some(Parsed { method, target, headers, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(at) = find(rest, b"\n---\n") {
        out.push(&rest[..at]);
        rest = &rest[at + 5..];
    }
    out.push(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let product = Product::new().expect("the admin API creates a connection");
    let mut last_id = String::new();
    for request in split(data).into_iter().take(MAX_REQUESTS) {
        let Some(request) = parse(request) else { continue };
        let target = request.target.replace("${conn}", &product.connection_id).replace("${id}", &last_id);
        let target = if target.starts_with("/scim/") || target.starts_with("/admin/") {
            target
        } else {
            format!("/scim/v2/{}{target}", product.connection_id)
        };
        let mut headers = request.headers.clone();
        let default_auth = if target.starts_with("/admin/") {
            format!("Bearer {ADMIN_TOKEN}")
        } else {
            format!("Bearer {}", product.token)
        };
        match headers.iter().position(|(n, _)| n.eq_ignore_ascii_case("authorization")) {
            None => headers.push(("authorization", &default_auth)),
            Some(i) if headers[i].1 == "none" => {
                headers.remove(i);
            }
            Some(_) => {}
        }
        let response = product.send(request.method, &target, &headers, request.body);
        check(&target, &response);
        if response.status == 201
            && let Ok(body) = serde_json::from_slice::<Value>(&response.body)
            && let Some(id) = body["id"].as_str()
        {
            last_id = id.to_owned();
        }
    }
    let left = product.creation_tickets();
    assert!(left.is_empty(), "creation tickets left behind: {left:?}");
});

fn check(target: &str, response: &idplex_component::http::Response) {
    let status = response.status;
    let body = String::from_utf8_lossy(&response.body);
    assert!((100..600).contains(&status), "status {status}");
    assert!(status < 500 || status == 501, "{status} for {target}: {body}");
    let json = response.header_value("content-type").is_some_and(|t| t.contains("json"));
    let parsed = serde_json::from_slice::<Value>(&response.body);
    if json && !response.body.is_empty() {
        assert!(parsed.is_ok(), "a JSON content type with a body that is not JSON: {body}");
    }
    let path = target.split('?').next().unwrap_or_default();
    if path.starts_with("/scim/v2/") && status >= 400 {
        let error = parsed.unwrap_or_else(|e| panic!("{status} on a SCIM path without a JSON body ({e}): {body}"));
        let schemas = error["schemas"].as_array();
        assert!(
            schemas.is_some_and(|s| s.iter().any(|u| u == ERROR_SCHEMA)),
            "{status} without the error schema: {body}"
        );
        assert_eq!(
            error["status"],
            Value::String(status.to_string()),
            "{status} with another status in its body: {body}"
        );
    }
}

//! Tenant isolation over real HTTP: four connections with users and groups, every SCIM route
//! called with every credential that is not the connection's own token, and every resource id
//! of one connection used under another connection's URL with that connection's own token.
//!
//! Each refusal is checked to be a 401 (or 404 for foreign ids) with a SCIM error body that
//! carries no user id, userName, group id or group name of any connection; each connection's
//! resources are checked to be unchanged afterwards; and the same routes with the right token
//! are checked to work, so that a route that refused everything could not pass.

use idplex_e2e::{ADMIN_TOKEN, Client, Credentials, Server, user};
use serde_json::{Value, json};

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A response with its body as sent.
struct Raw {
    status: u16,
    www_authenticate: Option<String>,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends a request with exactly the `authorization` header given (none when `None`).
fn raw(
    http: &reqwest::blocking::Client,
    method: &str,
    url: &str,
    authorization: Option<&str>,
    body: Option<&Value>,
) -> Raw {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = http.request(method, url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/scim+json").body(body.to_string());
    }
    let response = request.send().expect("the server answers");
    let status = response.status().as_u16();
    let www_authenticate = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_owned);
    Raw { status, www_authenticate, body: response.text().expect("body") }
}

/// A connection with two users and a group holding both.
struct Tenant {
    creds: Credentials,
    user_ids: Vec<String>,
    group_id: String,
    /// Every id, userName and display name of its resources: none may appear in a refusal.
    markers: Vec<String>,
}

fn populate(client: &Client, creds: Credentials, tag: &str) -> Tenant {
    let mut markers = Vec::new();
    let mut user_ids = Vec::new();
    for name in ["alice", "bob"] {
        let user_name = format!("{name}.{tag}@isolation.example");
        let created = client.scim(&creds, "POST", "/Users", Some(&user(&user_name)));
        assert_eq!(created.status, 201, "{:?}", created.json);
        let id = created.json["id"].as_str().expect("id").to_owned();
        markers.extend([user_name, id.clone()]);
        user_ids.push(id);
    }
    let display_name = format!("Group of {tag}");
    let members: Vec<Value> = user_ids.iter().map(|id| json!({"value": id})).collect();
    let body = json!({"schemas": [GROUP_SCHEMA], "displayName": display_name, "members": members});
    let created = client.scim(&creds, "POST", "/Groups", Some(&body));
    assert_eq!(created.status, 201, "{:?}", created.json);
    let group_id = created.json["id"].as_str().expect("id").to_owned();
    markers.extend([display_name, group_id.clone()]);
    Tenant { creds, user_ids, group_id, markers }
}

/// Everything a connection holds, as its own token reads it (with `meta`, so any write shows).
fn snapshot(client: &Client, creds: &Credentials) -> Value {
    let users = client.scim(creds, "GET", "/Users?count=1000", None);
    let groups = client.scim(creds, "GET", "/Groups?count=1000", None);
    assert_eq!((users.status, groups.status), (200, 200));
    json!({"users": users.json, "groups": groups.json})
}

/// One SCIM call: method, path after the base URL, body, and the status the connection's
/// own token gets when the routes are called in order.
struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    own_token_status: u16,
}

fn route(method: &'static str, path: impl Into<String>, body: Option<Value>, own_token_status: u16) -> Route {
    Route { method, path: path.into(), body, own_token_status }
}

/// Every route a connection's token opens, aimed at the resources of `t` (writes included:
/// if one got through, the snapshot would show it).
fn routes(t: &Tenant) -> Vec<Route> {
    let (u, g) = (&t.user_ids[0], &t.group_id);
    let patch = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let group_patch = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "members"}]});
    let search = json!({"schemas": [SEARCH_SCHEMA], "filter": "id pr"});
    let bulk = json!({"schemas": [BULK_SCHEMA], "Operations": [
        {"method": "DELETE", "path": format!("/Users/{}", t.user_ids[1])},
        {"method": "POST", "path": "/Users", "bulkId": "b1", "data": user("bulk.intruder@isolation.example")},
    ]});
    vec![
        route("GET", "", None, 404),
        route("GET", "/Users", None, 200),
        route("GET", "/Users?filter=userName%20pr", None, 200),
        route("POST", "/Users", Some(user("intruder@isolation.example")), 201),
        route("POST", "/Users/.search", Some(search.clone()), 200),
        route("GET", format!("/Users/{u}"), None, 200),
        route("PUT", format!("/Users/{u}"), Some(user("renamed.intruder@isolation.example")), 200),
        route("PATCH", format!("/Users/{u}"), Some(patch), 200),
        route("DELETE", format!("/Users/{u}"), None, 204),
        route("GET", "/Groups", None, 200),
        route("POST", "/Groups", Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "Intruders"})), 201),
        route("POST", "/Groups/.search", Some(search.clone()), 200),
        route("GET", format!("/Groups/{g}"), None, 200),
        route(
            "PUT",
            format!("/Groups/{g}"),
            Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "Taken over"})),
            200,
        ),
        route("PATCH", format!("/Groups/{g}"), Some(group_patch), 200),
        route("DELETE", format!("/Groups/{g}"), None, 204),
        route("POST", "/.search", Some(search), 200),
        route("POST", "/Bulk", Some(bulk), 200),
        route("GET", "/Me", None, 501),
    ]
}

/// The paths of the discovery endpoints, public by design (RFC 7644 §4).
const DISCOVERY: [&str; 5] = [
    "/ServiceProviderConfig",
    "/ResourceTypes",
    "/ResourceTypes/User",
    "/Schemas",
    "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
];

/// Asserts `reply` is a bare 401: SCIM error body, `WWW-Authenticate: Bearer`, no marker.
fn assert_refused(reply: &Raw, what: &str, markers: &[String]) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    assert!(reply.www_authenticate.as_deref().is_some_and(|v| v.starts_with("Bearer ")), "{what}: WWW-Authenticate");
    let body = reply.json();
    assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "{what}: {}", reply.body);
    assert_eq!(body["status"], "401", "{what}");
    assert_no_marker(&reply.body, what, markers);
}

fn assert_no_marker(body: &str, what: &str, markers: &[String]) {
    let lower = body.to_lowercase();
    for marker in markers {
        assert!(!lower.contains(&marker.to_lowercase()), "{what}: the body shows {marker}: {body}");
    }
}

/// The admin API with the admin token.
fn admin(client: &Client, method: &str, path: &str) -> Value {
    let reply = client.admin(method, path, None);
    assert!(reply.status < 300, "{method} {path}: {} {:?}", reply.status, reply.json);
    reply.json
}

#[test]
fn no_credential_but_a_connections_own_token_opens_its_scim_routes() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();
    let http = reqwest::blocking::Client::new();

    // Four live connections; the first has had its token regenerated (its first token must
    // be dead); a fifth is deleted after being populated.
    let mut tenants: Vec<Tenant> = (0..4)
        .map(|i| populate(&client, client.create_connection(Some(&format!("Tenant {i}"))), &format!("t{i}")))
        .collect();
    let previous_token = tenants[0].creds.token.clone();
    let regenerated = admin(&client, "POST", &format!("/connections/{}/token", tenants[0].creds.id));
    tenants[0].creds.token = regenerated["token"].as_str().expect("token").to_owned();
    let deleted = populate(&client, client.create_connection(Some("Deleted")), "gone");
    admin(&client, "DELETE", &format!("/connections/{}", deleted.creds.id));

    let mut markers: Vec<String> = tenants.iter().chain([&deleted]).flat_map(|t| t.markers.clone()).collect();
    let tokens: Vec<String> = tenants.iter().map(|t| t.creds.token.clone()).collect();
    // A refusal must not echo a token either.
    markers.extend(tokens.iter().cloned());
    markers.extend([ADMIN_TOKEN.to_owned(), previous_token.clone(), deleted.creds.token.clone()]);
    let before: Vec<Value> = tenants.iter().map(|t| snapshot(&client, &t.creds)).collect();

    for (i, victim) in tenants.iter().enumerate() {
        let own = &victim.creds.token;
        let mut wrong: Vec<(String, Option<String>)> = vec![
            ("no authorization header".into(), None),
            ("the admin token".into(), Some(format!("Bearer {ADMIN_TOKEN}"))),
            ("Bearer and nothing".into(), Some("Bearer".into())),
            ("Bearer and a space".into(), Some("Bearer ".into())),
            ("the own token as Basic".into(), Some(format!("Basic {own}"))),
            ("Basic credentials".into(), Some("Basic aWRwbGV4OmlkcGxleA==".into())),
            ("the own token with no scheme".into(), Some(own.clone())),
            ("the own token under another scheme".into(), Some(format!("Token {own}"))),
            ("the own token with trailing junk".into(), Some(format!("Bearer {own}x"))),
            ("the own token and a second word".into(), Some(format!("Bearer {own} junk"))),
            ("the own token truncated".into(), Some(format!("Bearer {}", &own[..own.len() - 1]))),
            ("the own token upper-cased".into(), Some(format!("Bearer {}", own.to_uppercase()))),
            ("a deleted connection's token".into(), Some(format!("Bearer {}", deleted.creds.token))),
            ("the first connection's previous token".into(), Some(format!("Bearer {previous_token}"))),
            ("lower-case scheme, wrong token".into(), Some(format!("bearer {}", tokens[(i + 1) % tokens.len()]))),
        ];
        for (j, other) in tenants.iter().enumerate().filter(|(j, _)| *j != i) {
            wrong.push((format!("connection {j}'s token"), Some(format!("Bearer {}", other.creds.token))));
        }
        for Route { method, path, body, .. } in routes(victim) {
            for (credential, authorization) in &wrong {
                let what = format!("{method} {path} of connection {i} with {credential}");
                let url = format!("{}{path}", victim.creds.scim_url);
                assert_refused(&raw(&http, method, &url, authorization.as_deref(), body.as_ref()), &what, &markers);
            }
        }
        // Discovery answers anyone, the same for every connection, and shows no tenant's data;
        // credentials, when presented, must be the connection's own.
        for path in DISCOVERY {
            for (credential, authorization) in wrong.iter().filter(|(_, a)| a.is_some()) {
                let what = format!("GET {path} of connection {i} with {credential}");
                let url = format!("{}{path}", victim.creds.scim_url);
                assert_refused(&raw(&http, "GET", &url, authorization.as_deref(), None), &what, &markers);
            }
            let public = raw(&http, "GET", &format!("{}{path}", victim.creds.scim_url), None, None);
            let with_token =
                raw(&http, "GET", &format!("{}{path}", victim.creds.scim_url), Some(&format!("Bearer {own}")), None);
            assert_eq!(public.status, 200, "{path}");
            assert_eq!(public.body, with_token.body, "{path}: discovery does not depend on credentials");
            assert_no_marker(&public.body, path, &markers);
            let first = raw(&http, "GET", &format!("{}{path}", tenants[0].creds.scim_url), None, None);
            assert_eq!(
                public.body.replace(&victim.creds.id, "{id}"),
                first.body.replace(&tenants[0].creds.id, "{id}"),
                "{path}: discovery is the same for every connection"
            );
        }
    }

    // URLs of no live connection: unknown, malformed, deleted; with every token there is.
    let unknown_id = "a".repeat(26);
    for id in [unknown_id.as_str(), "not-a-connection", deleted.creds.id.as_str()] {
        for token in tokens.iter().chain([&deleted.creds.token, &ADMIN_TOKEN.to_owned()]) {
            let url = format!("{}/scim/v2/{id}/Users", server.url);
            let reply = raw(&http, "GET", &url, Some(&format!("Bearer {token}")), None);
            assert_refused(&reply, &format!("GET /Users of connection {id}"), &markers);
        }
    }

    // The admin API refuses every SCIM token.
    for token in tokens.iter().chain([&previous_token, &deleted.creds.token]) {
        let victim = &tenants[1].creds.id;
        for (method, path) in [
            ("GET", "/connections".to_owned()),
            ("POST", "/connections".to_owned()),
            ("GET", format!("/connections/{victim}")),
            ("DELETE", format!("/connections/{victim}")),
            ("POST", format!("/connections/{victim}/token")),
            ("GET", "/users".to_owned()),
            ("POST", "/check".to_owned()),
        ] {
            let url = format!("{}/admin/api/v1{path}", server.url);
            let reply = raw(&http, method, &url, Some(&format!("Bearer {token}")), Some(&json!({})));
            assert_eq!(reply.status, 401, "{method} {path} with a SCIM token: {}", reply.body);
            assert!(reply.www_authenticate.is_some(), "{method} {path}: WWW-Authenticate");
            assert_no_marker(&reply.body, &format!("admin {method} {path}"), &markers);
        }
    }

    let after: Vec<Value> = tenants.iter().map(|t| snapshot(&client, &t.creds)).collect();
    assert_eq!(before, after, "a refused request changed a connection");
    assert_eq!(admin(&client, "GET", "/connections")["connections"].as_array().map(Vec::len), Some(4));

    // Positive control: the same routes with the connection's own token do work, the scheme
    // in any case (RFC 9110 §11.1), so the refusals above are not a route that refuses all.
    for (i, victim) in tenants.iter().enumerate() {
        let scheme = ["Bearer", "bearer", "BEARER", "bEaReR"][i];
        let authorization = format!("{scheme} {}", victim.creds.token);
        for Route { method, path, body, own_token_status } in routes(victim) {
            let url = format!("{}{path}", victim.creds.scim_url);
            let reply = raw(&http, method, &url, Some(&authorization), body.as_ref());
            assert_eq!(
                reply.status, own_token_status,
                "{method} {path} with {scheme} and its own token: {}",
                reply.body
            );
        }
    }
}

#[test]
fn one_connections_ids_resolve_to_nothing_under_another_connections_url() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();
    let owner = populate(&client, client.create_connection(Some("Owner")), "owner");
    let other = populate(&client, client.create_connection(Some("Other")), "other");
    let before = snapshot(&client, &owner.creds);
    let (user_id, group_id) = (owner.user_ids[0].clone(), owner.group_id.clone());
    let user_name = "alice.owner@isolation.example";
    let on_other = |method: &str, path: &str, body: Option<&Value>| client.scim(&other.creds, method, path, body);

    // By id: read, replace, patch, delete.
    let patch = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let group_patch = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "members"}]});
    for (method, path, body) in [
        ("GET", format!("/Users/{user_id}"), None),
        ("PUT", format!("/Users/{user_id}"), Some(user("taken@isolation.example"))),
        ("PATCH", format!("/Users/{user_id}"), Some(patch)),
        ("DELETE", format!("/Users/{user_id}"), None),
        ("GET", format!("/Groups/{group_id}"), None),
        ("PUT", format!("/Groups/{group_id}"), Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "Taken"}))),
        ("PATCH", format!("/Groups/{group_id}"), Some(group_patch)),
        ("DELETE", format!("/Groups/{group_id}"), None),
        // An id that spells the owner's storage key: keys start with the authenticated
        // connection's id, whatever the id in the request holds.
        ("GET", format!("/Users/..%2F..%2F{}%2Fu%2F{user_id}", owner.creds.id), None),
        ("GET", format!("/Users/%2F{}%2Fu%2F{user_id}", owner.creds.id), None),
    ] {
        let reply = on_other(method, &path, body.as_ref());
        assert_eq!(reply.status, 404, "{method} {path} under the other connection: {:?}", reply.json);
    }

    // By filter: nothing of the owner matches.
    for path in [
        format!("/Users?filter=id%20eq%20%22{user_id}%22"),
        format!("/Users?filter=userName%20eq%20%22{user_name}%22"),
        format!("/Groups?filter=id%20eq%20%22{group_id}%22"),
        format!("/Groups?filter=members.value%20eq%20%22{user_id}%22"),
    ] {
        let reply = on_other("GET", &path, None);
        assert_eq!((reply.status, reply.json["totalResults"].as_u64()), (200, Some(0)), "{path}: {:?}", reply.json);
    }

    // As group members: refused exactly as an id that exists nowhere is.
    let nowhere = "00000000-0000-4000-8000-000000000000";
    let with_member = |id: &str| json!({"schemas": [GROUP_SCHEMA], "displayName": "Mixed", "members": [{"value": id}]});
    let foreign = on_other("POST", "/Groups", Some(&with_member(&user_id)));
    let missing = on_other("POST", "/Groups", Some(&with_member(nowhere)));
    assert_eq!(foreign.status, 400, "{:?}", foreign.json);
    assert_eq!(foreign.json.to_string().replace(&user_id, "{id}"), missing.json.to_string().replace(nowhere, "{id}"));
    let add = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": [{"value": user_id}]}]});
    let reply = on_other("PATCH", &format!("/Groups/{}", other.group_id), Some(&add));
    assert_eq!(reply.status, 400, "{:?}", reply.json);

    // Through Bulk: every operation on a foreign id fails on its own.
    let bulk = json!({"schemas": [BULK_SCHEMA], "Operations": [
        {"method": "PUT", "path": format!("/Users/{user_id}"), "data": user("bulk.taken@isolation.example")},
        {"method": "PATCH", "path": format!("/Groups/{group_id}"),
         "data": {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "members"}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": with_member(&user_id)},
        {"method": "DELETE", "path": format!("/Groups/{group_id}")},
        {"method": "DELETE", "path": format!("/Users/{user_id}")},
    ]});
    let reply = on_other("POST", "/Bulk", Some(&bulk));
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let statuses: Vec<&str> = reply.json["Operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["404", "404", "400", "404", "404"], "{:?}", reply.json);

    // The same userName is free in the other connection: uniqueness is per connection, so a
    // 409 cannot tell one connection what another holds.
    assert_eq!(on_other("POST", "/Users", Some(&user(user_name))).status, 201);

    assert_eq!(snapshot(&client, &owner.creds), before, "the owner's resources changed");
    let owner_user = client.scim(&owner.creds, "GET", &format!("/Users/{user_id}"), None);
    assert_eq!(owner_user.json["groups"].as_array().map(Vec::len), Some(1), "{:?}", owner_user.json);

    // Positive control: the owner reaches all of it with its own token.
    assert_eq!(client.scim(&owner.creds, "GET", &format!("/Groups/{group_id}"), None).status, 200);
    assert_eq!(client.scim(&owner.creds, "DELETE", &format!("/Users/{user_id}"), None).status, 204);
}

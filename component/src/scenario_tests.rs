//! Whole-product scenarios through the HTTP handler, against the in-memory store.

use serde_json::{Value, json};

use crate::scim::schema::USER;
use crate::testing::Harness;

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name, "active": true, "externalId": format!("ext-{name}"),
           "name": {"givenName": "Given", "familyName": name}, "emails": [{"value": format!("{name}@x.example"), "primary": true}]})
}

#[test]
fn user_lifecycle_through_scim() {
    let h = Harness::new();
    let c = h.connection("Acme - Okta");
    let created = h.scim(&c, "POST", "/Users", Some(user("bjensen")));
    assert_eq!(created.status, 201);
    let body = created.body_json();
    let id = body["id"].as_str().expect("id").to_owned();
    assert_eq!(body["meta"]["resourceType"], "User");
    assert_eq!(body["meta"]["location"], format!("http://idplex.test/scim/v2/{}/Users/{id}", c.id));
    assert_eq!(created.header_value("etag"), body["meta"]["version"].as_str());

    let got = h.scim(&c, "GET", &format!("/Users/{id}"), None);
    assert_eq!(got.status, 200);
    assert_eq!(got.body_json()["userName"], "bjensen");

    let patched = h.scim(
        &c,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        })),
    );
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body_json()["active"], false);

    let mut replacement = user("bjensen2");
    replacement["id"] = json!("ignored");
    let put = h.scim(&c, "PUT", &format!("/Users/{id}"), Some(replacement));
    assert_eq!(put.status, 200);
    assert_eq!(put.body_json()["id"], id.as_str());
    assert_eq!(put.body_json()["userName"], "bjensen2");

    // The old userName is free again; the new one is taken.
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("BJENSEN2"))).status, 409);
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("bjensen"))).status, 201);

    assert_eq!(h.scim(&c, "DELETE", &format!("/Users/{id}"), None).status, 204);
    assert_eq!(h.scim(&c, "GET", &format!("/Users/{id}"), None).status, 404);
    assert_eq!(h.scim(&c, "DELETE", &format!("/Users/{id}"), None).status, 404);
}

#[test]
fn duplicate_user_name_is_409_uniqueness_and_other_connection_is_fine() {
    let h = Harness::new();
    let a = h.connection("A");
    let b = h.connection("B");
    assert_eq!(h.scim(&a, "POST", "/Users", Some(user("same"))).status, 201);
    let dup = h.scim(&a, "POST", "/Users", Some(user("SAME")));
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body_json()["scimType"], "uniqueness");
    assert_eq!(h.scim(&b, "POST", "/Users", Some(user("same"))).status, 201);
}

#[test]
fn filter_by_user_name_and_external_id() {
    let h = Harness::new();
    let c = h.connection("A");
    for name in ["alice", "bob", "carol"] {
        h.scim(&c, "POST", "/Users", Some(user(name)));
    }
    let found = h.scim(&c, "GET", "/Users?filter=userName%20eq%20%22BOB%22&startIndex=1&count=100", None).body_json();
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["userName"], "bob");
    let none = h.scim(&c, "GET", "/Users?filter=userName+eq+%22nobody%22", None).body_json();
    assert_eq!(none["totalResults"], 0);
    assert_eq!(none["Resources"], json!([]));
    let ext = h.scim(&c, "GET", "/Users?filter=externalId%20eq%20%22ext-carol%22", None).body_json();
    assert_eq!(ext["Resources"][0]["userName"], "carol");
    let bad = h.scim(&c, "GET", "/Users?filter=userName%20eq", None);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body_json()["scimType"], "invalidFilter");
}

#[test]
fn pagination_is_stable_and_counts_are_integers() {
    let h = Harness::new();
    let c = h.connection("A");
    for i in 0..7 {
        h.scim(&c, "POST", "/Users", Some(user(&format!("u{i}"))));
    }
    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let page = h.scim(&c, "GET", &format!("/Users?startIndex={start}&count=3"), None).body_json();
        assert_eq!(page["totalResults"], 7);
        assert_eq!(page["startIndex"], start);
        seen.extend(page["Resources"].as_array().expect("list").iter().map(|r| r["userName"].clone()));
    }
    let expected: Vec<Value> = (0..7).map(|i| json!(format!("u{i}"))).collect();
    assert_eq!(seen, expected);
    let count_only = h.scim(&c, "GET", "/Users?count=0", None).body_json();
    assert_eq!(count_only["totalResults"], 7);
    assert_eq!(count_only["itemsPerPage"], 0);
}

#[test]
fn tokens_are_per_connection() {
    let h = Harness::new();
    let a = h.connection("A");
    let b = h.connection("B");
    let crossed = crate::testing::TestConnection { id: b.id.clone(), token: a.token.clone() };
    let r = h.scim(&crossed, "GET", "/Users", None);
    assert_eq!(r.status, 401);
    assert!(r.header_value("www-authenticate").is_some());
    assert_eq!(r.body_json()["status"], "401");
    let unknown = crate::testing::TestConnection { id: "a".repeat(26), token: a.token.clone() };
    assert_eq!(h.scim(&unknown, "GET", "/Users", None).body_json(), r.body_json());
    assert_eq!(h.send("GET", &format!("/scim/v2/{}/Users", a.id), &[], None).status, 401);
}

#[test]
fn end_users_span_connections_and_filter_by_one() {
    let h = Harness::new();
    let a = h.connection("Company A - Okta");
    let b = h.connection("Company B - Entra");
    for n in ["a1", "a2"] {
        h.scim(&a, "POST", "/Users", Some(user(n)));
    }
    h.scim(&b, "POST", "/Users", Some(user("b1")));
    let all = h.admin("GET", "/users", None).body_json();
    assert_eq!(all["totalResults"], 3);
    let names: Vec<&str> =
        all["users"].as_array().expect("users").iter().filter_map(|u| u["connectionName"].as_str()).collect();
    assert_eq!(names, vec!["Company A - Okta", "Company A - Okta", "Company B - Entra"]);
    let only_b = h.admin("GET", &format!("/users?connection={}", b.id), None).body_json();
    assert_eq!(only_b["totalResults"], 1);
    assert_eq!(only_b["users"][0]["userName"], "b1");
    assert_eq!(only_b["users"][0]["connectionId"], b.id.as_str());
    let page2 = h.admin("GET", "/users?startIndex=2&count=2", None).body_json();
    let page2_names: Vec<&str> =
        page2["users"].as_array().expect("users").iter().filter_map(|u| u["userName"].as_str()).collect();
    assert_eq!(page2_names, vec!["a2", "b1"]);
    let search = h.admin("GET", "/users?search=B1%40X", None).body_json();
    assert_eq!(search["totalResults"], 1);
    assert_eq!(h.admin("DELETE", &format!("/connections/{}", a.id), None).status, 204);
    assert_eq!(h.admin("GET", "/users", None).body_json()["totalResults"], 1);
}

#[test]
fn admin_api_validates_input_and_requires_the_admin_token() {
    let h = Harness::new();
    assert_eq!(h.send("GET", "/admin/api/v1/connections", &[], None).status, 401);
    assert_eq!(h.send("GET", "/admin/api/v1/connections", &[("authorization", "Bearer nope")], None).status, 401);
    let created = h.admin("POST", "/connections", None);
    assert_eq!(created.status, 201);
    let body = created.body_json();
    assert_eq!(body["name"], "Connection 1");
    assert!(body["token"].as_str().is_some_and(|t| t.starts_with("idplex_")));
    assert_eq!(body["scimUrl"], format!("http://idplex.test/scim/v2/{}", body["id"].as_str().unwrap_or_default()));
    let id = body["id"].as_str().unwrap_or_default();
    assert_eq!(h.admin("PATCH", &format!("/connections/{id}"), Some(json!({"name": ""}))).status, 400);
    assert_eq!(h.admin("PATCH", &format!("/connections/{id}"), Some(json!({"name": "x".repeat(101)}))).status, 400);
    assert_eq!(h.admin("PATCH", &format!("/connections/{id}"), Some(json!({"name": 5}))).status, 400);
    let listed = h.admin("GET", "/connections", None).body_json();
    assert!(listed["connections"][0].get("token").is_none());
    assert_eq!(h.admin("GET", "/connections/nope", None).status, 404);
    let bad_json = h.send("POST", "/admin/api/v1/connections", &[("authorization", "Bearer admin-secret")], None);
    assert_eq!(bad_json.status, 201);
}

#[test]
fn discovery_needs_no_token_and_describes_the_server() {
    let h = Harness::new();
    let c = h.connection("A");
    let spc = h.send("GET", &format!("/scim/v2/{}/ServiceProviderConfig", c.id), &[], None);
    assert_eq!(spc.status, 200);
    assert_eq!(spc.body_json()["patch"]["supported"], true);
    let schemas = h.send("GET", &format!("/scim/v2/{}/Schemas", c.id), &[], None).body_json();
    assert_eq!(schemas["totalResults"], 3);
    let rt = h.send("GET", &format!("/scim/v2/{}/ResourceTypes/User", c.id), &[], None).body_json();
    assert_eq!(rt["endpoint"], "/Users");
}

#[test]
fn unsupported_methods_answer_405_with_allow_and_a_scim_error() {
    let h = Harness::new();
    let c = h.connection("A");
    let auth = format!("Bearer {}", c.token);
    let base = format!("/scim/v2/{}", c.id);
    let cases = [
        ("POST", "/ServiceProviderConfig", "GET"),
        ("PUT", "/ResourceTypes", "GET"),
        ("DELETE", "/ResourceTypes/User", "GET"),
        ("PATCH", "/Schemas", "GET"),
        ("POST", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "GET"),
        ("PUT", "/Users", "GET, POST"),
        ("DELETE", "/Groups", "GET, POST"),
        ("POST", "/Users/some-id", "GET, PUT, PATCH, DELETE"),
        ("GET", "/Users/.search", "GET, PUT, PATCH, DELETE"),
        ("GET", "/.search", "POST"),
        ("DELETE", "/Bulk", "POST"),
    ];
    for (method, path, allow) in cases {
        let r = h.send(method, &format!("{base}{path}"), &[("authorization", &auth)], None);
        if method == "GET" && path == "/Users/.search" {
            // A GET of `/Users/{id}` whose id happens to be `.search`: no such user.
            assert_eq!(r.status, 404, "{method} {path}");
            continue;
        }
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(r.header_value("allow"), Some(allow), "{method} {path}");
        let body = r.body_json();
        assert_eq!(body["schemas"][0], crate::scim::error::ERROR_SCHEMA, "{method} {path}");
        assert_eq!(body["status"], "405", "{method} {path}");
    }
    // Discovery is read-only for everyone, with or without a token.
    let anonymous = h.send("POST", &format!("{base}/Schemas"), &[], None);
    assert_eq!((anonymous.status, anonymous.header_value("allow")), (405, Some("GET")));
    // Paths that do not exist stay 404.
    assert_eq!(h.send("POST", &format!("{base}/Nothing"), &[("authorization", &auth)], None).status, 404);
}

#[test]
fn the_service_provider_config_has_no_cursor_timeout_since_cursors_do_not_expire() {
    // RFC 9865 makes `cursorTimeout` a positive number of seconds; strict clients refused 0.
    let h = Harness::new();
    let c = h.connection("A");
    let spc = h.send("GET", &format!("/scim/v2/{}/ServiceProviderConfig", c.id), &[], None).body_json();
    assert_eq!(spc["pagination"]["cursor"], true);
    assert!(spc["pagination"].get("cursorTimeout").is_none(), "{spc}");
}

#[test]
fn a_body_naming_a_member_twice_is_refused_and_stores_nothing() {
    let h = Harness::new();
    let c = h.connection("A");
    let auth = format!("Bearer {}", c.token);
    let path = format!("/scim/v2/{}/Users", c.id);
    let body =
        format!(r#"{{"schemas": ["{}"], "userName": "first", "userName": "second"}}"#, crate::scim::schema::USER);
    let r = crate::handle(
        &crate::App::new(&h.store, &h.env),
        &crate::http::Request::new("POST", &path, vec![("authorization".into(), auth)], body.into_bytes()),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body_json()["scimType"], "invalidSyntax");
    assert_eq!(h.scim(&c, "GET", "/Users", None).body_json()["totalResults"], 0);
}

#[test]
fn etags_drive_conditional_requests() {
    let h = Harness::new();
    let c = h.connection("A");
    let created = h.scim(&c, "POST", "/Users", Some(user("e"))).body_json();
    let id = created["id"].as_str().expect("id");
    let etag = created["meta"]["version"].as_str().expect("etag").to_owned();
    let auth = format!("Bearer {}", c.token);
    let path = format!("/scim/v2/{}/Users/{id}", c.id);
    let not_modified = h.send("GET", &path, &[("authorization", &auth), ("if-none-match", &etag)], None);
    assert_eq!(not_modified.status, 304);
    let stale = h.send("PUT", &path, &[("authorization", &auth), ("if-match", "W/\"999\"")], Some(user("e")));
    assert_eq!(stale.status, 412);
    let fresh = h.send("PUT", &path, &[("authorization", &auth), ("if-match", &etag)], Some(user("e")));
    assert_eq!(fresh.status, 200);
    assert_ne!(fresh.header_value("etag"), Some(etag.as_str()));
}

#[test]
fn malformed_bodies_get_scim_errors() {
    let h = Harness::new();
    let c = h.connection("A");
    let auth = format!("Bearer {}", c.token);
    let path = format!("/scim/v2/{}/Users", c.id);
    let r = crate::handle(
        &crate::App::new(&h.store, &h.env),
        &crate::http::Request::new("POST", &path, vec![("authorization".into(), auth)], b"{not json".to_vec()),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body_json()["scimType"], "invalidSyntax");
    let r = h.scim(&c, "POST", "/Users", Some(json!({"schemas": [USER]})));
    assert_eq!(r.status, 400);
    assert_eq!(r.body_json()["scimType"], "invalidValue");
}

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn ids_of(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["value"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

#[test]
fn groups_with_members_and_user_groups_attribute() {
    let h = Harness::new();
    let c = h.connection("A");
    let u1 = h.scim(&c, "POST", "/Users", Some(user("u1"))).body_json()["id"].as_str().expect("id").to_owned();
    let u2 = h.scim(&c, "POST", "/Users", Some(user("u2"))).body_json()["id"].as_str().expect("id").to_owned();
    let created = h.scim(
        &c,
        "POST",
        "/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Eng", "members": [{"value": u1}]})),
    );
    assert_eq!(created.status, 201);
    let group = created.body_json();
    let gid = group["id"].as_str().expect("id").to_owned();
    assert_eq!(ids_of(&group["members"]), vec![u1.clone()]);

    // Okta: remove by filter plus add in one request.
    let patched = h.scim(
        &c,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "remove", "path": format!("members[value eq \"{u1}\"]")},
            {"op": "add", "path": "members", "value": [{"value": u2}]}
        ]})),
    );
    assert_eq!(patched.status, 200);
    assert_eq!(ids_of(&patched.body_json()["members"]), vec![u2.clone()]);
    assert_ne!(patched.body_json()["meta"]["version"], group["meta"]["version"]);

    let user2 = h.scim(&c, "GET", &format!("/Users/{u2}"), None).body_json();
    assert_eq!(user2["groups"][0]["value"], gid.as_str());
    assert_eq!(user2["groups"][0]["display"], "Eng");
    assert!(h.scim(&c, "GET", &format!("/Users/{u1}"), None).body_json().get("groups").is_none());

    // Entra: Remove with a value list; rename with no path carrying the read-only id.
    let r = h.scim(
        &c,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Remove", "path": "members", "value": [{"value": u2}]},
            {"op": "Replace", "value": {"id": gid, "displayName": "Engineering"}}
        ]})),
    );
    assert_eq!(r.status, 200);
    let body = r.body_json();
    assert!(body.get("members").is_none());
    assert_eq!(body["displayName"], "Engineering");

    let listed = h
        .scim(&c, "GET", "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22engineering%22", None)
        .body_json();
    assert_eq!(listed["totalResults"], 1);

    // Unknown members are refused and nothing changes.
    let bad = h.scim(&c, "PATCH", &format!("/Groups/{gid}"), Some(json!({"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": u1}, {"value": "00000000-0000-4000-8000-000000000000"}]}
    ]})));
    assert_eq!(bad.status, 400);
    assert!(h.scim(&c, "GET", &format!("/Groups/{gid}"), None).body_json().get("members").is_none());

    // Member values are immutable: changing one is a mutability error, an unknown one a bad path.
    let immutable = h.scim(
        &c,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": format!("members[value eq \"{u1}\"].value"), "value": u2}
        ]})),
    );
    assert_eq!((immutable.status, immutable.body_json()["scimType"].clone()), (400, json!("mutability")));
    let unknown = h.scim(
        &c,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": format!("members[value eq \"{u1}\"].nope"), "value": 1}
        ]})),
    );
    assert_eq!(unknown.body_json()["scimType"], "invalidPath");
}

#[test]
fn deleting_a_user_removes_it_from_groups() {
    let h = Harness::new();
    let c = h.connection("A");
    let u = h.scim(&c, "POST", "/Users", Some(user("gone"))).body_json()["id"].as_str().expect("id").to_owned();
    let g = h
        .scim(&c, "POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": u}]})))
        .body_json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(h.scim(&c, "DELETE", &format!("/Users/{u}"), None).status, 204);
    assert!(h.scim(&c, "GET", &format!("/Groups/{g}"), None).body_json().get("members").is_none());
    let counts = h.admin("GET", &format!("/connections/{}", c.id), None).body_json();
    assert_eq!((counts["userCount"].clone(), counts["groupCount"].clone()), (json!(0), json!(1)));
}

#[test]
fn put_group_replaces_members_and_many_members_patch_keeps_the_rest() {
    let h = Harness::new();
    let c = h.connection("A");
    let users: Vec<String> = (0..30)
        .map(|i| {
            h.scim(&c, "POST", "/Users", Some(user(&format!("m{i}")))).body_json()["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let first: Vec<Value> = users[..20].iter().map(|u| json!({"value": u})).collect();
    let g = h
        .scim(&c, "POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Big", "members": first})))
        .body_json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let more: Vec<Value> = users[20..].iter().map(|u| json!({"value": u})).collect();
    h.scim(
        &c,
        "PATCH",
        &format!("/Groups/{g}"),
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": more}]})),
    );
    assert_eq!(ids_of(&h.scim(&c, "GET", &format!("/Groups/{g}"), None).body_json()["members"]).len(), 30);
    let put = h.scim(
        &c,
        "PUT",
        &format!("/Groups/{g}"),
        Some(json!({"schemas": [GROUP], "displayName": "Big", "members": [{"value": users[0]}]})),
    );
    assert_eq!(put.status, 200);
    assert_eq!(ids_of(&put.body_json()["members"]), vec![users[0].clone()]);
}

#[test]
fn bulk_creates_with_bulk_id_references_and_reports_each_operation() {
    let h = Harness::new();
    let c = h.connection("A");
    let reply = h.scim(&c, "POST", "/Bulk", Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g1",
             "data": {"schemas": [GROUP], "displayName": "Bulk", "members": [{"value": "bulkId:u1", "type": "User"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u1", "data": user("bulk1")},
            {"method": "POST", "path": "/Users", "bulkId": "u2", "data": user("bulk1")},
            {"method": "DELETE", "path": "/Users/00000000-0000-4000-8000-000000000000"}
        ]
    })));
    assert_eq!(reply.status, 200);
    let ops = reply.body_json()["Operations"].as_array().cloned().expect("operations");
    let statuses: Vec<&str> = ops.iter().filter_map(|o| o["status"].as_str()).collect();
    assert_eq!(statuses, vec!["201", "201", "409", "404"]);
    let group_location = ops[0]["location"].as_str().expect("location").to_owned();
    let gid = group_location.rsplit('/').next().expect("id");
    let group = h.scim(&c, "GET", &format!("/Groups/{gid}"), None).body_json();
    assert_eq!(group["members"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bulk_stops_after_fail_on_errors_and_rejects_circular_references() {
    let h = Harness::new();
    let c = h.connection("A");
    let reply = h.scim(
        &c,
        "POST",
        "/Bulk",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "failOnErrors": 1,
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [USER]}},
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("never")}
            ]
        })),
    );
    assert_eq!(reply.body_json()["Operations"].as_array().map(Vec::len), Some(1));
    let circular = h.scim(&c, "POST", "/Bulk", Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "x", "data": {"schemas": [GROUP], "displayName": "X", "members": [{"value": "bulkId:y"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "y", "data": {"schemas": [GROUP], "displayName": "Y", "members": [{"value": "bulkId:x"}]}}
        ]
    })));
    let statuses: Vec<String> = circular.body_json()["Operations"]
        .as_array()
        .expect("ops")
        .iter()
        .map(|o| o["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(statuses, vec!["409", "409"]);
}

#[test]
fn cursor_paging_walks_every_user_once() {
    let h = Harness::new();
    let c = h.connection("A");
    for i in 0..5 {
        h.scim(&c, "POST", "/Users", Some(user(&format!("c{i}"))));
    }
    let mut seen = Vec::new();
    let mut url = "/Users?cursor&count=2".to_owned();
    for _ in 0..10 {
        let page = h.scim(&c, "GET", &url, None).body_json();
        seen.extend(
            page["Resources"]
                .as_array()
                .expect("list")
                .iter()
                .map(|r| r["userName"].as_str().unwrap_or_default().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(next) => url = format!("/Users?cursor={next}&count=2"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["c0", "c1", "c2", "c3", "c4"]);
    let bad = h.scim(&c, "GET", "/Users?cursor=garbage", None);
    assert_eq!(bad.body_json()["scimType"], "invalidCursor");
}

#[test]
fn root_search_spans_users_and_groups() {
    let h = Harness::new();
    let c = h.connection("A");
    h.scim(&c, "POST", "/Users", Some(user("searchme")));
    h.scim(&c, "POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "searchme"})));
    let found = h.scim(
        &c,
        "POST",
        "/.search",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName eq \"searchme\" or displayName eq \"searchme\""
        })),
    );
    assert_eq!(found.status, 200);
    assert_eq!(found.body_json()["totalResults"], 2);
}

#[test]
fn ordering_filter_on_boolean_is_invalid_filter() {
    let h = Harness::new();
    let c = h.connection("A");
    let r = h.scim(&c, "GET", "/Users?filter=active%20gt%20true", None);
    assert_eq!(r.status, 400);
    assert_eq!(r.body_json()["scimType"], "invalidFilter");
    let ok = h.scim(&c, "GET", "/Users?filter=meta.lastModified%20gt%20%222020-01-01T00%3A00%3A00Z%22", None);
    assert_eq!(ok.status, 200);
}

#[test]
fn external_id_filter_uses_the_lookup_index_and_follows_changes() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = h.scim(&c, "POST", "/Users", Some(user("x"))).body_json()["id"].as_str().expect("id").to_owned();
    let by = |ext: &str| {
        h.scim(&c, "GET", &format!("/Users?filter=externalId%20eq%20%22{ext}%22"), None).body_json()["totalResults"]
            .clone()
    };
    assert_eq!(by("ext-x"), json!(1));
    assert_eq!(by("EXT-X"), json!(0), "externalId is case-exact");
    let mut changed = user("x");
    changed["externalId"] = json!("new-ext");
    assert_eq!(h.scim(&c, "PUT", &format!("/Users/{id}"), Some(changed)).status, 200);
    assert_eq!((by("ext-x"), by("new-ext")), (json!(0), json!(1)));
    let keys_before = h.store.keys().iter().filter(|k| k.starts_with("res-idx/")).count();
    assert_eq!(keys_before, 2);
    h.scim(&c, "DELETE", &format!("/Users/{id}"), None);
    assert_eq!(by("new-ext"), json!(0));
}

/// Defines, in the current module, each scenario again with `faults` injected.
macro_rules! again_with {
    ($faults:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                crate::testing::with_faults($faults, super::$name);
            }
        )*
    };
}

/// Every scenario that runs again on another store's semantics.
macro_rules! every_scenario {
    ($faults:expr) => {
        again_with!(
            $faults;
            user_lifecycle_through_scim,
            duplicate_user_name_is_409_uniqueness_and_other_connection_is_fine,
            filter_by_user_name_and_external_id,
            pagination_is_stable_and_counts_are_integers,
            tokens_are_per_connection,
            end_users_span_connections_and_filter_by_one,
            admin_api_validates_input_and_requires_the_admin_token,
            etags_drive_conditional_requests,
            groups_with_members_and_user_groups_attribute,
            deleting_a_user_removes_it_from_groups,
            put_group_replaces_members_and_many_members_patch_keeps_the_rest,
            bulk_creates_with_bulk_id_references_and_reports_each_operation,
            bulk_stops_after_fail_on_errors_and_rejects_circular_references,
            cursor_paging_walks_every_user_once,
            root_search_spans_users_and_groups,
            external_id_filter_uses_the_lookup_index_and_follows_changes,
        );
    };
}

/// Every scenario again, through a store that behaves like Spin's Redis provider: each applied
/// swap reported as `cas-failed`, `get-many` refused.
mod on_spin_redis_semantics {
    every_scenario!(crate::store::faulty::Faults::spin_redis());
}

/// Every scenario again, through a store that behaves like Spin's SQLite provider: a swap whose
/// handle saw the key absent upserts, so every key is created through its creation ticket
/// (`store::ExclusiveCreate`). Each harness checks, when dropped, that no ticket was left.
mod on_spin_sqlite_semantics {
    every_scenario!(crate::store::faulty::Faults::spin_sqlite());
}

#[test]
fn a_bulk_request_naming_one_bulk_id_twice_is_refused_before_any_operation_runs() {
    let h = Harness::new();
    let c = h.connection("A");
    let reply = h.scim(
        &c,
        "POST",
        "/Bulk",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "same", "data": user("first")},
                {"method": "POST", "path": "/Users", "bulkId": "same", "data": user("second")}
            ]
        })),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body_json()["scimType"], "invalidValue");
    let all = h.scim(&c, "GET", "/Users", None);
    assert_eq!(all.body_json()["totalResults"], 0, "nothing was created");
}

#[test]
fn a_search_request_member_of_the_wrong_type_is_refused_not_ignored() {
    let h = Harness::new();
    let c = h.connection("A");
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("someone"))).status, 201);
    for body in [
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": {"userName": "x"}}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": true}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "attributes": [1]}),
    ] {
        let reply = h.scim(&c, "POST", "/Users/.search", Some(body.clone()));
        assert_eq!((reply.status, reply.body_json()["scimType"].as_str()), (400, Some("invalidValue")), "{body}");
    }
}

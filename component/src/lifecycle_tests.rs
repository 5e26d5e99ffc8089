//! The connection lifecycle through the admin API and SCIM, over the in-memory store: rotation
//! with a grace period, disable and enable, token hints, paging, health and the audit feed.

use serde_json::{Value, json};

use crate::scim::schema::{GROUP, USER};
use crate::store::KvStore;
use crate::testing::{Harness, TestConnection};

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name})
}

fn scim_with(h: &Harness, c: &TestConnection, token: &str, method: &str, path: &str, body: Option<Value>) -> u16 {
    let other = TestConnection { id: c.id.clone(), token: token.to_owned() };
    h.scim(&other, method, path, body).status
}

fn connection(h: &Harness, c: &TestConnection) -> Value {
    let response = h.admin("GET", &format!("/connections/{}", c.id), None);
    assert_eq!(response.status, 200);
    response.body_json()
}

fn actions(h: &Harness, query: &str) -> Vec<String> {
    let response = h.admin("GET", &format!("/audit{query}"), None);
    assert_eq!(response.status, 200, "{:?}", response.body_json());
    response.body_json()["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn regenerating_with_grace_keeps_the_old_token_until_it_expires_then_retires_it() {
    let h = Harness::new();
    let c = h.connection("A");
    let old = c.token.clone();
    let reply = h.admin("POST", &format!("/connections/{}/token", c.id), Some(json!({"graceSeconds": 60})));
    assert_eq!(reply.status, 200);
    let new = reply.body_json()["token"].as_str().expect("token").to_owned();
    let expires = reply.body_json()["previousTokenExpires"].as_str().expect("in grace").to_owned();
    assert!(expires.ends_with('Z'), "{expires}");
    assert_eq!(scim_with(&h, &c, &old, "GET", "/Users", None), 200, "the old token works in its grace period");
    assert_eq!(scim_with(&h, &c, &new, "GET", "/Users", None), 200);

    // Regenerating again during the grace period ends the oldest token at once: two live at most.
    let reply = h.admin("POST", &format!("/connections/{}/token", c.id), Some(json!({"graceSeconds": 60})));
    let newest = reply.body_json()["token"].as_str().expect("token").to_owned();
    assert_eq!(scim_with(&h, &c, &old, "GET", "/Users", None), 401);
    assert_eq!(scim_with(&h, &c, &new, "GET", "/Users", None), 200);
    assert_eq!(scim_with(&h, &c, &newest, "GET", "/Users", None), 200);

    // Past the expiry the previous token is refused, and the first request that notices
    // retires it in the store.
    h.env.millis.set(h.env.millis.get() + 61_000);
    assert_eq!(scim_with(&h, &c, &new, "GET", "/Users", None), 401);
    assert_eq!(connection(&h, &c)["previousTokenExpires"], Value::Null);
    let record: Value =
        serde_json::from_slice(&h.store.get(&crate::storage::keys::connection(&c.id)).expect("get").expect("record"))
            .expect("json");
    assert!(record.get("previous_token_hash").is_none(), "{record}");
    // The clock going back (another host's) does not bring it back.
    h.env.millis.set(h.env.millis.get() - 30_000);
    assert_eq!(scim_with(&h, &c, &new, "GET", "/Users", None), 401);
    assert_eq!(scim_with(&h, &c, &newest, "GET", "/Users", None), 200);
}

#[test]
fn regenerating_without_grace_kills_the_old_token_at_once_and_grace_is_bounded() {
    let h = Harness::new();
    let c = h.connection("A");
    let path = format!("/connections/{}/token", c.id);
    for bad in [json!(-1), json!(86_401), json!("60"), json!(1.5)] {
        assert_eq!(h.admin("POST", &path, Some(json!({"graceSeconds": bad}))).status, 400, "{bad}");
    }
    assert_eq!(scim_with(&h, &c, &c.token, "GET", "/Users", None), 200, "refused regenerations change nothing");
    let reply = h.admin("POST", &path, None);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body_json()["previousTokenExpires"], Value::Null);
    assert_eq!(scim_with(&h, &c, &c.token, "GET", "/Users", None), 401);
}

#[test]
fn the_token_hint_names_the_current_token_without_revealing_it() {
    let h = Harness::new();
    let created = h.admin("POST", "/connections", Some(json!({"name": "A"}))).body_json();
    let token = created["token"].as_str().expect("token");
    let hint = created["tokenHint"].as_str().expect("hint");
    assert_eq!(hint, format!("{}…{}", &token[..10], &token[token.len() - 4..]));
    let id = created["id"].as_str().expect("id");
    let regenerated = h.admin("POST", &format!("/connections/{id}/token"), None).body_json();
    let listed = h.admin("GET", &format!("/connections/{id}"), None).body_json();
    assert_ne!(listed["tokenHint"], created["tokenHint"]);
    assert_eq!(listed["tokenHint"], regenerated["tokenHint"]);
    assert!(!listed.to_string().contains(regenerated["token"].as_str().expect("token")));
}

#[test]
fn a_disabled_connection_answers_403_keeps_its_users_and_comes_back_when_enabled() {
    let h = Harness::new();
    let c = h.connection("A");
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("alice"))).status, 201);
    let path = format!("/connections/{}", c.id);
    assert_eq!(h.admin("PATCH", &path, Some(json!({"enabled": "no"}))).status, 400);
    let reply = h.admin("PATCH", &path, Some(json!({"enabled": false})));
    assert_eq!((reply.status, reply.body_json()["enabled"].clone()), (200, json!(false)));
    for (method, endpoint, body) in
        [("GET", "/Users", None), ("POST", "/Users", Some(user("bob"))), ("GET", "/Schemas", None)]
    {
        let refused = h.scim(&c, method, endpoint, body);
        assert_eq!(refused.status, 403, "{method} {endpoint}");
        let error = refused.body_json();
        assert_eq!(error["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
        assert_eq!(error["status"], "403");
        assert_eq!(error["detail"], "this connection is disabled by its administrator");
    }
    assert_eq!(scim_with(&h, &c, "idplex_wrong", "GET", "/Users", None), 401, "a wrong token is still 401");
    let users = h.admin("GET", &format!("/users?connection={}", c.id), None).body_json();
    assert_eq!(users["totalResults"], 1, "users are kept");
    assert_eq!(connection(&h, &c)["health"]["lastFailure"]["status"], 403);
    assert_eq!(h.admin("PATCH", &path, Some(json!({"enabled": true}))).status, 200);
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("bob"))).status, 201);
    let actions = actions(&h, &format!("?connection={}", c.id));
    assert_eq!(actions[..3], ["user.created", "connection.enabled", "connection.disabled"]);
}

#[test]
fn connections_are_paged_with_a_total() {
    let h = Harness::new();
    let ids: Vec<String> = (0..7).map(|i| h.connection(&format!("C{i}")).id).collect();
    let page = h.admin("GET", "/connections?startIndex=3&count=2", None).body_json();
    assert_eq!(page["totalResults"], 7);
    assert_eq!(page["startIndex"], 3);
    assert_eq!(page["itemsPerPage"], 2);
    let got: Vec<&str> =
        page["connections"].as_array().expect("page").iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(got, [ids[2].as_str(), ids[3].as_str()]);
    let all = h.admin("GET", "/connections", None).body_json();
    assert_eq!(all["connections"].as_array().map(Vec::len), Some(7));
    assert_eq!(h.admin("GET", "/connections?count=x", None).status, 400);
}

#[test]
fn health_counts_users_requests_and_the_last_success_and_failure() {
    let h = Harness::new();
    let c = h.connection("A");
    let a = h.scim(&c, "POST", "/Users", Some(user("a"))).body_json()["id"].as_str().expect("id").to_owned();
    h.scim(&c, "POST", "/Users", Some(json!({"schemas": [USER], "userName": "b", "active": false})));
    h.scim(&c, "POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "g"})));
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(h.scim(&c, "PATCH", &format!("/Users/{a}"), Some(deactivate)).status, 200);
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("a"))).status, 409);
    let health = connection(&h, &c)["health"].clone();
    assert_eq!(health["activeUsers"], 0);
    assert_eq!(health["inactiveUsers"], 2);
    assert_eq!(health["groups"], 1);
    assert_eq!(health["requests24h"], 5);
    assert!(health["lastSuccessAt"].is_string());
    assert_eq!(health["lastFailure"]["status"], 409);
    assert!(health["lastFailure"]["detail"].as_str().is_some_and(|d| d.contains("userName")), "{health}");
    // Deleting an inactive user, and a wrong token (not counted).
    assert_eq!(h.scim(&c, "DELETE", &format!("/Users/{a}"), None).status, 204);
    scim_with(&h, &c, "idplex_wrong", "GET", "/Users", None);
    let health = connection(&h, &c)["health"].clone();
    assert_eq!((health["inactiveUsers"].clone(), health["requests24h"].clone()), (json!(1), json!(6)));
}

#[test]
fn the_audit_feed_says_who_did_what_to_which_resource_newest_first() {
    let h = Harness::new();
    let c = h.connection("A");
    let other = h.connection("B");
    let id = h.scim(&c, "POST", "/Users", Some(user("a"))).body_json()["id"].as_str().expect("id").to_owned();
    let patch = |active: bool| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": active}]})
    };
    h.scim(&c, "PATCH", &format!("/Users/{id}"), Some(patch(false)));
    h.scim(&c, "PATCH", &format!("/Users/{id}"), Some(patch(true)));
    h.scim(&c, "PUT", &format!("/Users/{id}"), Some(user("a2")));
    h.scim(&c, "DELETE", &format!("/Users/{id}"), None);
    h.scim(&other, "POST", "/Users", Some(user("b")));
    h.admin("PATCH", &format!("/connections/{}", c.id), Some(json!({"name": "A2"})));
    h.admin("POST", &format!("/connections/{}/token", c.id), None);
    let feed = h.admin("GET", &format!("/audit?connection={}", c.id), None).body_json();
    let events = feed["events"].as_array().expect("events");
    let got: Vec<(&str, &str)> =
        events.iter().map(|e| (e["actor"].as_str().unwrap_or(""), e["action"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        got,
        [
            ("admin", "connection.token_regenerated"),
            ("admin", "connection.renamed"),
            ("idp", "user.deleted"),
            ("idp", "user.updated"),
            ("idp", "user.reactivated"),
            ("idp", "user.deactivated"),
            ("idp", "user.created"),
            ("admin", "connection.created"),
        ]
    );
    assert_eq!(events[2]["resourceType"], "User");
    assert_eq!(events[2]["resourceId"], id.as_str());
    assert_eq!(events[2]["connectionName"], "A");
    assert_eq!(events[0]["connectionName"], "A2");
    assert!(!feed.to_string().contains(&c.token), "never a token");
    // The tenant feed has both connections; paging walks it without repeats.
    let first = h.admin("GET", "/audit?count=4", None).body_json();
    let cursor = first["nextCursor"].as_str().expect("more").to_owned();
    let rest = actions(&h, &format!("?count=200&before={cursor}"));
    assert_eq!(first["events"].as_array().map(Vec::len), Some(4));
    assert_eq!(4 + rest.len(), 10);
    assert_eq!(h.admin("GET", "/audit?before=x", None).status, 400);
    assert_eq!(h.admin("GET", "/audit?count=0", None).status, 400);
    assert_eq!(h.admin("GET", "/audit?connection=..", None).status, 400);
    // A deleted connection's events stay.
    h.admin("DELETE", &format!("/connections/{}", other.id), None);
    assert_eq!(
        actions(&h, &format!("?connection={}", other.id)),
        ["connection.deleted", "user.created", "connection.created"]
    );
}

#[test]
fn a_refused_request_records_no_audit_event() {
    let h = Harness::new();
    let c = h.connection("A");
    assert_eq!(h.scim(&c, "POST", "/Users", Some(json!({"schemas": [USER]}))).status, 400);
    assert_eq!(actions(&h, ""), ["connection.created"]);
}

#[test]
fn a_thousand_connections_page_through_without_a_limit() {
    let h = Harness::new();
    let ids: Vec<String> = (0..1000).map(|i| h.connection(&format!("Client {i:04}")).id).collect();
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = h.admin("GET", &format!("/connections?startIndex={start}&count=300"), None).body_json();
        assert_eq!(page["totalResults"], 1000);
        let got = page["connections"].as_array().expect("page");
        if got.is_empty() {
            break;
        }
        seen.extend(got.iter().filter_map(|c| c["id"].as_str().map(str::to_owned)));
        start += got.len();
    }
    assert_eq!(seen, ids, "every connection once, oldest first");
    let capped = h.admin("GET", "/connections?count=5000", None).body_json();
    assert_eq!(capped["itemsPerPage"], 1000, "a page holds at most 1,000");
}

//! The connection lifecycle through the real host: token rotation with a grace period (the old
//! token works until its expiry, then 401), disable (403 over SCIM, users still listed) and
//! enable, health, and an audit entry for each action — over HTTP with the admin API, and
//! through the component's typed `admin` export called by the wasmtime host.

use std::time::Duration;

use idplex_e2e::{ADMIN_TOKEN, Credentials, Server, runtime, user};
use idplex_host::admin::{Actor, Error, GroupQuery, SortOrder, UserQuery, UserSortKey};
use idplex_host::{Host, HostConfig, Request, sha256_hex};
use serde_json::{Value, json};

/// The actions of an audit page, newest first.
fn actions(page: &Value) -> Vec<String> {
    page["events"].as_array().expect("events").iter().map(|e| e["action"].as_str().unwrap_or("").to_owned()).collect()
}

#[test]
fn rotation_with_grace_disable_and_audit_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path());
    let client = server.client();
    let acme = client.create_connection(Some("Acme Okta"));
    let other = client.create_connection(Some("Globex Entra"));
    assert_eq!(client.scim(&acme, "POST", "/Users", Some(&user("alice"))).status, 201);
    assert_eq!(client.scim(&other, "POST", "/Users", Some(&user("bob"))).status, 201);

    // Regenerate with a 2-second grace period: both tokens work, then only the new one.
    let path = format!("/connections/{}/token", acme.id);
    let reply = client.admin("POST", &path, Some(&json!({"graceSeconds": 2})));
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(reply.json["previousTokenExpires"].is_string(), "{:?}", reply.json);
    let renewed = Credentials { token: reply.json["token"].as_str().expect("token").to_owned(), ..acme.clone() };
    let hint = reply.json["tokenHint"].as_str().expect("hint");
    assert!(renewed.token.starts_with(&hint[..10]) && renewed.token.ends_with(&hint[hint.len() - 4..]));
    assert_eq!(client.scim(&acme, "GET", "/Users", None).status, 200, "the old token in its grace period");
    assert_eq!(client.scim(&renewed, "GET", "/Users", None).status, 200);
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(client.scim(&acme, "GET", "/Users", None).status, 401, "the old token after its grace period");
    assert_eq!(client.scim(&renewed, "GET", "/Users", None).status, 200);
    let shown = client.admin("GET", &format!("/connections/{}", acme.id), None);
    assert_eq!(shown.json["previousTokenExpires"], Value::Null);

    // Without grace the old token dies at once.
    let reply = client.admin("POST", &path, None);
    let current = Credentials { token: reply.json["token"].as_str().expect("token").to_owned(), ..acme.clone() };
    assert_eq!(client.scim(&renewed, "GET", "/Users", None).status, 401);
    assert_eq!(client.admin("POST", &path, Some(&json!({"graceSeconds": 90_000}))).status, 400);

    // Disable: 403 with a SCIM error, users still listed and marked; enable again.
    let connection = format!("/connections/{}", acme.id);
    assert_eq!(client.admin("PATCH", &connection, Some(&json!({"enabled": false}))).status, 200);
    let refused = client.scim(&current, "GET", "/Users", None);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json["detail"], "this connection is disabled by its administrator");
    assert_eq!(refused.json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(client.scim(&other, "GET", "/Users", None).status, 200, "only that connection is disabled");
    let listed = client.admin("GET", &format!("/users?connection={}", acme.id), None);
    assert_eq!(listed.user_names(), ["alice"]);
    let shown = client.admin("GET", &connection, None).json;
    assert_eq!(shown["enabled"], false);
    assert_eq!(shown["health"]["lastFailure"]["status"], 403);
    assert_eq!(client.admin("PATCH", &connection, Some(&json!({"enabled": true}))).status, 200);
    assert_eq!(client.scim(&current, "GET", "/Users", None).status, 200);

    // Health of the other connection: its user and its requests.
    let health = client.admin("GET", &format!("/connections/{}", other.id), None).json["health"].clone();
    assert_eq!((health["activeUsers"].clone(), health["requests24h"].clone()), (json!(1), json!(2)), "{health}");
    assert!(health["lastSuccessAt"].is_string());

    // The audit feed has an entry for each action, newest first, and no token.
    let feed = client.admin("GET", &format!("/audit?connection={}", acme.id), None);
    assert_eq!(feed.status, 200);
    assert_eq!(
        actions(&feed.json),
        [
            "connection.enabled",
            "connection.disabled",
            "connection.token_regenerated",
            "connection.token_regenerated",
            "user.created",
            "connection.created"
        ]
    );
    assert_eq!(feed.json["events"][3]["detail"], "previous token valid for 2 s");
    for token in [&acme.token, &renewed.token, &current.token] {
        assert!(!feed.json.to_string().contains(token.as_str()));
    }
    let tenant = client.admin("GET", "/audit", None);
    assert_eq!(actions(&tenant.json).iter().filter(|a| *a == "user.created").count(), 2);

    // Delete: the token is dead at once and the feed keeps the connection's history.
    assert_eq!(client.admin("DELETE", &connection, None).status, 204);
    assert_eq!(client.scim(&current, "GET", "/Users", None).status, 401);
    let feed = client.admin("GET", &format!("/audit?connection={}", acme.id), None);
    assert_eq!(actions(&feed.json)[0], "connection.deleted");
    server.stop();
}

/// A SCIM call straight to `host` (no HTTP).
fn scim(host: &Host, id: &str, token: &str, method: &str, path: &str) -> u16 {
    host.handle(Request {
        method: method.to_owned(),
        path_with_query: format!("/scim/v2/{id}{path}"),
        headers: vec![
            ("host".to_owned(), "idplex.test".to_owned()),
            ("authorization".to_owned(), format!("Bearer {token}")),
        ],
        body: Vec::new(),
    })
    .status
}

#[test]
fn the_typed_admin_export_does_what_the_http_api_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = Host::open(runtime(), HostConfig::new(dir.path(), sha256_hex(ADMIN_TOKEN))).expect("host opens");
    let admin = host.admin();
    let created = admin.create_connection(None).expect("call").expect("created");
    let id = created.connection.id.clone();
    assert!(created.connection.enabled);
    assert_eq!(created.connection.token_hint.chars().count(), 15);
    assert_eq!(scim(&host, &id, &created.token, "GET", "/Users"), 200);

    let renewed = admin.regenerate_token(&id, 1).expect("call").expect("regenerated");
    assert!(renewed.connection.previous_token_expires.is_some());
    assert_eq!(scim(&host, &id, &created.token, "GET", "/Users"), 200, "in its grace period");
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(scim(&host, &id, &created.token, "GET", "/Users"), 401, "after it");
    assert_eq!(scim(&host, &id, &renewed.token, "GET", "/Users"), 200);
    assert!(matches!(admin.regenerate_token(&id, 86_401).expect("call"), Err(Error::InvalidArgument(_))));

    let disabled = admin.set_connection_enabled(&id, false).expect("call").expect("disabled");
    assert!(!disabled.enabled);
    assert_eq!(scim(&host, &id, &renewed.token, "GET", "/Users"), 403);
    let shown = admin.get_connection(&id).expect("call").expect("shown");
    assert_eq!(shown.health.last_failure.map(|f| f.status), Some(403));
    assert_eq!(shown.health.requests24h, 4, "every authenticated request counts");
    admin.set_connection_enabled(&id, true).expect("call").expect("enabled");
    admin.rename_connection(&id, "Renamed").expect("call").expect("renamed");
    assert_eq!(admin.list_connections().expect("call").expect("list").len(), 1);

    let page = admin.list_audit(Some(&id), None, 10).expect("call").expect("audit");
    let got: Vec<(Actor, String)> = page.events.iter().map(|e| (e.actor, e.action.clone())).collect();
    assert_eq!(
        got,
        [
            (Actor::Admin, "connection.renamed".to_owned()),
            (Actor::Admin, "connection.enabled".to_owned()),
            (Actor::Admin, "connection.disabled".to_owned()),
            (Actor::Admin, "connection.token_regenerated".to_owned()),
            (Actor::Admin, "connection.created".to_owned()),
        ]
    );
    assert!(matches!(admin.list_audit(None, Some("x"), 10).expect("call"), Err(Error::InvalidArgument(_))));
    admin.delete_connection(&id).expect("call").expect("deleted");
    assert!(matches!(admin.get_connection(&id).expect("call"), Err(Error::NotFound)));
    assert_eq!(scim(&host, &id, &renewed.token, "GET", "/Users"), 401);
}

/// A SCIM write straight to `host`; returns the status and the body.
fn scim_write(host: &Host, id: &str, token: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let response = host.handle(Request {
        method: method.to_owned(),
        path_with_query: format!("/scim/v2/{id}{path}"),
        headers: vec![
            ("host".to_owned(), "idplex.test".to_owned()),
            ("authorization".to_owned(), format!("Bearer {token}")),
            ("content-type".to_owned(), "application/scim+json".to_owned()),
        ],
        body: body.to_string().into_bytes(),
    });
    (response.status, serde_json::from_slice(&response.body).unwrap_or(Value::Null))
}

#[test]
fn the_typed_admin_export_lists_end_users_and_groups_and_shows_a_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = Host::open(runtime(), HostConfig::new(dir.path(), sha256_hex(ADMIN_TOKEN))).expect("host opens");
    let admin = host.admin();
    let a = admin.create_connection(Some("A")).expect("call").expect("created");
    let b = admin.create_connection(Some("B")).expect("call").expect("created");
    let (a_id, b_id) = (a.connection.id.clone(), b.connection.id.clone());
    let mut ids = Vec::new();
    for (c, token, name, active) in
        [(&a_id, &a.token, "zed", true), (&a_id, &a.token, "amy", false), (&b_id, &b.token, "bob", true)]
    {
        let mut body = user(name);
        body["active"] = json!(active);
        body["emails"] = json!([{"value": format!("{name}@example.com"), "primary": true}]);
        let (status, created) = scim_write(&host, c, token, "POST", "/Users", &body);
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Staff",
        "members": [{"value": ids[0]}]});
    assert_eq!(scim_write(&host, &a_id, &a.token, "POST", "/Groups", &group).0, 201);

    let query = UserQuery {
        connection_ids: vec![a_id.clone()],
        active: None,
        search: None,
        sort_by: Some(UserSortKey::UserName),
        sort_order: SortOrder::Ascending,
        duplicates: false,
        start_index: 1,
        count: 10,
    };
    let page = admin.list_users(&query).expect("call").expect("page");
    let names: Vec<&str> = page.users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!((page.total_results, names), (2, vec!["amy", "zed"]));
    let inactive = admin.list_users(&UserQuery { active: Some(false), ..query.clone() }).expect("call").expect("page");
    assert_eq!(inactive.users.iter().map(|u| u.user_name.as_str()).collect::<Vec<_>>(), ["amy"]);
    let everyone = UserQuery { connection_ids: Vec::new(), search: Some("B@EXAMPLE".into()), ..query.clone() };
    let found = admin.list_users(&everyone).expect("call").expect("page");
    assert_eq!(found.users.iter().map(|u| u.connection_name.as_str()).collect::<Vec<_>>(), ["B"]);

    let detail = admin.get_user(&a_id, &ids[0]).expect("call").expect("detail");
    let resource: Value = serde_json::from_str(&detail.user_json).expect("json");
    assert_eq!(resource["userName"], "zed");
    assert_eq!(detail.groups.iter().map(|g| g.display_name.as_str()).collect::<Vec<_>>(), ["Staff"]);
    assert_eq!((detail.connection_name.as_str(), detail.connection_enabled), ("A", true));
    assert!(
        matches!(admin.get_user(&b_id, &ids[0]).expect("call"), Err(Error::NotFound)),
        "not under another connection"
    );

    let groups = GroupQuery {
        connection_ids: Vec::new(),
        search: None,
        sort_by: None,
        sort_order: SortOrder::Ascending,
        start_index: 1,
        count: 10,
    };
    let listed = admin.list_groups(&groups).expect("call").expect("groups");
    assert_eq!(listed.groups.len(), 1);
    assert_eq!((listed.groups[0].display_name.as_str(), listed.groups[0].member_count), ("Staff", 1));
}

//! The working core end to end: two connections, users provisioned through each one's own
//! SCIM URL and token, the End Users list, the connection lifecycle, and a restart.

use idplex_e2e::{Server, user};
use serde_json::json;

#[test]
fn two_connections_provision_list_rotate_delete_and_survive_restart() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();

    let a = client.create_connection(Some("Company A - Okta"));
    let b = client.create_connection(None);
    assert!(a.scim_url.starts_with(&server.url) && a.scim_url.ends_with(&format!("/scim/v2/{}", a.id)));
    assert!(!a.id.contains('_'));
    assert_ne!(a.token, b.token);

    // Users through each connection's own URL and token; the same userName in both.
    for name in ["alice@a.example", "shared@x.example"] {
        assert_eq!(client.scim(&a, "POST", "/Users", Some(&user(name))).status, 201);
    }
    for name in ["bob@b.example", "shared@x.example"] {
        assert_eq!(client.scim(&b, "POST", "/Users", Some(&user(name))).status, 201);
    }
    let dup = client.scim(&a, "POST", "/Users", Some(&user("Shared@X.example")));
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json["scimType"], "uniqueness");
    assert_eq!(dup.header("content-type"), Some("application/scim+json"));

    // A token of A opens nothing of B.
    let crossed = idplex_e2e::Credentials { token: a.token.clone(), ..b.clone() };
    let denied = client.scim(&crossed, "GET", "/Users", None);
    assert_eq!(denied.status, 401);
    assert!(denied.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));

    // End Users: everyone, or one connection.
    let all = client.admin("GET", "/users", None);
    assert_eq!(all.json["totalResults"], 4);
    let only_b = client.admin("GET", &format!("/users?connection={}", b.id), None);
    assert_eq!(only_b.user_names(), vec!["bob@b.example", "shared@x.example"]);
    assert!(only_b.json["users"].as_array().expect("users").iter().all(|u| u["connectionId"] == b.id.as_str()));

    // Rename shows in the list.
    let renamed = client.admin("PATCH", &format!("/connections/{}", b.id), Some(&json!({"name": "Company B - Entra"})));
    assert_eq!(renamed.status, 200);
    let listed = client.admin("GET", &format!("/users?connection={}", b.id), None);
    assert!(listed.json["users"].as_array().expect("users").iter().all(|u| u["connectionName"] == "Company B - Entra"));

    // Regenerate: the old token stops at once, the new one works.
    let regenerated = client.admin("POST", &format!("/connections/{}/token", a.id), None);
    assert_eq!(regenerated.status, 200);
    let fresh =
        idplex_e2e::Credentials { token: regenerated.json["token"].as_str().expect("token").to_owned(), ..a.clone() };
    assert_eq!(client.scim(&a, "GET", "/Users", None).status, 401);
    assert_eq!(client.scim(&fresh, "GET", "/Users", None).status, 200);

    // Restart on the same data directory: everything is still there.
    server.stop();
    let server = Server::start(data.path());
    let client = server.client();
    let fresh = fresh.on(&server);
    let b = b.on(&server);
    assert_eq!(client.admin("GET", "/users", None).json["totalResults"], 4);
    let connections = client.admin("GET", "/connections", None);
    let listed: Vec<&str> =
        connections.json["connections"].as_array().expect("list").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(listed, vec!["Company A - Okta", "Company B - Entra"]);
    let found = client.scim(&fresh, "GET", "/Users?filter=userName%20eq%20%22alice%40a.example%22", None);
    assert_eq!(found.json["totalResults"], 1);

    // Delete: its token stops working and its users leave the list.
    assert_eq!(client.admin("DELETE", &format!("/connections/{}", b.id), None).status, 204);
    assert_eq!(client.scim(&b, "GET", "/Users", None).status, 401);
    let after = client.admin("GET", "/users", None);
    assert_eq!(after.user_names(), vec!["alice@a.example", "shared@x.example"]);
    assert_eq!(client.admin("GET", &format!("/connections/{}", b.id), None).status, 404);
}

#[test]
fn concurrent_creates_of_one_user_name_make_exactly_one_user() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();
    let c = client.create_connection(Some("Race"));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32)
            .map(|_| {
                let client = client.clone();
                let c = c.clone();
                s.spawn(move || client.scim(&c, "POST", "/Users", Some(&user("racer@x.example"))).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 31, "{statuses:?}");
    let listed = client.scim(&c, "GET", "/Users", None);
    assert_eq!(listed.json["totalResults"], 1);
    assert_eq!(listed.json["Resources"].as_array().map(Vec::len), Some(1));
}

#[test]
fn console_is_served_with_a_strict_content_security_policy() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let response = reqwest::blocking::get(format!("{}/", server.url)).expect("get");
    assert_eq!(response.status().as_u16(), 200);
    let csp =
        response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(response.text().expect("body").contains("<title>"));
}

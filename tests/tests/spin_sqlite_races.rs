//! Races to create the same key on the double of Spin's SQLite provider (`--store spin-sqlite`),
//! whose swap from "absent" is an unconditional upsert: two creators of one key both succeed
//! there, the later silently overwriting the earlier. One `idplex` process (Spin's SQLite store
//! is local to one host), many concurrent clients, each race on a key created from absent:
//! the claim of one userName, chunk 1 and the directory of a fresh list, the member list of a
//! fresh group and the connection list of a fresh store.
//!
//! A client answered 503 (`Retry-After`) sends the same request again, as SCIM clients do.

use std::collections::HashSet;

use idplex_e2e::process::check_with_args;
use idplex_e2e::{Client, Credentials, Reply, Server, concurrently, user};
use idplex_host::StoreSpec;
use serde_json::json;

/// How many times a client sends a request the server answered 503.
const ATTEMPTS: usize = 20;

/// Sends a SCIM request until it is answered with something other than 503.
fn scim_retrying(client: &Client, c: &Credentials, method: &str, path: &str, body: &serde_json::Value) -> Reply {
    for _ in 0..ATTEMPTS {
        let reply = client.scim(c, method, path, Some(body));
        if reply.status != 503 {
            return reply;
        }
        assert_eq!(reply.header("retry-after"), Some("1"), "{}", reply.json);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{method} {path} answered 503 {ATTEMPTS} times");
}

fn assert_check_clean(data: &std::path::Path) {
    let (clean, report) = check_with_args(data, &["--store", "spin-sqlite"], false);
    assert!(clean, "idplex check found violations:\n{report}");
}

#[test]
fn of_32_concurrent_creates_of_one_user_name_exactly_one_wins() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start_on(data.path(), StoreSpec::SpinSqlite);
    let client = server.client();
    let c = client.create_connection(Some("One name"));
    // The list exists already: the race is on the userName claim alone.
    assert_eq!(client.scim(&c, "POST", "/Users", Some(&user("first@x.example"))).status, 201);

    let replies = concurrently(32, |_| scim_retrying(&client, &c, "POST", "/Users", &user("racer@x.example")));
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.status, 409, "{}", reply.json);
        assert_eq!(reply.json["scimType"], "uniqueness");
    }
    let names = client.user_names(&c);
    assert_eq!(names.iter().filter(|n| *n == "racer@x.example").count(), 1, "{names:?}");
    assert_eq!(names.len(), 2, "{names:?}");
    server.stop();
    assert_check_clean(data.path());
}

#[test]
fn concurrent_creates_into_a_fresh_store_and_a_fresh_connection_are_all_listed_once() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start_on(data.path(), StoreSpec::SpinSqlite);
    let client = server.client();

    // A fresh store: the connection list's chunk 1 and directory are created by the race.
    let created = concurrently(16, |i| client.admin("POST", "/connections", Some(&json!({"name": format!("C{i}")}))));
    assert!(created.iter().all(|r| r.status == 201), "{:?}", created.iter().map(|r| &r.json).collect::<Vec<_>>());
    let listed = client.admin("GET", "/connections", None);
    let names: Vec<&str> = listed.json["connections"]
        .as_array()
        .map(|all| all.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), 16, "{names:?}");
    assert_eq!(names.len(), 16, "{names:?}");

    // A fresh connection: its user list's chunk 1 and directory are created by the race.
    let c = client.create_connection(Some("Fresh"));
    let statuses =
        concurrently(32, |i| scim_retrying(&client, &c, "POST", "/Users", &user(&format!("u{i}@x.example"))).status);
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let names = client.user_names(&c);
    let distinct: HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "a user is listed twice: {names:?}");
    assert_eq!(names.len(), 32, "every acknowledged user is listed: {names:?}");
    let page = client.scim(&c, "GET", "/Users?count=0", None);
    assert_eq!(page.json["totalResults"], 32);
    server.stop();
    assert_check_clean(data.path());
}

#[test]
fn concurrent_member_adds_to_a_fresh_group_are_all_kept() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start_on(data.path(), StoreSpec::SpinSqlite);
    let client = server.client();
    let c = client.create_connection(Some("Members"));
    let ids: Vec<String> = (0..32)
        .map(|i| {
            let reply = client.scim(&c, "POST", "/Users", Some(&user(&format!("m{i}@x.example"))));
            assert_eq!(reply.status, 201, "{}", reply.json);
            reply.json["id"].as_str().expect("id").to_owned()
        })
        .collect();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone"});
    let gid = client.scim(&c, "POST", "/Groups", Some(&group)).json["id"].as_str().expect("id").to_owned();

    // The group has no member yet: its member list's chunk 1 and directory are created by the
    // race, as is each member's `member-of` hint.
    let statuses = concurrently(ids.len(), |i| {
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                           "Operations": [{"op": "add", "path": "members", "value": [{"value": ids[i]}]}]});
        scim_retrying(&client, &c, "PATCH", &format!("/Groups/{gid}"), &patch).status
    });
    assert!(statuses.iter().all(|s| *s == 200 || *s == 204), "{statuses:?}");
    let members: HashSet<String> = client.scim(&c, "GET", &format!("/Groups/{gid}"), None).json["members"]
        .as_array()
        .map(|all| all.iter().filter_map(|m| m["value"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let expected: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(members, expected, "every acknowledged member is kept");
    for id in &ids {
        let groups = client.scim(&c, "GET", &format!("/Users/{id}"), None).json["groups"].clone();
        assert_eq!(groups.as_array().map_or(0, Vec::len), 1, "{id}: {groups}");
    }
    server.stop();
    assert_check_clean(data.path());
}

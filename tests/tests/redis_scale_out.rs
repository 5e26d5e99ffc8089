//! Scale-out: two real `idplex` processes on one Redis (`--store redis://…`) under concurrent
//! SCIM load through both. Uniqueness, listings, counts and memberships must come out exactly
//! as from one process, and `idplex check` must find nothing to repair.
//!
//! Needs Debian's `redis-server` (`make test` installs it); each test starts its own.

use std::collections::HashSet;

use idplex_e2e::process::Process;
use idplex_e2e::redis::RedisServer;
use idplex_e2e::{Client, Credentials, concurrently, user};
use serde_json::{Value, json};

/// A Redis server and two `idplex` processes sharing its database 0.
struct Cluster {
    redis: RedisServer,
    a: Process,
    b: Process,
    data_a: tempfile::TempDir,
    _data_b: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        let redis = RedisServer::start();
        let data_a = tempfile::tempdir().expect("tempdir");
        let data_b = tempfile::tempdir().expect("tempdir");
        let a = redis.idplex(0, data_a.path());
        let b = redis.idplex(0, data_b.path());
        Cluster { redis, a, b, data_a, _data_b: data_b }
    }

    /// Process A for even `i`, B for odd, with the connection's credentials on it.
    fn pick(&self, i: usize, c: &Credentials) -> (Client, Credentials) {
        let process = if i.is_multiple_of(2) { &self.a } else { &self.b };
        (process.client(), c.on_url(&process.url))
    }

    /// Asserts that `idplex check --store redis://…` finds no violation.
    fn assert_consistent(&self) {
        let (clean, report) = self.redis.check(0, self.data_a.path());
        assert!(clean, "idplex check found violations:\n{report}");
    }
}

fn group(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
}

fn add_member(id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]
    })
}

#[test]
fn same_user_name_posted_through_both_processes_is_created_once() {
    let cluster = Cluster::start();
    let c = cluster.a.client().create_connection(Some("Race across processes"));
    let statuses = concurrently(32, |i| {
        let (client, c) = cluster.pick(i, &c);
        client.scim(&c, "POST", "/Users", Some(&user("racer@x.example"))).status
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 31, "{statuses:?}");
    for process in [&cluster.a, &cluster.b] {
        let listed = process.client().scim(&c.on_url(&process.url), "GET", "/Users", None);
        assert_eq!(listed.json["totalResults"], 1, "{}: {:?}", process.url, listed.json);
    }
    cluster.assert_consistent();
}

#[test]
fn users_created_through_both_processes_are_listed_by_both() {
    const USERS: usize = 200;
    const THREADS: usize = 8;
    let cluster = Cluster::start();
    let c = cluster.a.client().create_connection(Some("Scale-out"));
    let created: Vec<Vec<String>> = concurrently(THREADS, |t| {
        let (client, c) = cluster.pick(t, &c);
        (t..USERS)
            .step_by(THREADS)
            .map(|n| {
                let reply = client.scim(&c, "POST", "/Users", Some(&user(&format!("user{n:03}@scale.example"))));
                assert_eq!(reply.status, 201, "user {n}: {:?}", reply.json);
                reply.json["id"].as_str().expect("id").to_owned()
            })
            .collect()
    });
    let ids: HashSet<String> = created.into_iter().flatten().collect();
    assert_eq!(ids.len(), USERS);

    for process in [&cluster.a, &cluster.b] {
        let client = process.client();
        let c = c.on_url(&process.url);
        let first = client.scim(&c, "GET", "/Users?count=1", None);
        assert_eq!(first.json["totalResults"], USERS, "{}: {:?}", process.url, first.json);
        let mut listed = HashSet::new();
        let mut start = 1;
        while listed.len() < USERS {
            let page = client.scim(&c, "GET", &format!("/Users?startIndex={start}&count=64"), None);
            let resources = page.json["Resources"].as_array().cloned().unwrap_or_default();
            assert!(!resources.is_empty(), "{}: listing stopped at {start}", process.url);
            start += resources.len();
            listed.extend(resources.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)));
        }
        assert_eq!(listed, ids, "{}", process.url);
        let end_users = client.admin("GET", &format!("/users?connection={}", c.id), None);
        assert_eq!(end_users.json["totalResults"], USERS, "{}: {:?}", process.url, end_users.json);
        let connection = client.admin("GET", &format!("/connections/{}", c.id), None);
        assert_eq!(connection.json["userCount"], USERS, "{}: {:?}", process.url, connection.json);
    }
    cluster.assert_consistent();
}

#[test]
fn concurrent_member_adds_from_both_processes_lose_none() {
    const MEMBERS: usize = 40;
    let cluster = Cluster::start();
    let client = cluster.a.client();
    let c = client.create_connection(Some("Groups"));
    let group_id = {
        let reply = client.scim(&c, "POST", "/Groups", Some(&group("Everyone")));
        assert_eq!(reply.status, 201, "{:?}", reply.json);
        reply.json["id"].as_str().expect("id").to_owned()
    };
    let users: Vec<String> = (0..MEMBERS)
        .map(|n| {
            let reply = client.scim(&c, "POST", "/Users", Some(&user(&format!("member{n:02}@groups.example"))));
            assert_eq!(reply.status, 201, "{:?}", reply.json);
            reply.json["id"].as_str().expect("id").to_owned()
        })
        .collect();

    let statuses = concurrently(MEMBERS, |i| {
        let (client, c) = cluster.pick(i, &c);
        client.scim(&c, "PATCH", &format!("/Groups/{group_id}"), Some(&add_member(&users[i]))).status
    });
    assert!(statuses.iter().all(|s| *s == 200 || *s == 204), "{statuses:?}");

    let expected: HashSet<&str> = users.iter().map(String::as_str).collect();
    for process in [&cluster.a, &cluster.b] {
        let reply = process.client().scim(&c.on_url(&process.url), "GET", &format!("/Groups/{group_id}"), None);
        let members: HashSet<&str> = reply.json["members"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["value"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(members, expected, "{}: members lost", process.url);
    }
    cluster.assert_consistent();
}

#[test]
fn redis_outage_answers_5xx_without_leaking_the_password() {
    const PASSWORD: &str = "e2e-redis-secret-8c1f";
    let mut redis = RedisServer::start_with_password(PASSWORD);
    let data = tempfile::tempdir().expect("tempdir");
    let log = data.path().join("idplex.log");
    let process = Process::start_with_args(data.path(), &["--store", &redis.url(0)], Some(&log));
    let client = process.client();
    let c = client.create_connection(Some("Before the outage"));
    assert_eq!(client.scim(&c, "POST", "/Users", Some(&user("kept@outage.example"))).status, 201);

    redis.kill();
    for reply in [
        client.scim(&c, "GET", "/Users", None),
        client.admin("GET", "/connections", None),
        client.scim(&c, "POST", "/Users", Some(&user("lost@outage.example"))),
    ] {
        assert!(
            (500..600).contains(&reply.status),
            "a store outage is a server error: {} {:?}",
            reply.status,
            reply.json
        );
        assert!(!reply.json.to_string().contains(PASSWORD), "the response leaks the password: {:?}", reply.json);
    }
    drop(process);
    let log = std::fs::read_to_string(&log).expect("the log");
    assert!(!log.contains(PASSWORD), "the log leaks the password:\n{log}");
}

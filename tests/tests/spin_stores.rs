//! The product on stores that behave like Spin's own key-value providers, and on a store that
//! loses replies: the storage protocols must not believe every answer a store gives.
//!
//! - `spin-redis://`: the host's double of Spin's Redis provider against a real redis-server
//!   (every applied swap reported as `cas-failed`, `get-many` as `KEYS`), two `idplex`
//!   processes sharing it;
//! - `spin-sqlite`: the double of Spin's SQLite provider (value-compare swap, upsert when
//!   the key was absent);
//! - `--inject-store-faults`: seeded failures before and after applying writes over SQLite.
//!
//! After each run: every acknowledged write present, nothing listed twice, `idplex check`
//! clean. Needs Debian's `redis-server` (`make test` installs it).

use std::collections::HashSet;

use idplex_e2e::process::{Process, check_with_args};
use idplex_e2e::redis::RedisServer;
use idplex_e2e::replay::{fixtures_dir, replay_dir_on};
use idplex_e2e::{Server, concurrently, user};
use idplex_host::StoreSpec;
use serde_json::json;

fn assert_no_duplicates(names: &[String]) {
    let distinct: HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "a user is listed twice: {names:?}");
}

#[test]
fn on_spin_redis_two_processes_create_list_and_race_exactly() {
    let redis = RedisServer::start();
    let url = redis.url(0).replacen("redis://", "spin-redis://", 1);
    let (data_a, data_b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    let a = Process::start_with_args(data_a.path(), &["--store", &url], None);
    let b = Process::start_with_args(data_b.path(), &["--store", &url], None);

    // The request the Spin Redis CAS bug broke: it answered 500 every time.
    let created = a.client().admin("POST", "/connections", Some(&json!({"name": "Acme - Okta"})));
    assert_eq!(created.status, 201, "{}", created.json);
    let c = a.client().create_connection(Some("Race"));
    let pick =
        |i: usize| if i.is_multiple_of(2) { (a.client(), c.on_url(&a.url)) } else { (b.client(), c.on_url(&b.url)) };

    let statuses = concurrently(32, |i| {
        let (client, c) = pick(i);
        client.scim(&c, "POST", "/Users", Some(&user("racer@x.example"))).status
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");

    let statuses = concurrently(24, |i| {
        let (client, c) = pick(i);
        client.scim(&c, "POST", "/Users", Some(&user(&format!("u{i}@x.example")))).status
    });
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");

    let names = b.client().user_names(&c.on_url(&b.url));
    assert_no_duplicates(&names);
    assert_eq!(names.len(), 25);
    let connections = a.client().admin("GET", "/connections", None);
    let list = connections.json["connections"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{}", connections.json);

    let (clean, report) = check_with_args(data_a.path(), &["--store", &url], false);
    assert!(clean, "idplex check found violations:\n{report}");
    // The check a Spin deployment runs: the admin endpoint, over Spin's cursor-less list-keys.
    let checked = b.client().admin("POST", "/check", None);
    assert_eq!(checked.status, 200, "{}", checked.json);
    assert_eq!(checked.json["clean"], true, "{}", checked.json);
    assert_eq!((checked.json["connections"].as_u64(), checked.json["users"].as_u64()), (Some(2), Some(25)));
    assert_eq!(checked.json["violations"], serde_json::json!([]), "{}", checked.json);
}

#[test]
fn on_spin_sqlite_the_user_lifecycle_works() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start_on(data.path(), StoreSpec::SpinSqlite);
    let client = server.client();
    let c = client.create_connection(Some("Spin SQLite"));
    let created = client.scim(&c, "POST", "/Users", Some(&user("a@x.example")));
    assert_eq!(created.status, 201);
    let id = created.json["id"].as_str().expect("id").to_owned();
    assert_eq!(client.scim(&c, "POST", "/Users", Some(&user("A@x.example"))).status, 409);
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(client.scim(&c, "PATCH", &format!("/Users/{id}"), Some(&patch)).json["active"], false);
    for i in 0..30 {
        assert_eq!(client.scim(&c, "POST", "/Users", Some(&user(&format!("u{i}@x.example")))).status, 201);
    }
    let names = client.user_names(&c);
    assert_no_duplicates(&names);
    assert_eq!(names.len(), 31);
    assert_eq!(client.scim(&c, "DELETE", &format!("/Users/{id}"), None).status, 204);
    assert_eq!(client.user_names(&c).len(), 30);
    assert_eq!(client.admin("GET", "/users", None).json["totalResults"], 30);
}

#[test]
fn on_spin_stores_the_vendor_fixtures_replay() {
    let redis = RedisServer::start();
    let mut next_db = 0;
    // A fresh Redis database for each fixture file (16 exist; the two directories hold fewer).
    let mut spin_redis = || {
        next_db += 1;
        redis.url(next_db).replacen("redis://", "spin-redis://", 1).parse::<StoreSpec>().expect("spec")
    };
    for directory in ["okta", "entra"] {
        let dir = fixtures_dir().join(directory);
        for (label, report) in [
            ("spin-sqlite", replay_dir_on(&dir, &mut || StoreSpec::SpinSqlite)),
            ("spin-redis", replay_dir_on(&dir, &mut spin_redis)),
        ] {
            assert!(report.steps > 0);
            assert!(report.failures.is_empty(), "{label} {directory}: {report}");
        }
    }
}

#[test]
fn lost_replies_and_failed_writes_lose_nothing_and_duplicate_nothing() {
    let data = tempfile::tempdir().expect("tempdir");
    let c = Process::start(data.path()).client().create_connection(Some("Faulty"));
    let faults = "seed=11,before=40,after=40";
    let server = Process::start_with_args(data.path(), &["--inject-store-faults", faults], None);
    let client = server.client();
    let c = c.on_url(&server.url);
    // 60 users, each POSTed until acknowledged (201) or found taken by an earlier,
    // unacknowledged attempt (409): a client's retry loop.
    let mut acknowledged = Vec::new();
    let mut unavailable = 0;
    for i in 0..60 {
        let name = format!("u{i}@x.example");
        for _ in 0..30 {
            let reply = client.scim(&c, "POST", "/Users", Some(&user(&name)));
            match reply.status {
                201 | 409 => {
                    acknowledged.push(name.clone());
                    break;
                }
                503 => {
                    unavailable += 1;
                    assert_eq!(reply.header("retry-after"), Some("1"));
                    assert_eq!(reply.json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
                }
                other => panic!("POST {name} answered {other}: {}", reply.json),
            }
        }
    }
    assert_eq!(acknowledged.len(), 60, "every user is eventually acknowledged");
    assert!(unavailable > 0, "the faults were injected");
    drop(server);

    // Read without faults: everything acknowledged is there, once.
    let server = Process::start_with_args(data.path(), &[], None);
    let client = server.client();
    let c = c.on_url(&server.url);
    let names = client.user_names(&c);
    assert_no_duplicates(&names);
    let listed: HashSet<&String> = names.iter().collect();
    for name in &acknowledged {
        assert!(listed.contains(name), "{name} was acknowledged but is not listed");
    }
    let (clean, report) = check_with_args(data.path(), &[], false);
    assert!(clean, "idplex check found violations:\n{report}");
}

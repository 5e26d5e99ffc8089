//! Deleting a connection of 100,000 users through the real host on SQLite: the DELETE answers
//! at once (it marks and queues; no request does work proportional to the connection), the
//! users are gone from every list at once, and the host's background reclamation then leaves
//! no key of the connection in the store.
//!
//! The data directory is a temporary directory under `/dev/shm` where that exists (the same
//! SQLite store, in memory-backed files: filling 100,000 users durably on a loaded 2-core disk
//! takes many minutes, and durability is what `crash.rs` tests, not this); set
//! `IDPLEX_E2E_DATA_ROOT` to put it elsewhere (e.g. on disk).

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use idplex_e2e::server_thread::ServerThread;
use idplex_e2e::{ADMIN_TOKEN, Client, runtime, user};
use idplex_host::maintenance::CheckOptions;
use idplex_host::{Host, HostConfig, sha256_hex};
use serde_json::{Value, json};

const USERS: usize = 100_000;

/// Users per Bulk request (the SCIM limit: `scim::limits::MAX_BULK_OPERATIONS`).
const PER_BULK: usize = 250;

/// How long the background reclamation may take before the test gives up (not a figure
/// asserted: a bound on a hung test).
const RECLAIM_LIMIT: Duration = Duration::from_secs(1_200);

fn bulk_of_users(first: usize) -> Value {
    let operations: Vec<Value> = (first..first + PER_BULK)
        .map(|i| {
            let mut data = user(&format!("user{i}@big.example"));
            data["externalId"] = json!(format!("ext-{i}"));
            json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": data})
        })
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations})
}

/// How many keys of the SQLite store at `db` contain `id` (read-only, beside the server).
fn count_naming(db: &std::path::Path, id: &str) -> u64 {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    conn.query_row("SELECT count(*) FROM kv WHERE instr(key, ?1) > 0", [id], |row| row.get(0)).expect("count")
}

/// Keys of the SQLite store at `db` that contain `id` (every key: health records too).
fn keys_naming(db: &std::path::Path, id: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let mut statement = conn.prepare("SELECT key FROM kv WHERE instr(key, ?1) > 0 ORDER BY key").expect("query");
    statement.query_map([id], |row| row.get(0)).expect("keys").collect::<Result<_, _>>().expect("rows")
}

#[test]
fn a_connection_of_100000_users_is_deleted_at_once_and_reclaimed_in_the_background() {
    let root = std::env::var_os("IDPLEX_E2E_DATA_ROOT")
        .or_else(|| std::path::Path::new("/dev/shm").is_dir().then(|| "/dev/shm".into()));
    let dir = match &root {
        Some(root) => tempfile::tempdir_in(root),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let db = dir.path().join(idplex_host::kv::SQLITE_FILE_NAME);
    let host = Arc::new(Host::open(runtime(), HostConfig::new(dir.path(), sha256_hex(ADMIN_TOKEN))).expect("host"));
    let served = Arc::clone(&host);
    let server = ServerThread::spawn(move |listener, shutdown| async move {
        idplex_host::serve(served, listener, shutdown).await.expect("serve");
    })
    .expect("server starts");
    let client = Client::new(&server.url);

    let keep = client.create_connection(Some("Keep"));
    for name in ["a@keep.example", "b@keep.example", "c@keep.example"] {
        assert_eq!(client.scim(&keep, "POST", "/Users", Some(&user(name))).status, 201);
    }
    let big = client.create_connection(Some("Big"));
    let started = Instant::now();
    // Two clients at once: the guest's work of one overlaps the other's store writes.
    std::thread::scope(|scope| {
        for half in 0..2 {
            let (client, big) = (&client, &big);
            scope.spawn(move || {
                for first in (half * PER_BULK..USERS).step_by(2 * PER_BULK) {
                    let reply = client.scim(big, "POST", "/Bulk", Some(&bulk_of_users(first)));
                    assert_eq!(reply.status, 200, "{:?}", reply.json);
                    let ops = reply.json["Operations"].as_array().cloned().unwrap_or_default();
                    let failed: Vec<&Value> = ops.iter().filter(|op| op["status"] != "201").take(2).collect();
                    assert_eq!(
                        ops.iter().filter(|op| op["status"] == "201").count(),
                        PER_BULK,
                        "bulk at {first}: {failed:?}"
                    );
                }
            });
        }
    });
    let fill = started.elapsed();
    let page = client.scim(&big, "GET", &format!("/Users?count={PER_BULK}"), None);
    let members: Vec<Value> =
        page.json["Resources"].as_array().expect("users").iter().map(|u| json!({"value": u["id"]})).collect();
    assert_eq!(members.len(), PER_BULK);
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone", "members": members});
    assert_eq!(client.scim(&big, "POST", "/Groups", Some(&group)).status, 201);
    let listed = client.scim(&big, "GET", "/Users?count=1", None);
    assert_eq!(listed.json["totalResults"], USERS, "{:?}", listed.json);
    let owned = count_naming(&db, &big.id);
    println!(
        "filled {USERS} users in {:.1} s ({:.0} users/s); the connection has {owned} keys",
        fill.as_secs_f64(),
        USERS as f64 / fill.as_secs_f64()
    );

    let asked = Instant::now();
    let deleted = client.admin("DELETE", &format!("/connections/{}", big.id), None);
    let answered = asked.elapsed();
    assert_eq!(deleted.status, 204, "{:?}", deleted.json);
    println!("DELETE of the 100,000-user connection answered 204 in {:.1} ms", answered.as_secs_f64() * 1000.0);

    // At once: the token is dead and the users are gone from every list.
    assert_eq!(client.scim(&big, "GET", "/Users?count=1", None).status, 401);
    let end_users = client.admin("GET", "/users?count=10", None);
    assert_eq!(end_users.status, 200);
    assert_eq!(end_users.json["totalResults"], 3, "{:?}", end_users.json);
    let connections = client.admin("GET", "/connections", None);
    let listed: Vec<&str> = connections.json["connections"]
        .as_array()
        .map(|all| all.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(listed, vec![keep.id.as_str()]);

    // Then the host's background reclamation deletes every key of the connection.
    let reclaiming = Instant::now();
    loop {
        let left = keys_naming(&db, &big.id);
        if left.is_empty() {
            break;
        }
        assert!(
            reclaiming.elapsed() < RECLAIM_LIMIT,
            "{} keys of the connection left, e.g. {:?}",
            left.len(),
            left.first()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let reclaim = reclaiming.elapsed();
    let (steps, keys) = (host.reclaimed().steps.load(Relaxed), host.reclaimed().keys.load(Relaxed));
    println!(
        "reclaimed {owned} keys ({keys} deletes) in {:.1} s, {steps} background steps of at most {} keys",
        reclaim.as_secs_f64(),
        idplex_host::reclaimer::BACKGROUND_BUDGET
    );
    assert!(steps >= owned / u64::from(idplex_host::reclaimer::BACKGROUND_BUDGET), "{steps} steps");

    // The other connection is untouched and the store is consistent.
    let kept = client.user_names(&keep);
    assert_eq!(kept.len(), 3, "{kept:?}");
    std::thread::sleep(Duration::from_millis(200));
    let report = host.check(CheckOptions { repair: false, now_millis: None }).expect("check").report;
    assert!(report.violations.is_empty() && report.unfinished.is_empty(), "{report:?}");
    assert_eq!(keys_naming(&db, &big.id), Vec::<String>::new());
    server.stop();
}

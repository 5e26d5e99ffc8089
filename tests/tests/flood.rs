//! No flood takes the host down: clients that hold connections, send half a body, trickle it or
//! send none at all get a bounded share of the host, answered with SCIM errors, while the next
//! well-behaved request is served normally. Also the guest limits (time, memory), each proven
//! by the error and the log line that name it.

use std::time::{Duration, Instant};

use idplex_e2e::process::Process;
use idplex_e2e::raw_http::{RawConnection, head, rss_bytes};
use idplex_e2e::{ADMIN_TOKEN, Server, runtime, user};
use idplex_host::{Host, HostConfig, Request, sha256_hex};
use serde_json::json;

/// How long a test waits for an answer that should come at once.
const ANSWER: Duration = Duration::from_secs(10);

fn config(data: &std::path::Path) -> HostConfig {
    HostConfig::new(data, sha256_hex(ADMIN_TOKEN))
}

/// `Authorization` and `Content-Length` header lines for a JSON body of `len` bytes.
fn body_headers(token: &str, len: usize) -> String {
    format!("Authorization: Bearer {token}\r\nContent-Type: application/scim+json\r\nContent-Length: {len}\r\n")
}

/// What the component itself answers `POST path` without credentials (no HTTP, no host
/// shortcut in between).
fn component_answer(path: &str) -> idplex_host::Response {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = Host::open(runtime(), config(dir.path())).expect("host opens");
    host.handle(Request {
        method: "POST".to_owned(),
        path_with_query: path.to_owned(),
        headers: vec![
            ("host".to_owned(), "idplex.test".to_owned()),
            ("content-type".to_owned(), "application/scim+json".to_owned()),
        ],
        body: b"{}".to_vec(),
    })
}

fn header<'a>(response: &'a idplex_host::Response, name: &str) -> Option<&'a str> {
    response.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn requests_without_credentials_are_refused_before_their_body_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path());
    let connection = server.client().create_connection(None);
    let users = format!("/scim/v2/{}/Users", connection.id);
    for path in [users.as_str(), "/admin/api/v1/connections"] {
        let expected = component_answer(path);
        assert_eq!(expected.status, 401);
        let mut client = RawConnection::open(&server.url);
        // Ten million bytes announced, none sent.
        client
            .send(head("POST", path, "Content-Type: application/scim+json\r\nContent-Length: 10000000\r\n").as_bytes());
        let started = Instant::now();
        let refused = client.read_reply(ANSWER).expect("refused without waiting for the body");
        assert!(started.elapsed() < Duration::from_secs(5), "answered at once");
        assert_eq!(refused.status, 401, "{path}");
        assert_eq!(refused.body.as_bytes(), expected.body.as_slice(), "{path}: the component's own body");
        for name in ["content-type", "www-authenticate"] {
            assert_eq!(refused.header(name), header(&expected, name), "{path}: {name}");
        }
    }
    // Discovery needs no credentials: the component answers it, body and all.
    let discovery =
        server.client().send("GET", &format!("/scim/v2/{}/ServiceProviderConfig", connection.id), None, None, &[]);
    assert_eq!(discovery.status, 200, "{:?}", discovery.json);
    server.stop();
}

#[test]
fn bodies_in_flight_share_one_budget_and_the_rest_get_503() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.max_body_bytes = 1 << 20;
    config.body_budget_bytes = 2 << 20;
    let server = Server::start_with(config);
    let client = server.client();
    let connection = client.create_connection(None);
    let users = format!("/scim/v2/{}/Users", connection.id);
    let announced = head("POST", &users, &body_headers(&connection.token, 1 << 20));

    // Two clients announce a whole megabyte each, send a little and stall: the budget is full.
    let holders: Vec<RawConnection> = (0..2)
        .map(|_| {
            let mut holder = RawConnection::open(&server.url);
            holder.send(announced.as_bytes());
            holder.send(&[b' '; 1000]);
            holder
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    let mut third = RawConnection::open(&server.url);
    third.send(announced.as_bytes());
    let refused = third.read_reply(ANSWER).expect("refused, not queued");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["status"], "503");
    assert!(refused.body.contains("request bodies in flight"), "{}", refused.body);

    // A request without a body needs no room.
    assert_eq!(client.scim(&connection, "GET", "/Users", None).status, 200);
    // The room comes back when the holders go.
    drop(holders);
    let created = client.scim(&connection, "POST", "/Users", Some(&user("after.flood")));
    assert_eq!(created.status, 201, "{:?}", created.json);
    server.stop();
}

#[test]
fn a_stalled_body_gets_408_and_gives_its_room_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.max_body_bytes = 1 << 20;
    config.body_budget_bytes = 1 << 20;
    config.body_idle_timeout = Duration::from_millis(300);
    let server = Server::start_with(config);
    let client = server.client();
    let connection = client.create_connection(None);
    let users = format!("/scim/v2/{}/Users", connection.id);

    let mut stalled = RawConnection::open(&server.url);
    stalled.send(head("POST", &users, &body_headers(&connection.token, 1 << 20)).as_bytes());
    stalled.send(b"{\"schemas\":");
    let started = Instant::now();
    let timed_out = stalled.read_reply(ANSWER).expect("the server gives up on the body");
    assert_eq!(timed_out.status, 408, "{timed_out:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(timed_out.json()["status"], "408");
    assert_eq!(timed_out.header("connection"), Some("close"));
    assert!(stalled.closed_within(ANSWER), "the connection is closed");

    // The whole budget (one largest body) is free again.
    let created = client.scim(&connection, "POST", "/Users", Some(&user("after.stall")));
    assert_eq!(created.status, 201, "{:?}", created.json);
    server.stop();
}

#[test]
fn a_body_trickling_past_the_read_deadline_gets_408() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.body_read_timeout = Duration::from_secs(1);
    let server = Server::start_with(config);
    let connection = server.client().create_connection(None);
    let users = format!("/scim/v2/{}/Users", connection.id);

    let mut trickle = RawConnection::open(&server.url);
    trickle.send(head("POST", &users, &body_headers(&connection.token, 100_000)).as_bytes());
    let started = Instant::now();
    // A byte every 100 ms: never idle for long, never done.
    let reply = loop {
        assert!(started.elapsed() < Duration::from_secs(10), "no answer while trickling");
        trickle.send(b" ");
        if let Some(reply) = trickle.read_reply(Duration::from_millis(100)) {
            break reply;
        }
    };
    assert_eq!(reply.status, 408, "{reply:?}");
    assert!(started.elapsed() >= Duration::from_millis(900), "not before the deadline");
    server.stop();
}

#[test]
fn connections_past_the_cap_get_503_and_are_closed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.max_connections = 4;
    let server = Server::start_with(config);
    // Four connections that send nothing hold every place.
    let silent: Vec<RawConnection> = (0..4).map(|_| RawConnection::open(&server.url)).collect();
    std::thread::sleep(Duration::from_millis(300));

    let mut fifth = RawConnection::open(&server.url);
    fifth.send(head("GET", "/", "").as_bytes());
    let refused = fifth.read_reply(ANSWER).expect("refused at once");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(refused.body.contains("too many open connections"), "{}", refused.body);
    assert!(fifth.closed_within(ANSWER));

    drop(silent);
    let started = Instant::now();
    loop {
        let mut next = RawConnection::open(&server.url);
        next.send(head("GET", "/", "").as_bytes());
        let reply = next.read_reply(ANSWER).expect("answered");
        if reply.status == 200 {
            break;
        }
        assert!(started.elapsed() < ANSWER, "places come back when connections close");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.stop();
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.header_read_timeout = Duration::from_millis(500);
    let server = Server::start_with(config);
    let mut client = RawConnection::open(&server.url);
    client.send(head("GET", "/", "").as_bytes());
    assert_eq!(client.read_reply(ANSWER).expect("served").status, 200);
    let started = Instant::now();
    assert!(client.closed_within(Duration::from_secs(5)), "the idle connection is closed");
    assert!(started.elapsed() >= Duration::from_millis(400), "not before the timeout");
    server.stop();
}

/// The log of a server process, read when asked.
fn log_text(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_request_past_the_guest_memory_limit_gets_500_naming_it_and_the_next_is_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("idplex.log");
    let data = dir.path().join("data");
    let server = Process::start_with_args(&data, &["--guest-memory-mib", "8"], Some(&log));
    let client = server.client();
    let connection = client.create_connection(None);

    // A 9 MiB body, under the 10 MiB body limit: the component gets a copy of it in its own
    // memory before it can look at it, which takes more than 8 MiB.
    let mut heavy = user("heavy");
    heavy["displayName"] = json!("x".repeat(9 << 20));
    let refused = client.scim(&connection, "POST", "/Users", Some(&heavy));
    assert_eq!(refused.status, 500, "{:?}", refused.json);
    assert_eq!(refused.json["detail"], "the request exceeded the guest memory limit");
    let log = wait_for_log(&log, "component exceeded the guest memory limit");
    assert!(log.contains("limit_bytes=8388608"), "{log}");
    assert!(!log.contains("guest time limit"), "{log}");

    let listed = client.scim(&connection, "GET", "/Users", None);
    assert_eq!(listed.status, 200, "{:?}", listed.json);
    let created = client.scim(&connection, "POST", "/Users", Some(&user("light")));
    assert_eq!(created.status, 201, "{:?}", created.json);
}

/// Waits until the log at `path` contains `line`; returns the whole log.
fn wait_for_log(path: &std::path::Path, line: &str) -> String {
    let started = Instant::now();
    loop {
        let text = log_text(path);
        if text.contains(line) {
            return text;
        }
        assert!(started.elapsed() < ANSWER, "no `{line}` in the log:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The flood, ten times over: a thousand clients each announce a 10 MB body and push up
/// to 9 MiB of it as fast as the server takes it, then stall. The server's resident memory
/// grows by less than the body budget plus 64 MiB (connections, buffers, tasks), and it still
/// serves a well-behaved client. Prints the figures (`--nocapture`) for docs/performance.md.
#[test]
fn a_thousand_slow_clients_hold_no_more_than_the_body_budget() {
    const CLIENTS: usize = 1000;
    const BUDGET_MIB: u64 = 32;
    const PUSH: Duration = Duration::from_secs(15);
    let dir = tempfile::tempdir().expect("temp dir");
    let budget = BUDGET_MIB.to_string();
    let server =
        Process::start_with_args(dir.path(), &["--body-budget-mib", &budget, "--max-connections", "1100"], None);
    let client = server.client();
    let connection = client.create_connection(None);
    for i in 0..20 {
        let created = client.scim(&connection, "POST", "/Users", Some(&user(&format!("warm.{i}"))));
        assert_eq!(created.status, 201, "{:?}", created.json);
    }
    let before = rss_bytes(server.pid());

    let users = format!("/scim/v2/{}/Users", connection.id);
    let announced = head("POST", &users, &body_headers(&connection.token, 10_000_000));
    let mut flood: Vec<(RawConnection, usize)> = (0..CLIENTS)
        .map(|_| {
            let mut slow = RawConnection::open(&server.url);
            slow.send(announced.as_bytes());
            (slow, 0)
        })
        .collect();
    let piece = vec![b' '; 64 << 10];
    let started = Instant::now();
    let mut peak = before;
    while started.elapsed() < PUSH {
        let mut pushed = 0;
        for (slow, sent) in &mut flood {
            if *sent < 9 << 20 {
                let n = slow.send_some(&piece[..piece.len().min((9 << 20) - *sent)]);
                *sent += n;
                pushed += n;
            }
        }
        peak = peak.max(rss_bytes(server.pid()));
        if pushed == 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let held = rss_bytes(server.pid());
    peak = peak.max(held);
    let listed = client.scim(&connection, "GET", "/Users", None);
    let sent: usize = flood.iter().map(|(_, sent)| sent).sum();
    let growth = peak.saturating_sub(before);
    eprintln!(
        "flood figures: {CLIENTS} clients, body budget {BUDGET_MIB} MiB, {:.1} MiB sent in all; RSS before {:.1} MiB, \
         peak {:.1} MiB (growth {:.1} MiB), after {} s {:.1} MiB",
        sent as f64 / 1048576.0,
        before as f64 / 1048576.0,
        peak as f64 / 1048576.0,
        growth as f64 / 1048576.0,
        PUSH.as_secs(),
        held as f64 / 1048576.0,
    );
    assert_eq!(listed.status, 200, "served during the flood: {:?}", listed.json);
    assert!(growth < (BUDGET_MIB + 64) << 20, "RSS grew by {growth} bytes");
}

/// A SCIM call straight to `host` (no HTTP).
fn call(host: &Host, method: &str, path: &str, token: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let response = host.handle(Request {
        method: method.to_owned(),
        path_with_query: path.to_owned(),
        headers: vec![
            ("host".to_owned(), "idplex.test".to_owned()),
            ("authorization".to_owned(), format!("Bearer {token}")),
            ("content-type".to_owned(), "application/scim+json".to_owned()),
        ],
        body: body.to_string().into_bytes(),
    });
    (response.status, serde_json::from_slice(&response.body).unwrap_or_default())
}

/// The slowest the heavy search may be stopped under a 200 ms limit: the limit plus one
/// 100 ms epoch tick.
const WORST_STOP: Duration = Duration::from_millis(300);

/// The most users [`filled_store`] adds while looking for a heavy enough search.
const MOST_USERS: usize = 20_000;

/// Fills `data` with one connection whose users each have a 1,000-character `displayName`
/// (through the component, in bulks of 500), adding 1,000 at a time until the heavy search
/// takes at least three times [`WORST_STOP`] without a tight limit: on any machine, only the
/// time limit can then stop it. Returns the connection's id and token, one user's id and the
/// number of users.
fn filled_store(data: &std::path::Path) -> (String, String, String, usize) {
    let host = Host::open(runtime(), config(data)).expect("host opens");
    let (status, connection) = call(&host, "POST", "/admin/api/v1/connections", ADMIN_TOKEN, &json!({}));
    assert_eq!(status, 201, "{connection}");
    let id = connection["id"].as_str().expect("id").to_owned();
    let token = connection["token"].as_str().expect("token").to_owned();
    let mut user_id = String::new();
    let mut users = 0;
    loop {
        for first in (users..users + 1000).step_by(500) {
            let operations: Vec<serde_json::Value> = (first..first + 500)
                .map(|i| {
                    let mut data = user(&format!("user{i}"));
                    data["displayName"] = json!(format!("{i} {}", "d".repeat(1000)));
                    json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": data})
                })
                .collect();
            let bulk =
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations});
            let (status, reply) = call(&host, "POST", &format!("/scim/v2/{id}/Bulk"), &token, &bulk);
            assert_eq!(status, 200, "{reply}");
            let location = reply["Operations"][0]["location"].as_str().unwrap_or_else(|| panic!("created: {reply}"));
            user_id = location.rsplit('/').next().unwrap_or_default().to_owned();
        }
        users += 1000;
        let started = Instant::now();
        let (status, reply) = call(&host, "POST", &format!("/scim/v2/{id}/Users/.search"), &token, &heavy_search());
        let unlimited = started.elapsed();
        eprintln!("the heavy search over {users} users takes {unlimited:?} with the default limits");
        assert_eq!(status, 200, "{reply}");
        if unlimited >= WORST_STOP * 3 {
            return (id, token, user_id, users);
        }
        assert!(users < MOST_USERS, "the heavy search over {users} users is not heavy enough: {unlimited:?}");
    }
}

/// The heavy search: [`heavy_filter`] over `/Users`.
fn heavy_search() -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": heavy_filter()})
}

/// A filter of about 4,000 characters (the component's limit is 4,096) that no user matches,
/// so every user is rendered and each of its terms searches the user's long `displayName`.
fn heavy_filter() -> String {
    let mut filter = String::new();
    for i in 0.. {
        let term = format!("displayName co \"no such name {i}\"");
        if filter.len() + term.len() + 4 > 4000 {
            break;
        }
        if !filter.is_empty() {
            filter.push_str(" or ");
        }
        filter.push_str(&term);
    }
    filter
}

#[test]
fn a_request_past_the_guest_time_limit_gets_503_naming_it_and_the_next_is_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("idplex.log");
    let data = dir.path().join("data");
    let (id, token, user_id, users) = filled_store(&data);
    let server = Process::start_with_args(&data, &["--guest-time-limit-ms", "200"], Some(&log));
    let client = server.client();
    let connection = idplex_e2e::Credentials { scim_url: format!("{}/scim/v2/{id}", server.url), id, token };

    let search = heavy_search();
    let started = Instant::now();
    let refused = client.scim(&connection, "POST", "/Users/.search", Some(&search));
    let stopped = started.elapsed();
    eprintln!("the heavy search over {users} users was stopped after {stopped:?}");
    assert_eq!(refused.status, 503, "{:?}", refused.json);
    assert_eq!(refused.json["detail"], "the request exceeded the guest time limit");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let log = wait_for_log(&log, "component exceeded the guest time limit");
    assert!(log.contains("limit_ms=200"), "{log}");
    assert!(!log.contains("guest memory limit"), "{log}");

    let one = client.scim(&connection, "GET", &format!("/Users/{user_id}"), None);
    assert_eq!(one.status, 200, "{:?}", one.json);
    let created = client.scim(&connection, "POST", "/Users", Some(&user("light")));
    assert_eq!(created.status, 201, "{:?}", created.json);
}

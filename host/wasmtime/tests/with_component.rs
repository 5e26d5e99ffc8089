//! The host with the real component: direct calls, persistence, the guest time limit and the
//! HTTP server's limits. Needs the built component (`make build`), like `tests/`.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use idplex_host::{ComponentSource, Host, HostConfig, Request, Runtime, sha256_hex};

const ADMIN_TOKEN: &str = "idplex_admin_host-test";

fn component_path() -> PathBuf {
    let path = std::env::var_os("IDPLEX_COMPONENT_WASM").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/release/idplex_component.wasm")
    });
    assert!(path.is_file(), "{} is missing: run `make build` first", path.display());
    path
}

fn runtime() -> Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::load(ComponentSource::Path(component_path())).expect("component loads")).clone()
}

fn open_host(runtime: Runtime, data: &Path) -> Host {
    Host::open(runtime, HostConfig::new(data, sha256_hex(ADMIN_TOKEN))).expect("host opens")
}

fn request(method: &str, path: &str, body: &str) -> Request {
    Request {
        method: method.to_owned(),
        path_with_query: path.to_owned(),
        headers: vec![
            ("host".to_owned(), "idplex.test".to_owned()),
            ("authorization".to_owned(), format!("Bearer {ADMIN_TOKEN}")),
            ("content-type".to_owned(), "application/json".to_owned()),
        ],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn handle_serves_the_console_without_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = open_host(runtime(), dir.path());
    let response = host.handle(request("GET", "/", ""));
    assert_eq!(response.status, 200);
    assert!(!response.body.is_empty());
}

#[test]
fn connections_persist_across_reopening_the_data_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let host = open_host(runtime(), dir.path());
        let created = host.handle(request("POST", "/admin/api/v1/connections", r#"{"name":"Okta"}"#));
        assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    }
    let host = open_host(runtime(), dir.path());
    let listed = host.handle(request("GET", "/admin/api/v1/connections", ""));
    assert_eq!(listed.status, 200);
    assert!(String::from_utf8_lossy(&listed.body).contains("Okta"));
}

#[test]
fn guest_out_of_time_gets_503_naming_the_time_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = open_host(runtime().with_guest_time_limit(Duration::ZERO), dir.path());
    let response = host.handle(request("GET", "/admin/api/v1/connections", ""));
    assert_eq!(response.status, 503);
    assert!(response.headers.contains(&("retry-after".to_owned(), "1".to_owned())));
    assert_eq!(
        String::from_utf8(response.body).expect("utf8"),
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"503","detail":"the request exceeded the guest time limit"}"#
    );
}

#[test]
fn guest_past_its_memory_limit_gets_500_naming_it_and_the_next_call_is_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = open_host(runtime().with_guest_memory_limit(8 << 20), dir.path());
    // The body alone, copied into guest memory, is past the limit.
    let heavy = format!(r#"{{"name":"{}"}}"#, "x".repeat(9 << 20));
    let response = host.handle(request("POST", "/admin/api/v1/connections", &heavy));
    assert_eq!(response.status, 500);
    assert_eq!(
        String::from_utf8(response.body).expect("utf8"),
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"the request exceeded the guest memory limit"}"#
    );
    let created = host.handle(request("POST", "/admin/api/v1/connections", r#"{"name":"Light"}"#));
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
}

#[test]
fn time_waiting_on_a_slow_store_is_not_guest_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limit = Duration::from_millis(500);
    let mut config = HostConfig::new(dir.path(), sha256_hex(ADMIN_TOKEN));
    // Every store call waits up to 400 ms (seeded: the same waits each run), no faults.
    config.store_faults = Some("seed=3,before=0,after=0,delay-ms=400".parse().expect("fault spec"));
    let host = Host::open(runtime().with_guest_time_limit(limit), config).expect("host opens");
    let started = std::time::Instant::now();
    let created = host.handle(request("POST", "/admin/api/v1/connections", r#"{"name":"Slow store"}"#));
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert!(started.elapsed() > limit, "the store calls took longer than the guest time limit");
}

/// Sends one raw HTTP/1.1 request and returns the whole response text.
fn raw_http(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    stream.write_all(head.as_bytes()).expect("write head");
    // The server may answer (and close) before reading a body it rejects.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[test]
fn serve_answers_limits_bodies_and_stops_on_shutdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = HostConfig::new(dir.path(), sha256_hex(ADMIN_TOKEN));
    config.max_body_bytes = 1024;
    let host = Arc::new(Host::open(runtime(), config).expect("host opens"));

    let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
    let listener = tokio.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio.spawn(idplex_host::serve(host, listener, async move {
        let _ = stopped.await;
    }));

    let ok = raw_http(addr, "GET / HTTP/1.1\r\nHost: idplex.test\r\nConnection: close\r\n\r\n", b"");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");

    let big = vec![b'x'; 2048];
    let head = format!(
        "POST /admin/api/v1/connections HTTP/1.1\r\nHost: idplex.test\r\n\
         Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        big.len()
    );
    let rejected = raw_http(addr, &head, &big);
    assert!(rejected.starts_with("HTTP/1.1 413"), "{rejected}");
    assert!(rejected.contains(r#""status":"413""#), "{rejected}");

    let _ = stop.send(());
    tokio.block_on(server).expect("server task").expect("serve returns Ok");
    assert!(TcpStream::connect(addr).is_err(), "the listener is closed after shutdown");
}

#[test]
fn check_of_a_fresh_store_finds_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = open_host(runtime(), dir.path());
    let created = host.handle(request("POST", "/admin/api/v1/connections", "{}"));
    assert_eq!(created.status, 201);
    let options = idplex_host::maintenance::CheckOptions { repair: false, now_millis: None };
    let outcome = host.check(options).expect("check runs");
    let report = outcome.report;
    assert!(outcome.peak_memory_bytes > 0, "the host measures guest memory");
    assert!(report.unfinished.is_empty(), "{:?}", report.unfinished);
    assert_eq!(report.connections, 1);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
}

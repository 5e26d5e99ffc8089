//! Harness for the end-to-end tests: the real component, run by the real wasmtime host
//! (`idplex-host`), serving real HTTP on `127.0.0.1:0` over a real SQLite store in a
//! temporary directory.
//!
//! The component must have been built first (`make build`, which runs
//! `cargo build --release --target wasm32-wasip2 -p idplex-component`).

pub mod create_load;
pub mod full_disk;
pub mod hostile;
pub mod raw_http;
pub mod replay;
pub mod spin;
pub mod sqlite_lock;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use idplex_host::{ComponentSource, Host, HostConfig, Runtime, sha256_hex};
use serde_json::{Value, json};

pub mod process;
pub mod server_thread;

use server_thread::ServerThread;
pub mod redis;

/// The admin token every test server is configured with.
pub const ADMIN_TOKEN: &str = "idplex_admin_e2e-test-token";

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The built component, or a panic that says how to build it.
pub fn component_path() -> PathBuf {
    let path = std::env::var_os("IDPLEX_COMPONENT_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/wasm32-wasip2/release/idplex_component.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run `make build` (cargo build --release --target wasm32-wasip2 -p idplex-component) first",
        path.display()
    );
    path
}

/// The compiled component, shared by every server of the test process.
pub fn runtime() -> Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::load(ComponentSource::Path(component_path())).expect("the component loads")).clone()
}

/// A running `idplex` server.
pub struct Server {
    /// Its origin, e.g. `http://127.0.0.1:34567`.
    pub url: String,
    thread: ServerThread,
}

impl Server {
    /// Starts a server over the data directory `data`.
    pub fn start(data: &Path) -> Server {
        Self::start_on(data, idplex_host::StoreSpec::Sqlite)
    }

    /// Starts a server over `data` with its bucket on the key-value store `store`.
    pub fn start_on(data: &Path, store: idplex_host::StoreSpec) -> Server {
        let mut config = HostConfig::new(data, sha256_hex(ADMIN_TOKEN));
        config.store = store;
        Self::start_with(config)
    }

    /// Starts a server with a full host configuration.
    pub fn start_with(config: HostConfig) -> Server {
        Self::start_with_runtime(runtime(), config)
    }

    /// Starts a server with a full host configuration on `runtime` (e.g. the shared one with
    /// other guest limits).
    pub fn start_with_runtime(runtime: Runtime, config: HostConfig) -> Server {
        let host = std::sync::Arc::new(Host::open(runtime, config).expect("the host opens its store"));
        let thread = ServerThread::spawn(move |listener, shutdown| async move {
            idplex_host::serve(host, listener, shutdown).await.expect("serve");
        })
        .expect("server starts");
        Server { url: thread.url.clone(), thread }
    }

    /// Stops the server and waits until it has shut down.
    pub fn stop(self) {
        self.thread.stop();
    }

    /// A client for this server.
    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when empty or not JSON).
    pub json: Value,
}

impl Reply {
    /// The sorted `userName`s of an admin API End Users page.
    pub fn user_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self.json["users"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| u["userName"].as_str().unwrap_or_default().to_owned())
            .collect();
        out.sort();
        out
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A connection's SCIM credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The connection id.
    pub id: String,
    /// The SCIM base URL.
    pub scim_url: String,
    /// The bearer token.
    pub token: String,
}

impl Credentials {
    /// The same credentials against another server (e.g. after a restart on a new port).
    pub fn on(&self, server: &Server) -> Credentials {
        self.on_url(&server.url)
    }

    /// The same credentials against the server at origin `url`.
    pub fn on_url(&self, url: &str) -> Credentials {
        Credentials { scim_url: format!("{url}/scim/v2/{}", self.id), ..self.clone() }
    }
}

/// An HTTP client bound to one server.
#[derive(Clone)]
pub struct Client {
    url: String,
    http: reqwest::blocking::Client,
}

impl Client {
    /// A client for the server at `url`.
    pub fn new(url: &str) -> Client {
        Client { url: url.to_owned(), http: reqwest::blocking::Client::new() }
    }

    /// Sends a request, or `None` when the server cannot be reached (it was killed).
    pub fn try_send(&self, method: &str, url: &str, token: Option<&str>, body: Option<&Value>) -> Option<Reply> {
        self.exchange(method, url, token, body, &[]).ok()
    }

    /// Sends a request; `token` becomes a bearer token, `body` JSON. Panics when the server
    /// cannot be reached.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.exchange(method, url, token, body, headers).unwrap_or_else(|e| panic!("the server answers: {e}"))
    }

    fn exchange(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, reqwest::Error> {
        let url = if url.starts_with("http") { url.to_owned() } else { format!("{}{url}", self.url) };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self.http.request(method, url).timeout(Duration::from_secs(60));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/scim+json").body(body.to_string());
        }
        let response = request.send()?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let bytes = response.bytes()?;
        Ok(Reply { status, headers, json: serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }

    /// Every userName of connection `c`, page by page. Pages are directory positions: a page
    /// is short by the ids it holds whose create never committed (readers skip them).
    pub fn user_names(&self, c: &Credentials) -> Vec<String> {
        const COUNT: usize = 500;
        let mut names = Vec::new();
        let mut start = 1;
        loop {
            let page = self.scim(c, "GET", &format!("/Users?startIndex={start}&count={COUNT}"), None);
            assert_eq!(page.status, 200, "{:?}", page.json);
            let resources = page.json["Resources"].as_array().cloned().unwrap_or_default();
            names.extend(resources.iter().filter_map(|u| u["userName"].as_str().map(str::to_owned)));
            start += COUNT;
            if page.json["totalResults"].as_u64().is_none_or(|total| start as u64 > total) {
                return names;
            }
        }
    }

    /// An admin API call.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.send(method, &format!("/admin/api/v1{path}"), Some(ADMIN_TOKEN), body, &[])
    }

    /// Creates a connection; returns its credentials.
    pub fn create_connection(&self, name: Option<&str>) -> Credentials {
        let body = name.map_or(json!({}), |n| json!({"name": n}));
        let reply = self.admin("POST", "/connections", Some(&body));
        assert_eq!(reply.status, 201, "{:?}", reply.json);
        Credentials {
            id: reply.json["id"].as_str().expect("id").to_owned(),
            scim_url: reply.json["scimUrl"].as_str().expect("scimUrl").to_owned(),
            token: reply.json["token"].as_str().expect("token").to_owned(),
        }
    }

    /// A SCIM call with the connection's own URL and token.
    pub fn scim(&self, c: &Credentials, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.send(method, &format!("{}{path}", c.scim_url), Some(&c.token), body, &[])
    }
}

/// A SCIM core User body.
pub fn user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": user_name},
        "emails": [{"value": format!("{user_name}@example.com"), "type": "work", "primary": true}],
        "active": true
    })
}

/// Runs `request(i)` for `0..n` on `n` threads released at once; returns the results in order.
pub fn concurrently<T: Send>(n: usize, request: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (request, barrier) = (&request, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    request(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("request thread")).collect()
    })
}

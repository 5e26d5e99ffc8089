//! Test harness: drives [`crate::handle`] with requests against an in-memory store.

use std::rc::Rc;

use serde_json::Value;

use crate::App;
use crate::env::TestEnv;
use crate::http::{Request, Response};
use crate::store::clock::SystemClock;
use crate::store::faulty::{Faults, FaultyStore};
use crate::store::memory::MemoryStore;
use crate::store::{ExclusiveCreate, KvStore, Tolerant};

std::thread_local! {
    /// Faults every [`Harness::new`] on this thread injects (see [`with_faults`]).
    static FAULTS: std::cell::Cell<Option<Faults>> = const { std::cell::Cell::new(None) };
}

/// Runs `scenario` with every harness it makes serving requests through a store with `faults`
/// (the store's contents stay readable, unfaulted, through [`Harness::store`]).
pub fn with_faults(faults: Faults, scenario: fn()) {
    FAULTS.with(|f| f.set(Some(faults)));
    let outcome = std::panic::catch_unwind(scenario);
    FAULTS.with(|f| f.set(None));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `text` percent-encoded for a query string or a path segment (every byte but `A–Z a–z 0–9
/// - . _ ~`).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The admin token of every harness.
pub const ADMIN_TOKEN: &str = "admin-secret";

/// An in-memory product. Each request gets a fresh [`ExclusiveCreate`] over the bucket, as
/// each request gets a fresh instance in a host.
pub struct Harness {
    /// The bucket, as it really is.
    pub store: MemoryStore,
    /// What requests see of the bucket (faulty when faults are injected).
    request_store: Rc<dyn KvStore>,
    /// Clock, randomness, configuration.
    pub env: TestEnv,
}

/// A connection created through the admin API.
pub struct TestConnection {
    /// Its id.
    pub id: String,
    /// Its token.
    pub token: String,
}

impl Harness {
    /// A fresh product with [`ADMIN_TOKEN`] configured.
    pub fn new() -> Self {
        let store = MemoryStore::default();
        let request_store: Rc<dyn KvStore> = match FAULTS.with(std::cell::Cell::get) {
            Some(faults) => Rc::new(Tolerant::new(FaultyStore::new(store.clone(), faults))),
            None => Rc::new(store.clone()),
        };
        Harness { store, request_store, env: TestEnv::with_admin_token(ADMIN_TOKEN) }
    }

    /// Sends a request with headers.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Response {
        let mut all: Vec<(String, String)> = vec![("host".into(), "idplex.test".into())];
        all.extend(headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
        let body = body.map(|b| serde_json::to_vec(&b).unwrap_or_default()).unwrap_or_default();
        let store = ExclusiveCreate::new(self.request_store.clone(), Rc::new(SystemClock));
        crate::handle(&App::new(&store, &self.env), &Request::new(method, path, all, body))
    }

    /// An admin API request.
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.send(method, &format!("/admin/api/v1{path}"), &[("authorization", &auth)], body)
    }

    /// A SCIM request on a connection.
    pub fn scim(&self, c: &TestConnection, method: &str, path: &str, body: Option<Value>) -> Response {
        let auth = format!("Bearer {}", c.token);
        self.send(method, &format!("/scim/v2/{}{path}", c.id), &[("authorization", &auth)], body)
    }

    /// Creates a connection.
    pub fn connection(&self, name: &str) -> TestConnection {
        let body = self.admin("POST", "/connections", Some(serde_json::json!({"name": name}))).body_json();
        TestConnection {
            id: body["id"].as_str().unwrap_or_default().to_owned(),
            token: body["token"].as_str().unwrap_or_default().to_owned(),
        }
    }
}

impl Drop for Harness {
    /// Every creation ticket a request took was given back (no request of a single-threaded
    /// test can crash between taking and giving back).
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let left: Vec<String> =
            self.store.keys().into_iter().filter(|k| crate::storage::keys::is_creation_ticket(k)).collect();
        assert!(left.is_empty(), "creation tickets left behind: {left:?}");
    }
}

//! Test harness: drives [`crate::handle`] with requests against an in-memory store.

use serde_json::Value;

use crate::App;
use crate::env::TestEnv;
use crate::http::{Request, Response};
use crate::store::faulty::{Faults, FaultyStore};
use crate::store::memory::MemoryStore;
use crate::store::{KvStore, Tolerant};

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

/// The admin token of every harness.
pub const ADMIN_TOKEN: &str = "admin-secret";

/// An in-memory product.
pub struct Harness {
    /// The bucket, as it really is.
    pub store: MemoryStore,
    /// What requests see of the bucket when faults are injected.
    faulty: Option<Tolerant<FaultyStore<MemoryStore>>>,
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
        let faulty =
            FAULTS.with(std::cell::Cell::get).map(|faults| Tolerant::new(FaultyStore::new(store.clone(), faults)));
        Harness { store, faulty, env: TestEnv::with_admin_token(ADMIN_TOKEN) }
    }

    /// The store requests go through (faulty when faults are injected).
    pub fn request_store(&self) -> &dyn KvStore {
        match &self.faulty {
            Some(faulty) => faulty,
            None => &self.store,
        }
    }

    /// Sends a request with headers.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Response {
        let mut all: Vec<(String, String)> = vec![("host".into(), "idplex.test".into())];
        all.extend(headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
        let body = body.map(|b| serde_json::to_vec(&b).unwrap_or_default()).unwrap_or_default();
        crate::handle(&App::new(self.request_store(), &self.env), &Request::new(method, path, all, body))
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

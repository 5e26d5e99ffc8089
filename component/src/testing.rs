//! Test harness: drives [`crate::handle`] with requests against an in-memory store.

use serde_json::Value;

use crate::App;
use crate::env::TestEnv;
use crate::http::{Request, Response};
use crate::store::memory::MemoryStore;

/// The admin token of every harness.
pub const ADMIN_TOKEN: &str = "admin-secret";

/// An in-memory product.
pub struct Harness {
    /// The bucket.
    pub store: MemoryStore,
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
        Harness { store: MemoryStore::default(), env: TestEnv::with_admin_token(ADMIN_TOKEN) }
    }

    /// Sends a request with headers.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Response {
        let mut all: Vec<(String, String)> = vec![("host".into(), "idplex.test".into())];
        all.extend(headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
        let body = body.map(|b| serde_json::to_vec(&b).unwrap_or_default()).unwrap_or_default();
        crate::handle(&App::new(&self.store, &self.env), &Request::new(method, path, all, body))
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

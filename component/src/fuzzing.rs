//! What the fuzz targets in `fuzz/` drive (feature `fuzzing`, native builds only): the whole
//! product over an in-memory store with one connection already created, so that fuzzed
//! requests reach the SCIM code instead of stopping at authentication.
//!
//! Not part of the product's API: the filter, PATCH and normalisation entry points the other
//! targets use are public already (`scim::filter`, `scim::patch`, `scim::normalize`).

use std::rc::Rc;

use crate::App;
use crate::env::TestEnv;
use crate::http::{Request, Response};
use crate::store::clock::SystemClock;
use crate::store::memory::MemoryStore;
use crate::store::{ExclusiveCreate, KvStore};

/// The admin token of every [`Product`].
pub const ADMIN_TOKEN: &str = "fuzz-admin-secret";

/// An in-memory product with one connection, as the fuzz targets see it.
pub struct Product {
    store: MemoryStore,
    env: TestEnv,
    /// The id of the connection created at set-up.
    pub connection_id: String,
    /// Its bearer token.
    pub token: String,
}

impl Product {
    /// A fresh product with [`ADMIN_TOKEN`] configured and one connection created through the
    /// admin API; `None` if the admin API did not create it.
    pub fn new() -> Option<Self> {
        let mut product = Product {
            store: MemoryStore::default(),
            env: TestEnv::with_admin_token(ADMIN_TOKEN),
            connection_id: String::new(),
            token: String::new(),
        };
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let created = product.send(
            "POST",
            &format!("{}/connections", crate::admin::PREFIX),
            &[("authorization", &auth), ("content-type", "application/json")],
            br#"{"name":"fuzz"}"#,
        );
        let body: serde_json::Value = serde_json::from_slice(&created.body).ok()?;
        product.connection_id = body["id"].as_str()?.to_owned();
        product.token = body["token"].as_str()?.to_owned();
        Some(product)
    }

    /// Sends one request, as a host would: a fresh [`ExclusiveCreate`] over the bucket.
    pub fn send(&self, method: &str, path_with_query: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut all: Vec<(String, String)> = vec![("host".into(), "idplex.test".into())];
        all.extend(headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
        let bucket: Rc<dyn KvStore> = Rc::new(self.store.clone());
        let store = ExclusiveCreate::new(bucket, Rc::new(SystemClock));
        crate::handle(&App::new(&store, &self.env), &Request::new(method, path_with_query, all, body.to_vec()))
    }

    /// Creation tickets left in the bucket (none once every request has returned).
    pub fn creation_tickets(&self) -> Vec<String> {
        self.store.keys().into_iter().filter(|k| crate::storage::keys::is_creation_ticket(k)).collect()
    }
}

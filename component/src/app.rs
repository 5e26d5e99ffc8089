//! `App`: the store and platform services one call into the component works with.

use crate::env::{CONFIG_PUBLIC_BASE_URL, Env};
use crate::store::KvStore;

/// Everything a request handler needs, borrowed for the duration of one call.
#[derive(Clone, Copy)]
pub struct App<'a> {
    /// The key-value bucket.
    pub store: &'a dyn KvStore,
    /// Time, randomness, configuration.
    pub env: &'a dyn Env,
}

impl<'a> App<'a> {
    /// An app over `store` and `env`.
    pub fn new(store: &'a dyn KvStore, env: &'a dyn Env) -> Self {
        App { store, env }
    }

    /// The current time in milliseconds since the epoch.
    pub fn now(&self) -> i64 {
        self.env.now().millis()
    }

    /// The configured public origin without a trailing slash, if any.
    pub fn public_base_url(&self) -> Option<String> {
        self.env
            .config(CONFIG_PUBLIC_BASE_URL)
            .map(|url| url.trim().trim_end_matches('/').to_owned())
            .filter(|url| !url.is_empty())
    }
}

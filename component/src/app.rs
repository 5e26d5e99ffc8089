//! `App`: the store and platform services one call into the component works with.

use crate::activity::{Event, Journal};
use crate::env::{CONFIG_PUBLIC_BASE_URL, Env};
use crate::store::KvStore;

/// Everything a request handler needs, borrowed for the duration of one call.
#[derive(Clone, Copy)]
pub struct App<'a> {
    /// The key-value bucket.
    pub store: &'a dyn KvStore,
    /// Time, randomness, configuration.
    pub env: &'a dyn Env,
    /// Where the audit events of a SCIM request are collected ([`crate::activity`]); none
    /// outside one.
    pub journal: Option<&'a Journal>,
}

impl<'a> App<'a> {
    /// An app over `store` and `env`.
    pub fn new(store: &'a dyn KvStore, env: &'a dyn Env) -> Self {
        App { store, env, journal: None }
    }

    /// This app collecting audit events in `journal`.
    pub fn with_journal<'b>(&self, journal: &'b Journal) -> App<'b>
    where
        'a: 'b,
    {
        App { store: self.store, env: self.env, journal: Some(journal) }
    }

    /// Notes an audit event in the request's journal (dropped outside a SCIM request).
    pub fn record(&self, event: Event) {
        if let Some(journal) = self.journal {
            journal.push(event);
        }
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

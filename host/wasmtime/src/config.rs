//! `wasi:config/store@0.2.0-draft-2024-09-27` served from a fixed map built at start-up.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::{HasData, Linker};

use crate::bindings::wasi::config::store;

/// Configuration key: lowercase hex SHA-256 of the admin token.
pub const ADMIN_TOKEN_SHA256: &str = "admin_token_sha256";

/// Configuration key: the externally visible origin, e.g. `https://idp.example.com`.
pub const PUBLIC_BASE_URL: &str = "public_base_url";

/// Configuration key: `true` when the store's `list-keys` returns the key space a page at a
/// time (this host's own SQLite and Redis stores, not its doubles of Spin's providers); the
/// component then ends the reclamation of a deleted connection with a paged sweep of the key
/// space.
pub const LIST_KEYS_PAGES: &str = "list_keys_pages";

/// The component's configuration: immutable, shared by all requests of a host.
#[derive(Clone, Default)]
pub struct ConfigCtx {
    values: Arc<BTreeMap<String, String>>,
}

impl ConfigCtx {
    /// A configuration holding exactly `values`.
    pub fn new(values: BTreeMap<String, String>) -> ConfigCtx {
        ConfigCtx { values: Arc::new(values) }
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// One host call's view of the configuration.
pub struct ConfigView<'a> {
    /// The host's configuration.
    pub ctx: &'a ConfigCtx,
}

/// Adds `wasi:config/store` to `linker`, reaching the view through `view`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> ConfigView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, HasConfig>(linker, view)
}

struct HasConfig;

impl HasData for HasConfig {
    type Data<'a> = ConfigView<'a>;
}

impl store::Host for ConfigView<'_> {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, store::Error>> {
        Ok(Ok(self.ctx.get(&key).map(str::to_owned)))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, store::Error>> {
        let all = self.ctx.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok(Ok(all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::Host as _;

    fn ctx() -> ConfigCtx {
        ConfigCtx::new(BTreeMap::from([
            (ADMIN_TOKEN_SHA256.to_owned(), "ab".repeat(32)),
            (PUBLIC_BASE_URL.to_owned(), "https://idp.example.com".to_owned()),
        ]))
    }

    #[test]
    fn get_returns_set_values_and_none_for_unknown_keys() {
        let ctx = ctx();
        let mut view = ConfigView { ctx: &ctx };
        let url = view.get(PUBLIC_BASE_URL.to_owned()).expect("no trap").expect("no error");
        assert_eq!(url.as_deref(), Some("https://idp.example.com"));
        let missing = view.get("admin_token".to_owned()).expect("no trap").expect("no error");
        assert_eq!(missing, None);
    }

    #[test]
    fn get_all_lists_every_pair() {
        let ctx = ctx();
        let mut view = ConfigView { ctx: &ctx };
        let all = view.get_all().expect("no trap").expect("no error");
        assert_eq!(all.len(), 2);
        assert!(all.iter().any(|(k, _)| k == ADMIN_TOKEN_SHA256));
    }
}

//! What the product needs from its platform besides storage: time, randomness, configuration.
//!
//! Implemented over WASI in the `bindings` module and by [`TestEnv`] for native tests.

use crate::time::Timestamp;

/// Configuration key: the admin token in clear text.
pub const CONFIG_ADMIN_TOKEN: &str = "admin_token";
/// Configuration key: lowercase hex SHA-256 of the admin token.
pub const CONFIG_ADMIN_TOKEN_SHA256: &str = "admin_token_sha256";
/// Configuration key: the public origin SCIM URLs are built from.
pub const CONFIG_PUBLIC_BASE_URL: &str = "public_base_url";

/// Platform services for one call into the component.
pub trait Env {
    /// The current wall-clock time.
    fn now(&self) -> Timestamp;
    /// Fills `buf` with bytes from a cryptographically secure random source.
    fn fill_random(&self, buf: &mut [u8]);
    /// A configuration value; `None` when unset or when the configuration source fails.
    fn config(&self, key: &str) -> Option<String>;
}

/// A deterministic [`Env`] for native tests: a settable clock, a seeded generator (NOT
/// cryptographically secure) and an in-memory configuration.
#[cfg(any(test, not(target_arch = "wasm32")))]
pub struct TestEnv {
    /// Milliseconds since the Unix epoch returned by `now`, advanced by 1 ms per call.
    pub millis: std::cell::Cell<i64>,
    /// State of the xorshift generator.
    pub seed: std::cell::Cell<u64>,
    /// Configuration values.
    pub config: std::collections::HashMap<String, String>,
}

#[cfg(any(test, not(target_arch = "wasm32")))]
impl Default for TestEnv {
    fn default() -> Self {
        TestEnv {
            millis: std::cell::Cell::new(1_767_225_600_000), // 2026-01-01T00:00:00Z
            seed: std::cell::Cell::new(0x9E37_79B9_7F4A_7C15),
            config: std::collections::HashMap::new(),
        }
    }
}

#[cfg(any(test, not(target_arch = "wasm32")))]
impl TestEnv {
    /// A test environment whose admin token is `token`.
    pub fn with_admin_token(token: &str) -> Self {
        let mut env = TestEnv::default();
        env.config.insert(CONFIG_ADMIN_TOKEN.to_owned(), token.to_owned());
        env
    }
}

#[cfg(any(test, not(target_arch = "wasm32")))]
impl Env for TestEnv {
    fn now(&self) -> Timestamp {
        let now = self.millis.get();
        self.millis.set(now + 1);
        Timestamp::from_millis(now)
    }

    fn fill_random(&self, buf: &mut [u8]) {
        for byte in buf {
            let mut x = self.seed.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.seed.set(x);
            *byte = (x >> 24) as u8;
        }
    }

    fn config(&self, key: &str) -> Option<String> {
        self.config.get(key).cloned()
    }
}

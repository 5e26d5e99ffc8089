//! A [`Host`]: a [`Runtime`] bound to one opened store and one configuration.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::bindings::exports::idplex::scim::handler::{Request, Response};
use crate::bindings::exports::idplex::scim::maintenance::CheckOptions;
use crate::config::{self, ConfigCtx};
use crate::error_response::HostFailure;
use crate::kv::wasi_impl::KeyValueCtx;
use crate::kv::{self, StoreSpec, StoreTime};
use crate::maintenance::CheckOutcome;
use crate::request_state::RequestState;
use crate::runtime::{MAX_INSTANCES, Runtime};

/// Default for [`HostConfig::max_concurrency`].
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

/// Default for [`HostConfig::max_body_bytes`]: 10 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 << 20;

/// How a [`Host`] runs: where its data lives and what the component is told.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Directory for the store (and the admin token hash, see [`crate::admin_token`]);
    /// created if missing.
    pub data_dir: PathBuf,
    /// Lowercase hex SHA-256 of the admin token, passed to the component as
    /// `admin_token_sha256`.
    pub admin_token_sha256: String,
    /// The externally visible origin (e.g. `https://idp.example.com`), passed as
    /// `public_base_url`; when `None` the component derives URLs from the `host` header.
    pub public_base_url: Option<String>,
    /// Most requests handled at once by [`crate::serve`] (at most [`MAX_INSTANCES`]).
    pub max_concurrency: usize,
    /// Largest accepted request body; larger ones get 413.
    pub max_body_bytes: usize,
    /// Which key-value backend holds the component's bucket.
    pub store: StoreSpec,
    /// Faults to inject into every store call (tests only; `None` in production).
    pub store_faults: Option<kv::FaultSpec>,
}

impl HostConfig {
    /// A configuration with default limits, the SQLite store and no public URL.
    pub fn new(data_dir: impl Into<PathBuf>, admin_token_sha256: impl Into<String>) -> HostConfig {
        HostConfig {
            data_dir: data_dir.into(),
            admin_token_sha256: admin_token_sha256.into(),
            public_base_url: None,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            store: StoreSpec::default(),
            store_faults: None,
        }
    }
}

/// Why a [`HostConfig`] was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostConfigError {
    /// `admin_token_sha256` is not 64 hex digits.
    #[error("admin_token_sha256 must be 64 hexadecimal digits (a SHA-256)")]
    BadAdminTokenHash,
    /// `public_base_url` is not an http(s) origin.
    #[error("the public URL must start with http:// or https://, got `{0}`")]
    BadPublicUrl(String),
    /// `max_concurrency` is 0 or above what the runtime can hold.
    #[error("max concurrency must be between 1 and {MAX_INSTANCES}, got {0}")]
    BadConcurrency(usize),
    /// `max_body_bytes` is 0.
    #[error("the maximum body size must be at least 1 byte")]
    BadBodyLimit,
}

/// A runtime bound to an opened key-value store and a configuration; serves requests.
pub struct Host {
    runtime: Runtime,
    kv: KeyValueCtx,
    config: ConfigCtx,
    permits: Arc<Semaphore>,
    max_body_bytes: usize,
}

impl Host {
    /// Validates `config`, opens its store (creating the data directory if missing) and binds
    /// it to `runtime`. Several hosts may share one runtime.
    pub fn open(runtime: Runtime, config: HostConfig) -> anyhow::Result<Host> {
        let values = component_config(&config)?;
        if config.max_concurrency == 0 || config.max_concurrency > MAX_INSTANCES {
            return Err(HostConfigError::BadConcurrency(config.max_concurrency).into());
        }
        if config.max_body_bytes == 0 {
            return Err(HostConfigError::BadBodyLimit.into());
        }
        let mut backend = kv::open_backend(&config.store, &config.data_dir)?;
        if let Some(spec) = config.store_faults {
            tracing::warn!("injecting store faults ({spec:?}): for testing only");
            backend = std::sync::Arc::new(kv::FaultyBackend::new(backend, spec));
        }
        Ok(Host {
            runtime,
            kv: KeyValueCtx::new(backend),
            config: ConfigCtx::new(values),
            permits: Arc::new(Semaphore::new(config.max_concurrency)),
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// Calls the component's handler directly (no HTTP), blocking.
    ///
    /// A fresh instance serves the call; its store calls share [`kv::STORE_TIME_BUDGET`]. If
    /// the guest traps, exceeds the time limit or cannot be instantiated, the failure is logged
    /// and a 500 SCIM error response returned.
    pub fn handle(&self, request: Request) -> Response {
        let store_time = StoreTime::with_budget(Some(kv::STORE_TIME_BUDGET));
        let state = RequestState::new(self.kv.clone(), self.config.clone(), store_time);
        match self.runtime.call_handler(state, &request) {
            Ok(response) => response,
            Err(e) => {
                if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
                    tracing::error!("component exceeded its time limit");
                } else {
                    tracing::error!(error = ?e, "component failed");
                }
                HostFailure::Internal.response()
            }
        }
    }

    /// Runs the component's whole-store consistency check (`idplex:scim/maintenance.check`),
    /// repairing what it finds when `options.repair` is set. Blocking; walks every key, so it
    /// is for operators, never for the request path. Errors when the store fails or the guest
    /// traps.
    pub fn check(&self, options: CheckOptions) -> anyhow::Result<CheckOutcome> {
        let state = RequestState::new(self.kv.clone(), self.config.clone(), StoreTime::with_budget(None));
        let started = std::time::Instant::now();
        match self.runtime.call_check(state, &options) {
            Ok((Ok(report), peak_memory_bytes)) => {
                Ok(CheckOutcome { report, peak_memory_bytes, elapsed: started.elapsed() })
            }
            Ok((Err(message), _)) => anyhow::bail!("the consistency check failed: {message}"),
            Err(e) => Err(anyhow::Error::from(e).context("the consistency check trapped")),
        }
    }

    /// Permits bounding concurrent requests in [`crate::serve`].
    pub(crate) fn permits(&self) -> &Arc<Semaphore> {
        &self.permits
    }

    /// Largest accepted request body.
    pub(crate) fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
}

/// The `wasi:config` values the component receives.
fn component_config(config: &HostConfig) -> Result<BTreeMap<String, String>, HostConfigError> {
    let hash = config.admin_token_sha256.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HostConfigError::BadAdminTokenHash);
    }
    let mut values = BTreeMap::from([(config::ADMIN_TOKEN_SHA256.to_owned(), hash)]);
    if let Some(url) = config.public_base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(HostConfigError::BadPublicUrl(url.to_owned()));
        }
        values.insert(config::PUBLIC_BASE_URL.to_owned(), url.trim_end_matches('/').to_owned());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> HostConfig {
        HostConfig::new("/nonexistent", "AB".repeat(32))
    }

    #[test]
    fn admin_hash_is_lowercased() {
        let values = component_config(&config()).expect("valid");
        assert_eq!(values[config::ADMIN_TOKEN_SHA256], "ab".repeat(32));
        assert!(!values.contains_key(config::PUBLIC_BASE_URL));
    }

    #[test]
    fn malformed_admin_hash_is_rejected() {
        let mut c = config();
        c.admin_token_sha256 = "not-a-hash".into();
        assert_eq!(component_config(&c), Err(HostConfigError::BadAdminTokenHash));
    }

    #[test]
    fn public_url_loses_trailing_slash() {
        let mut c = config();
        c.public_base_url = Some("https://idp.example.com/".into());
        let values = component_config(&c).expect("valid");
        assert_eq!(values[config::PUBLIC_BASE_URL], "https://idp.example.com");
    }

    #[test]
    fn public_url_without_scheme_is_rejected() {
        let mut c = config();
        c.public_base_url = Some("idp.example.com".into());
        assert!(matches!(component_config(&c), Err(HostConfigError::BadPublicUrl(_))));
    }

    #[test]
    fn empty_public_url_counts_as_absent() {
        let mut c = config();
        c.public_base_url = Some("  ".into());
        assert!(!component_config(&c).expect("valid").contains_key(config::PUBLIC_BASE_URL));
    }
}

//! A [`Host`]: a [`Runtime`] bound to one opened store and one configuration.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::bindings::exports::idplex::scim::handler::{Request, Response};
use crate::bindings::exports::idplex::scim::maintenance::{CheckOptions, ReclaimProgress};
use crate::body_budget::BodyBudget;
use crate::config::{self, ConfigCtx};
use crate::error_response::HostFailure;
use crate::kv::wasi_impl::KeyValueCtx;
use crate::kv::{self, StoreSpec, StoreTime};
use crate::maintenance::CheckOutcome;
use crate::request_state::RequestState;
use crate::runtime::{GuestMemoryLimitExceeded, MAX_INSTANCES, Runtime};

/// Default for [`HostConfig::max_concurrency`].
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

/// Default for [`HostConfig::max_body_bytes`]: 10 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 << 20;

/// Default for [`HostConfig::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Default for [`HostConfig::body_budget_bytes`]: 64 MiB.
pub const DEFAULT_BODY_BUDGET_BYTES: usize = 64 << 20;

/// Default for [`HostConfig::body_read_timeout`]: 30 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Default for [`HostConfig::body_idle_timeout`]: 10 s.
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Default for [`HostConfig::header_read_timeout`]: 30 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// Most connections open at once; past it a new connection is answered 503 with
    /// `Retry-After` and closed, without reading its request.
    pub max_connections: usize,
    /// Bytes all request bodies being read or served may hold together (at least
    /// `max_body_bytes`). A body waits briefly for room, then gets 503 with `Retry-After`.
    pub body_budget_bytes: usize,
    /// How long a client may take to send a whole request body (408 past it).
    pub body_read_timeout: Duration,
    /// How long a request body may stall between two pieces (408 past it).
    pub body_idle_timeout: Duration,
    /// How long a client may take to send a request head; also how long an idle keep-alive
    /// connection stays open.
    pub header_read_timeout: Duration,
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
            max_connections: DEFAULT_MAX_CONNECTIONS,
            body_budget_bytes: DEFAULT_BODY_BUDGET_BYTES,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            body_idle_timeout: DEFAULT_BODY_IDLE_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
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
    /// `body_budget_bytes` is below `max_body_bytes`: a body of the largest accepted size
    /// could never be read.
    #[error("the body budget ({budget} bytes) must be at least the maximum body size ({max_body} bytes)")]
    BadBodyBudget {
        /// The configured budget.
        budget: usize,
        /// The configured maximum body size.
        max_body: usize,
    },
    /// `max_connections` is 0.
    #[error("the maximum number of connections must be at least 1")]
    BadConnectionLimit,
    /// A timeout is zero.
    #[error("the {0} must be longer than zero")]
    ZeroTimeout(&'static str),
}

/// A runtime bound to an opened key-value store and a configuration; serves requests.
pub struct Host {
    runtime: Runtime,
    kv: KeyValueCtx,
    config: ConfigCtx,
    permits: Arc<Semaphore>,
    limits: ServerLimits,
    reclaimed: ReclaimTotals,
}

/// What [`Host::reclaim`] did since the host opened: steps that deleted something, and keys.
#[derive(Debug, Default)]
pub struct ReclaimTotals {
    /// Steps that deleted at least one key.
    pub steps: std::sync::atomic::AtomicU64,
    /// Keys deleted.
    pub keys: std::sync::atomic::AtomicU64,
}

/// The limits [`crate::serve`] applies to connections and request bodies, from
/// [`HostConfig`].
#[derive(Debug, Clone)]
pub(crate) struct ServerLimits {
    /// [`HostConfig::max_body_bytes`].
    pub(crate) max_body_bytes: usize,
    /// [`HostConfig::max_connections`].
    pub(crate) max_connections: usize,
    /// The budget shared by every body of this host ([`HostConfig::body_budget_bytes`]).
    pub(crate) body_budget: BodyBudget,
    /// [`HostConfig::body_read_timeout`].
    pub(crate) body_read_timeout: Duration,
    /// [`HostConfig::body_idle_timeout`].
    pub(crate) body_idle_timeout: Duration,
    /// [`HostConfig::header_read_timeout`].
    pub(crate) header_read_timeout: Duration,
}

impl Host {
    /// Validates `config`, opens its store (creating the data directory if missing) and binds
    /// it to `runtime`. Several hosts may share one runtime.
    pub fn open(runtime: Runtime, config: HostConfig) -> anyhow::Result<Host> {
        let values = component_config(&config)?;
        if config.max_concurrency == 0 || config.max_concurrency > MAX_INSTANCES {
            return Err(HostConfigError::BadConcurrency(config.max_concurrency).into());
        }
        let limits = server_limits(&config)?;
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
            limits,
            reclaimed: ReclaimTotals::default(),
        })
    }

    /// Calls the component's handler directly (no HTTP), blocking.
    ///
    /// A fresh instance serves the call; its store calls share [`kv::STORE_TIME_BUDGET`]. If
    /// the guest exceeds the guest time limit (503) or memory limit (500), traps or cannot be
    /// instantiated (500), the failure is logged, naming the limit, and a SCIM error response
    /// returned (see [`HostFailure`]).
    pub fn handle(&self, request: Request) -> Response {
        let store_time = StoreTime::with_budget(Some(kv::STORE_TIME_BUDGET));
        let state = RequestState::new(self.kv.clone(), self.config.clone(), store_time);
        match self.runtime.call_handler(state, &request) {
            Ok(response) => response,
            Err(e) => self.failure(&e).response(),
        }
    }

    /// Logs a failed call and says which failure it was.
    fn failure(&self, e: &wasmtime::Error) -> HostFailure {
        if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
            let limit_ms = self.runtime.guest_time_limit().as_millis();
            tracing::error!(limit_ms, "component exceeded the guest time limit");
            HostFailure::GuestTimeLimit
        } else if let Some(exceeded) = e.downcast_ref::<GuestMemoryLimitExceeded>() {
            tracing::error!(
                limit_bytes = exceeded.limit,
                wanted_bytes = exceeded.wanted,
                "component exceeded the guest memory limit"
            );
            HostFailure::GuestMemoryLimit
        } else {
            tracing::error!(error = ?e, "component failed");
            HostFailure::Internal
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

    /// Runs one bounded step of reclaiming deleted connections' data
    /// (`idplex:scim/maintenance.reclaim`): deletes about `budget` keys at most. Blocking.
    /// Errors when the store fails or the guest traps.
    pub fn reclaim(&self, budget: u32) -> anyhow::Result<ReclaimProgress> {
        let store_time = StoreTime::with_budget(Some(kv::STORE_TIME_BUDGET));
        let state = RequestState::new(self.kv.clone(), self.config.clone(), store_time);
        match self.runtime.call_reclaim(state, budget) {
            Ok(Ok(progress)) => {
                if progress.reclaimed_keys > 0 {
                    use std::sync::atomic::Ordering::Relaxed;
                    self.reclaimed.steps.fetch_add(1, Relaxed);
                    self.reclaimed.keys.fetch_add(progress.reclaimed_keys, Relaxed);
                }
                Ok(progress)
            }
            Ok(Err(message)) => anyhow::bail!("a reclamation step failed: {message}"),
            Err(e) => Err(anyhow::Error::from(e).context("a reclamation step trapped")),
        }
    }

    /// What [`Host::reclaim`] did since the host opened (for figures and tests).
    pub fn reclaimed(&self) -> &ReclaimTotals {
        &self.reclaimed
    }

    /// The component's typed `admin` export ([`crate::admin`]).
    pub fn admin(&self) -> crate::admin::Admin<'_> {
        crate::admin::Admin { host: self }
    }

    /// Calls the `admin` export on a fresh instance; a trap or a guest limit is an error.
    pub(crate) fn call_admin<R>(
        &self,
        f: impl FnOnce(
            &crate::bindings::exports::idplex::scim::admin::Guest,
            &mut wasmtime::Store<RequestState>,
        ) -> wasmtime::Result<R>,
    ) -> anyhow::Result<R> {
        let store_time = StoreTime::with_budget(Some(kv::STORE_TIME_BUDGET));
        let state = RequestState::new(self.kv.clone(), self.config.clone(), store_time);
        self.runtime.call_admin(state, f).map_err(|e| {
            let failure = self.failure(&e);
            anyhow::Error::from(e).context(format!("the admin call failed: {failure:?}"))
        })
    }

    /// Permits bounding concurrent requests in [`crate::serve`].
    pub(crate) fn permits(&self) -> &Arc<Semaphore> {
        &self.permits
    }

    /// The limits the HTTP server applies.
    pub(crate) fn limits(&self) -> &ServerLimits {
        &self.limits
    }
}

/// Checks the server limits of `config`.
fn server_limits(config: &HostConfig) -> Result<ServerLimits, HostConfigError> {
    if config.max_body_bytes == 0 {
        return Err(HostConfigError::BadBodyLimit);
    }
    if config.body_budget_bytes < config.max_body_bytes {
        return Err(HostConfigError::BadBodyBudget {
            budget: config.body_budget_bytes,
            max_body: config.max_body_bytes,
        });
    }
    if config.max_connections == 0 {
        return Err(HostConfigError::BadConnectionLimit);
    }
    for (timeout, name) in [
        (config.body_read_timeout, "body read timeout"),
        (config.body_idle_timeout, "body idle timeout"),
        (config.header_read_timeout, "header read timeout"),
    ] {
        if timeout.is_zero() {
            return Err(HostConfigError::ZeroTimeout(name));
        }
    }
    Ok(ServerLimits {
        max_body_bytes: config.max_body_bytes,
        max_connections: config.max_connections,
        body_budget: BodyBudget::new(config.body_budget_bytes),
        body_read_timeout: config.body_read_timeout,
        body_idle_timeout: config.body_idle_timeout,
        header_read_timeout: config.header_read_timeout,
    })
}

/// The `wasi:config` values the component receives.
fn component_config(config: &HostConfig) -> Result<BTreeMap<String, String>, HostConfigError> {
    let hash = config.admin_token_sha256.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HostConfigError::BadAdminTokenHash);
    }
    let mut values = BTreeMap::from([(config::ADMIN_TOKEN_SHA256.to_owned(), hash)]);
    if matches!(config.store, StoreSpec::Sqlite | StoreSpec::Redis(_)) {
        values.insert(config::LIST_KEYS_PAGES.to_owned(), "true".to_owned());
    }
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
    fn body_budget_below_the_largest_body_is_rejected() {
        let mut c = config();
        c.body_budget_bytes = c.max_body_bytes - 1;
        assert!(matches!(server_limits(&c), Err(HostConfigError::BadBodyBudget { .. })));
        c.body_budget_bytes = c.max_body_bytes;
        assert!(server_limits(&c).is_ok());
    }

    #[test]
    fn zero_connections_or_timeouts_are_rejected() {
        let mut c = config();
        c.max_connections = 0;
        assert_eq!(server_limits(&c).err(), Some(HostConfigError::BadConnectionLimit));
        let mut c = config();
        c.body_idle_timeout = Duration::ZERO;
        assert_eq!(server_limits(&c).err(), Some(HostConfigError::ZeroTimeout("body idle timeout")));
    }

    #[test]
    fn empty_public_url_counts_as_absent() {
        let mut c = config();
        c.public_base_url = Some("  ".into());
        assert!(!component_config(&c).expect("valid").contains_key(config::PUBLIC_BASE_URL));
    }
}

//! The compiled component, built once: engine (pooling allocator, epoch interruption), linker
//! and the world's `ProviderPre`. Each call gets a fresh `Store` and instance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline};

use crate::bindings::exports::idplex::scim::handler::{Request, Response};
use crate::bindings::exports::idplex::scim::maintenance::{CheckOptions, ReclaimProgress, Report};
use crate::bindings::{Provider, ProviderPre};
use crate::component_source::ComponentSource;
pub use crate::request_state::GuestMemoryLimitExceeded;
use crate::request_state::RequestState;
use crate::slots::Slots;

/// Maximum number of component instances alive at once, across all hosts sharing a runtime.
pub const MAX_INSTANCES: usize = 128;

/// Largest linear memory one instance may grow to: the pool reserves this much per memory, and
/// it is the default (and the ceiling) of the guest memory limit
/// ([`Runtime::with_guest_memory_limit`]).
pub const MAX_MEMORY_BYTES: usize = 256 << 20;

/// How long one call may run guest code before it is interrupted. Time spent waiting on the
/// key-value store does not count: a slow store fails its calls (bounded by
/// [`crate::kv::StoreTime`]), which the component answers with 503, rather than making the
/// guest trap.
pub const GUEST_TIME_LIMIT: Duration = Duration::from_secs(30);

/// How often the epoch advances; the granularity of [`GUEST_TIME_LIMIT`].
const EPOCH_TICK: Duration = Duration::from_millis(100);

/// Compiled component + engine + linker; expensive, build once and share (Clone = Arc).
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
    time_limit: Duration,
    memory_limit: usize,
}

struct Inner {
    engine: Engine,
    pre: ProviderPre<RequestState>,
    slots: Slots,
}

impl Runtime {
    /// Reads and compiles the component from `source`, links the host interfaces and checks
    /// that every import the component needs is provided. Starts the epoch ticker thread,
    /// which stops when the last clone of the runtime is dropped.
    pub fn load(source: ComponentSource) -> anyhow::Result<Runtime> {
        let loaded = source.load()?;
        let engine = Engine::new(&engine_config()).map_err(anyhow::Error::from)?;
        let component = Component::new(&engine, &loaded.bytes)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot compile the component ({})", loaded.origin))?;
        let pre =
            link(&engine, &component).with_context(|| format!("cannot link the component ({})", loaded.origin))?;
        tracing::debug!(origin = %loaded.origin, "component loaded");
        start_epoch_ticker(&engine)?;
        let inner = Inner { engine, pre, slots: Slots::new(MAX_INSTANCES) };
        Ok(Runtime { inner: Arc::new(inner), time_limit: GUEST_TIME_LIMIT, memory_limit: MAX_MEMORY_BYTES })
    }

    /// This runtime with a different limit on guest time per call (default
    /// [`GUEST_TIME_LIMIT`]), rounded up to the epoch tick of 100 ms. Shares the compiled
    /// component; other clones keep their limit.
    pub fn with_guest_time_limit(mut self, limit: Duration) -> Runtime {
        self.time_limit = limit;
        self
    }

    /// This runtime with a different limit on the linear memory one call's instance may hold,
    /// all its memories together (default and ceiling [`MAX_MEMORY_BYTES`]; larger values act
    /// as the ceiling). A call that needs more fails with [`GuestMemoryLimitExceeded`]. Shares
    /// the compiled component; other clones keep their limit.
    pub fn with_guest_memory_limit(mut self, bytes: usize) -> Runtime {
        self.memory_limit = bytes.min(MAX_MEMORY_BYTES);
        self
    }

    /// The limit on guest time per call.
    pub fn guest_time_limit(&self) -> Duration {
        self.time_limit
    }

    /// The limit on one instance's linear memory (bytes).
    pub fn guest_memory_limit(&self) -> usize {
        self.memory_limit
    }

    /// Instantiates the component in a fresh store over `state` and calls
    /// `idplex:scim/handler.handle`. Blocks while all instance slots are in use.
    pub(crate) fn call_handler(&self, state: RequestState, request: &Request) -> wasmtime::Result<Response> {
        self.call(state, |provider, store| provider.idplex_scim_handler().call_handle(store, request))
    }

    /// Instantiates the component in a fresh store over `state` and calls
    /// `idplex:scim/maintenance.check`; also returns the guest's peak linear memory (bytes).
    pub(crate) fn call_check(
        &self,
        state: RequestState,
        options: &CheckOptions,
    ) -> wasmtime::Result<(Result<Report, String>, usize)> {
        self.call(state, |provider, store| {
            let result = provider.idplex_scim_maintenance().call_check(&mut *store, *options)?;
            Ok((result, store.data_mut().memory().peak()))
        })
    }

    /// Instantiates the component in a fresh store over `state` and calls
    /// `idplex:scim/maintenance.reclaim` (one bounded reclamation step).
    pub(crate) fn call_reclaim(
        &self,
        state: RequestState,
        budget: u32,
    ) -> wasmtime::Result<Result<ReclaimProgress, String>> {
        self.call(state, |provider, store| provider.idplex_scim_maintenance().call_reclaim(store, budget))
    }

    /// Instantiates the component in a fresh store over `state` and runs `f` with its exported
    /// `idplex:scim/admin` interface.
    pub(crate) fn call_admin<R>(
        &self,
        state: RequestState,
        f: impl FnOnce(
            &crate::bindings::exports::idplex::scim::admin::Guest,
            &mut Store<RequestState>,
        ) -> wasmtime::Result<R>,
    ) -> wasmtime::Result<R> {
        self.call(state, |provider, store| f(provider.idplex_scim_admin(), store))
    }

    /// Runs `f` on a fresh instance within the time limit, holding an instance slot.
    fn call<R>(
        &self,
        state: RequestState,
        f: impl FnOnce(&Provider, &mut Store<RequestState>) -> wasmtime::Result<R>,
    ) -> wasmtime::Result<R> {
        let _slot = self.inner.slots.acquire();
        let mut store = Store::new(&self.inner.engine, state);
        store.data_mut().limit_memory(self.memory_limit);
        store.limiter(|state| state.memory());
        let (limit, started) = (self.time_limit, Instant::now());
        store.set_epoch_deadline(deadline_ticks(limit));
        store.epoch_deadline_callback(move |ctx| {
            Ok(match ticks_left(limit, started.elapsed(), ctx.data().store_time()) {
                Some(ticks) => UpdateDeadline::Continue(ticks),
                None => UpdateDeadline::Interrupt,
            })
        });
        let provider = self.inner.pre.instantiate(&mut store)?;
        f(&provider, &mut store)
    }
}

fn engine_config() -> Config {
    let instances = u32::try_from(MAX_INSTANCES).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::new();
    // A Rust `wasm32-wasip2` component holds a few core instances, memories and tables
    // (program, WASI adapter, shims); leave room for that per component instance.
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(8))
        .total_memories(instances.saturating_mul(4))
        .total_tables(instances.saturating_mul(8))
        .total_stacks(instances)
        .max_memory_size(MAX_MEMORY_BYTES);

    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config.epoch_interruption(true);
    enable_compilation_cache(&mut config);
    config
}

/// Reuses compiled code across restarts through wasmtime's cache (in the user's cache
/// directory); start-up still works, only slower, when the cache is unavailable.
fn enable_compilation_cache(config: &mut Config) {
    match wasmtime::Cache::from_file(None) {
        Ok(cache) => {
            config.cache(Some(cache));
        }
        Err(e) => tracing::warn!(error = %e, "compilation cache unavailable"),
    }
}

fn link(engine: &Engine, component: &Component) -> anyhow::Result<ProviderPre<RequestState>> {
    let mut linker = Linker::<RequestState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    crate::kv::wasi_impl::add_to_linker(&mut linker, RequestState::keyvalue)?;
    crate::config::add_to_linker(&mut linker, RequestState::config)?;
    let pre = linker.instantiate_pre(component)?;
    Ok(ProviderPre::new(pre)?)
}

/// Epoch ticks covering `limit`, rounded up.
fn deadline_ticks(limit: Duration) -> u64 {
    let ticks = limit.as_nanos().div_ceil(EPOCH_TICK.as_nanos().max(1));
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// At an epoch deadline, `elapsed` after the call began, `in_store` of it waiting on the
/// store: the ticks left before the guest's own time reaches `limit`, or `None` when it has
/// (the guest traps).
fn ticks_left(limit: Duration, elapsed: Duration, in_store: Duration) -> Option<u64> {
    let left = limit.checked_sub(elapsed.saturating_sub(in_store)).filter(|left| !left.is_zero())?;
    Some(deadline_ticks(left).max(1))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn start_epoch_ticker(engine: &Engine) -> anyhow::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("idplex-epoch".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .context("cannot start the epoch thread")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_rounds_up_to_whole_ticks() {
        assert_eq!(deadline_ticks(GUEST_TIME_LIMIT), 300);
        assert_eq!(deadline_ticks(Duration::from_millis(1)), 1);
        assert_eq!(deadline_ticks(Duration::ZERO), 0);
    }

    #[test]
    fn time_waiting_on_the_store_is_not_guest_time() {
        let limit = Duration::from_secs(30);
        // 35 s since the call began, 20 s of them in store calls: 15 s of guest time, 15 left.
        assert_eq!(ticks_left(limit, Duration::from_secs(35), Duration::from_secs(20)), Some(150));
        assert_eq!(ticks_left(limit, Duration::from_secs(30), Duration::from_millis(1)), Some(1));
    }

    #[test]
    fn guest_time_past_the_limit_traps() {
        let limit = Duration::from_secs(30);
        assert_eq!(ticks_left(limit, Duration::from_secs(30), Duration::ZERO), None);
        assert_eq!(ticks_left(limit, Duration::from_secs(61), Duration::from_secs(20)), None);
    }
}

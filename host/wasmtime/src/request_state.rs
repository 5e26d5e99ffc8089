//! The data of one request's `Store`: WASI, resources, key-value and configuration.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::config::{ConfigCtx, ConfigView};
use crate::kv::StoreTime;
use crate::kv::wasi_impl::{KeyValueCtx, KeyValueView};

/// Everything the guest can reach during one request; dropped with the request's `Store`.
pub(crate) struct RequestState {
    wasi: WasiCtx,
    table: ResourceTable,
    kv: KeyValueCtx,
    store_time: StoreTime,
    config: ConfigCtx,
    memory: MemoryPeak,
}

/// Tracks the guest's linear memory (the sum over its memories) and its peak, and holds it
/// under a limit.
#[derive(Debug)]
pub(crate) struct MemoryPeak {
    current: usize,
    peak: usize,
    limit: usize,
}

/// The guest tried to grow its linear memory past the guest memory limit: the `memory.grow`
/// traps with this error (or instantiation fails with it), so the host can tell this trap
/// from every other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the guest would hold {wanted} bytes of linear memory, past its limit of {limit} bytes")]
pub struct GuestMemoryLimitExceeded {
    /// The limit (bytes).
    pub limit: usize,
    /// The total the guest asked for (bytes).
    pub wanted: usize,
}

impl MemoryPeak {
    /// A counter that refuses to let the guest hold more than `limit` bytes.
    pub(crate) fn with_limit(limit: usize) -> MemoryPeak {
        MemoryPeak { current: 0, peak: 0, limit }
    }

    /// The largest total linear memory the guest held (bytes).
    pub(crate) fn peak(&self) -> usize {
        self.peak
    }
}

impl wasmtime::ResourceLimiter for MemoryPeak {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // The pooling allocator also caps each memory at `runtime::MAX_MEMORY_BYTES`; this
        // limit is on the sum and may be lower.
        let wanted = self.current.saturating_add(desired.saturating_sub(current));
        if wanted > self.limit {
            return Err(GuestMemoryLimitExceeded { limit: self.limit, wanted }.into());
        }
        self.current = wanted;
        self.peak = self.peak.max(self.current);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

impl RequestState {
    /// Fresh state over the host's shared key-value store and configuration, its store calls
    /// limited to `store_time` in all (see [`StoreTime`]). WASI gets no arguments, environment
    /// or preopened directories; only stderr is inherited, so guest panics reach the host's
    /// log.
    pub(crate) fn new(kv: KeyValueCtx, config: ConfigCtx, store_time: StoreTime) -> RequestState {
        let wasi = WasiCtxBuilder::new().inherit_stderr().build();
        let memory = MemoryPeak::with_limit(crate::runtime::MAX_MEMORY_BYTES);
        RequestState { wasi, table: ResourceTable::new(), kv, store_time, config, memory }
    }

    /// The view the `wasi:keyvalue` host traits are implemented on.
    pub(crate) fn keyvalue(&mut self) -> KeyValueView<'_> {
        KeyValueView { ctx: &self.kv, table: &mut self.table, time: &mut self.store_time }
    }

    /// Time spent in store calls so far (not counted as guest time).
    pub(crate) fn store_time(&self) -> std::time::Duration {
        self.store_time.spent()
    }

    /// The guest memory counter (the store's resource limiter).
    pub(crate) fn memory(&mut self) -> &mut MemoryPeak {
        &mut self.memory
    }

    /// Holds the guest's linear memory (all its memories together) to `limit` bytes.
    pub(crate) fn limit_memory(&mut self, limit: usize) {
        self.memory.limit = limit;
    }

    /// The view `wasi:config/store` is implemented on.
    pub(crate) fn config(&mut self) -> ConfigView<'_> {
        ConfigView { ctx: &self.config }
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter as _;

    #[test]
    fn growth_past_the_limit_is_an_error_naming_it() {
        let mut memory = MemoryPeak::with_limit(100);
        assert!(memory.memory_growing(0, 60, None).expect("within the limit"));
        let err = memory.memory_growing(0, 50, None).expect_err("110 bytes in all");
        let exceeded = err.downcast_ref::<GuestMemoryLimitExceeded>().expect("typed error");
        assert_eq!(*exceeded, GuestMemoryLimitExceeded { limit: 100, wanted: 110 });
        assert_eq!(memory.peak(), 60, "a refused growth is not counted");
    }
}

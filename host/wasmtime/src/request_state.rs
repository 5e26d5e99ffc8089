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

/// Tracks the guest's linear memory: the sum over its memories, and its peak.
#[derive(Debug, Default)]
pub(crate) struct MemoryPeak {
    current: usize,
    peak: usize,
}

impl MemoryPeak {
    /// The largest total linear memory the guest held (bytes).
    pub(crate) fn peak(&self) -> usize {
        self.peak
    }
}

impl wasmtime::ResourceLimiter for MemoryPeak {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // The pooling allocator enforces the maximum; this only keeps count.
        self.current = self.current.saturating_add(desired.saturating_sub(current));
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
        RequestState { wasi, table: ResourceTable::new(), kv, store_time, config, memory: MemoryPeak::default() }
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

//! A stand-in for Spin's HTTP trigger, for a composed Spin app: wasmtime with
//! `wasmtime-wasi-http` serving `wasi:http/incoming-handler` on `127.0.0.1`, a fresh instance
//! per request, and in place of Spin's key-value store and variables the wasmtime host's
//! SQLite-backed `wasi:keyvalue` (draft2) and its `wasi:config`. Outbound HTTP is refused, as
//! Spin refuses it to a component without `allowed_outbound_hosts`.
//!
//! Guest code runs on blocking threads (a synchronous engine inside `spawn_blocking`), so the
//! SQLite calls it makes never block the async executor.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use hyper::server::conn::http1;
use idplex_host::config::{ConfigCtx, ConfigView};
use idplex_host::kv::wasi_impl::{KeyValueCtx, KeyValueView};
use idplex_host::kv::{StoreSpec, StoreTime, open_backend};

use crate::server_thread::ServerThread;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::sync::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// A composed Spin app compiled and linked against the host interfaces; build once, serve many.
#[derive(Clone)]
pub struct SpinApp {
    component: Component,
    pre: ProxyPre<RequestState>,
}

impl SpinApp {
    /// Compiles `composed` and links it against WASI 0.2, `wasi:http`, `wasi:keyvalue` and
    /// `wasi:config`; fails if the component imports anything else.
    pub fn load(composed: &[u8]) -> anyhow::Result<SpinApp> {
        let engine = Engine::default();
        let component = Component::new(&engine, composed).map_err(|e| anyhow!(e)).context("cannot compile")?;
        let mut linker = Linker::<RequestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| anyhow!(e))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker).map_err(|e| anyhow!(e))?;
        idplex_host::kv::wasi_impl::add_to_linker(&mut linker, RequestState::keyvalue).map_err(|e| anyhow!(e))?;
        idplex_host::config::add_to_linker(&mut linker, RequestState::config).map_err(|e| anyhow!(e))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| anyhow!(e)).context("cannot link")?;
        let pre = ProxyPre::new(pre).map_err(|e| anyhow!(e)).context("not a wasi:http/proxy component")?;
        Ok(SpinApp { component, pre })
    }

    /// The compiled component's engine.
    pub fn engine(&self) -> &Engine {
        self.pre.engine()
    }

    /// The names of the component's imports, e.g. `wasi:keyvalue/store@0.2.0-draft2`.
    pub fn imports(&self) -> Vec<String> {
        self.component.component_type().imports(self.engine()).map(|(name, _)| name.to_owned()).collect()
    }

    /// The names of the component's exports.
    pub fn exports(&self) -> Vec<String> {
        self.component.component_type().exports(self.engine()).map(|(name, _)| name.to_owned()).collect()
    }
}

/// What every request of one server shares: the app, its store and its variables.
#[derive(Clone)]
struct Shared {
    app: SpinApp,
    kv: KeyValueCtx,
    config: ConfigCtx,
}

/// A running server; stops when dropped.
pub struct SpinServer {
    /// Its origin, e.g. `http://127.0.0.1:34567`.
    pub url: String,
    thread: ServerThread,
}

impl SpinServer {
    /// Serves `app` on `127.0.0.1:0` with the key-value store `default` in `data_dir` (SQLite)
    /// and `variables` as the component's `wasi:config` values.
    pub fn start(app: &SpinApp, data_dir: &Path, variables: BTreeMap<String, String>) -> anyhow::Result<SpinServer> {
        let backend = open_backend(&StoreSpec::default(), data_dir)?;
        let shared =
            Arc::new(Shared { app: app.clone(), kv: KeyValueCtx::new(backend), config: ConfigCtx::new(variables) });
        let thread = ServerThread::spawn(move |listener, shutdown| serve(shared, listener, shutdown))?;
        Ok(SpinServer { url: thread.url.clone(), thread })
    }

    /// A client for this server, as `Server::client` gives for the `idplex` executable.
    pub fn client(&self) -> crate::Client {
        crate::Client::new(&self.url)
    }

    /// Stops the server and waits until it has shut down.
    pub fn stop(self) {
        self.thread.stop();
    }
}

/// Accepts HTTP/1.1 connections until `shutdown` resolves.
async fn serve(shared: Arc<Shared>, listener: tokio::net::TcpListener, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| handle(shared.clone(), request));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                eprintln!("spin test server: connection error: {e}");
            }
        });
    }
}

/// Runs one request through a fresh instance, as Spin does.
async fn handle(
    shared: Arc<Shared>,
    request: hyper::Request<hyper::body::Incoming>,
) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let guest = tokio::task::spawn_blocking(move || -> wasmtime::Result<()> {
        let state = RequestState::new(shared.kv.clone(), shared.config.clone());
        let mut store = Store::new(shared.app.engine(), state);
        let request = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let response_out = store.data_mut().http().new_response_outparam(sender)?;
        let proxy = shared.app.pre.instantiate(&mut store)?;
        proxy.wasi_http_incoming_handler().call_handle(&mut store, request, response_out)
    });
    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(anyhow!("the guest answered with an error: {code:?}")),
        Err(_) => {
            let failure = match guest.await {
                Ok(Ok(())) => anyhow!("the guest never set a response"),
                Ok(Err(e)) => anyhow!("the guest failed: {e:?}"),
                Err(e) => anyhow!("the guest thread failed: {e}"),
            };
            eprintln!("spin test server: {failure}");
            Err(failure)
        }
    }
}

/// The data of one request's `Store`.
struct RequestState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: DenyOutbound,
    table: ResourceTable,
    kv: KeyValueCtx,
    /// Spin puts no budget on store calls; this one only keeps the view's clock.
    store_time: StoreTime,
    config: ConfigCtx,
}

impl RequestState {
    /// Fresh state: no arguments, environment or files; stderr inherited so guest messages
    /// reach the test output.
    fn new(kv: KeyValueCtx, config: ConfigCtx) -> RequestState {
        RequestState {
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            hooks: DenyOutbound,
            table: ResourceTable::new(),
            kv,
            store_time: StoreTime::default(),
            config,
        }
    }

    fn keyvalue(&mut self) -> KeyValueView<'_> {
        KeyValueView { ctx: &self.kv, table: &mut self.table, time: &mut self.store_time }
    }

    fn config(&mut self) -> ConfigView<'_> {
        ConfigView { ctx: &self.config }
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// `wasi:http` hooks that refuse every outgoing request.
struct DenyOutbound;

impl WasiHttpHooks for DenyOutbound {
    fn send_request(
        &mut self,
        _request: http::Request<WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                )>,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

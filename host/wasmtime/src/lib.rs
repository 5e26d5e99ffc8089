//! The wasmtime host of idplex: a thin adapter that serves the idplex component over HTTP and
//! gives it a key-value store and its configuration. All product logic (SCIM, admin API,
//! authentication, console) lives in the component.
//!
//! # Layout
//!
//! - [`runtime`]: engine (pooling allocator, epoch interruption), linker and `ProviderPre`,
//!   built once; a fresh store and instance per call.
//! - [`host`]: [`Host`] binds a [`Runtime`] to an opened store and a [`HostConfig`];
//!   [`Host::handle`] calls the component's handler.
//! - [`server`]: the hyper HTTP/1.1 server loop ([`serve`]) with body limit, concurrency
//!   bound and graceful shutdown.
//! - [`kv`]: the [`KvBackend`] trait, the SQLite backend, `--store` parsing, the
//!   `wasi:keyvalue` host traits (`kv::wasi_impl`) and the time a request may wait on the
//!   store (`kv::StoreTime`).
//! - [`config`]: `wasi:config/store` from a fixed map.
//! - [`admin_token`]: admin token bootstrap and reset; [`sha256_hex`].
//! - [`component_source`]: where the `.wasm` comes from ([`ComponentSource`]).
//! - [`error_response`]: the SCIM error responses the host makes itself (500, 413, 400).
//! - [`file_size_limit`]: a write past `ulimit -f` fails (503) instead of killing the server.
//! - [`maintenance`]: the `idplex check` report ([`Host::check`]) rendered for operators.
//! - [`cli`], [`banner`]: flags and start-up message of the `idplex` executable.
//! - `bindings`: the `bindgen!` output for `idplex:scim/provider` (private).
//! - `request_state`, `slots`, [`data_dir`]: per-request store data, the instance-slot
//!   limiter, data directory creation.

pub mod admin_token;
pub mod banner;
mod bindings;
pub mod cli;
pub mod component_source;
pub mod config;
pub mod data_dir;
pub mod error_response;
pub mod file_size_limit;
pub mod host;
pub mod kv;
pub mod maintenance;
mod request_state;
pub mod runtime;
pub mod server;
mod slots;

pub use admin_token::sha256_hex;
pub use bindings::exports::idplex::scim::handler::{Header, Request, Response};
pub use component_source::ComponentSource;
pub use host::{Host, HostConfig};
pub use kv::{KvBackend, StoreSpec};
pub use runtime::Runtime;
pub use server::serve;

//! The wasmtime host of idplex: a thin adapter that serves the idplex component over HTTP and
//! gives it a key-value store and its configuration. All product logic (SCIM, admin API,
//! authentication, console) lives in the component.
//!
//! # Layout
//!
//! - [`runtime`]: engine (pooling allocator, epoch interruption), linker and `ProviderPre`,
//!   built once; a fresh store and instance per call.
//! - [`host`]: [`Host`] binds a [`Runtime`] to an opened store and a [`HostConfig`];
//!   [`Host::handle`] calls the component's handler, [`Host::admin`] its typed `admin`
//!   export ([`admin`]).
//! - [`server`]: the hyper HTTP/1.1 server loop ([`serve`]) with connection cap, concurrency
//!   bound and graceful shutdown; `connection_limit` answers connections past the cap,
//!   `early_refusal` refuses requests without credentials before their body is read,
//!   `body_read` reads a body within its limits and `body_budget` bounds the bytes all bodies
//!   hold together.
//! - [`kv`]: the [`KvBackend`] trait, the SQLite backend, `--store` parsing, the
//!   `wasi:keyvalue` host traits (`kv::wasi_impl`) and the time a request may wait on the
//!   store (`kv::StoreTime`).
//! - [`config`]: `wasi:config/store` from a fixed map.
//! - [`admin_token`]: admin token bootstrap and reset; [`sha256_hex`].
//! - [`component_source`]: where the `.wasm` comes from ([`ComponentSource`]).
//! - [`error_response`]: the SCIM error responses the host makes itself (400, 408, 413, 500,
//!   503).
//! - [`file_size_limit`]: a write past `ulimit -f` fails (503) instead of killing the server.
//! - [`maintenance`]: the `idplex check` report ([`Host::check`]) rendered for operators.
//! - [`reclaimer`]: the background task reclaiming deleted connections' data ([`Host::reclaim`]).
//! - [`cli`], [`banner`]: flags and start-up message of the `idplex` executable.
//! - `bindings`: the `bindgen!` output for `idplex:scim/provider` (private).
//! - `request_state`, `slots`, [`data_dir`]: per-request store data, the instance-slot
//!   limiter, data directory creation.

pub mod admin;
pub mod admin_token;
pub mod banner;
mod bindings;
mod body_budget;
mod body_read;
pub mod cli;
pub mod component_source;
pub mod config;
mod connection_limit;
pub mod data_dir;
mod early_refusal;
pub mod error_response;
pub mod file_size_limit;
pub mod host;
pub mod kv;
pub mod maintenance;
pub mod reclaimer;
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

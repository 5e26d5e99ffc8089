//! idplex: multi-IdP user provisioning (SCIM 2.0) as a WebAssembly component.
//!
//! One tenant connects many Identity Providers ("connections"); each gets its own SCIM base
//! URL and bearer token, and all their users land in one End Users list. This crate holds all
//! product logic. Built for `wasm32-wasip2` it is the `idplex:scim/provider` component; built
//! natively it is a library whose tests run against an in-memory store.
//!
//! # Layout
//! - `bindings` (wasm only): the generated WIT bindings and the thin glue that converts WIT
//!   types and implements [`store::KvStore`] and [`env::Env`] over the imports.
//! - [`http`]: the transport-neutral request/response model and the top-level router.
//! - [`scim`]: the SCIM 2.0 service provider of each connection.
//! - [`admin`]: the admin HTTP API (`/admin/api/v1`).
//! - [`console`]: the admin console web page assets.
//! - [`connection`]: connection operations (create, rename, token, disable, delete,
//!   authenticate).
//! - [`activity`]: the audit feed and each connection's health.
//! - [`end_users`]: the End Users list across connections.
//! - [`reclaim`]: reclaiming deleted connections' data in bounded steps.
//! - [`storage`]: the key layout on the key-value store and its invariants.
//! - [`store`]: the key-value store trait and the in-memory implementation.
//! - [`app`], [`env`]: what one call works with (store, clock, randomness, configuration).
//! - [`token`], [`ids`], [`time`]: bearer tokens, identifiers, timestamps.
//! - `fuzzing` (feature `fuzzing`, native only): the in-memory product the fuzz targets in
//!   `fuzz/` drive.

pub mod activity;
pub mod admin;
pub mod app;
pub mod connection;
pub mod console;
pub mod end_users;
pub mod env;
pub mod http;
pub mod ids;
pub mod maintenance;
pub mod reclaim;
pub mod scim;
pub mod storage;
pub mod store;
pub mod time;
pub mod token;

#[cfg(all(feature = "fuzzing", not(target_arch = "wasm32")))]
#[doc(hidden)]
pub mod fuzzing;

#[cfg(target_arch = "wasm32")]
#[expect(unsafe_code, reason = "the code wit-bindgen generates for exports and imports is unsafe")]
mod bindings;

pub use app::App;

#[cfg(test)]
mod custom_schema_tests;
#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod scenario_tests;
#[cfg(test)]
mod store_call_tests;
#[cfg(test)]
mod testing;

/// Handles one HTTP request: the whole product behind one function.
pub fn handle(app: &App<'_>, request: &http::Request) -> http::Response {
    http::router::handle(app, request)
}

//! idplex on Spin: a Spin HTTP component (`spin-sdk` 5, WASI 0.2) that imports
//! `idplex:scim/handler` and forwards every request to it. Spin composes it with the idplex
//! component named under `[component.idplex.dependencies]` in the root `spin.toml`; the
//! component then stores its data in Spin's key-value store (`wasi:keyvalue`) and reads its
//! configuration from Spin variables (`wasi:config`). `docs/deploy-spin.md` covers deployment.
//!
//! # Layout
//!
//! - [`plumbing`]: which headers reach the component (adding `host` from the authority when
//!   absent, so the component can build URLs without `public_base_url`), the body limit, and
//!   the responses the front makes itself. Target-independent and unit-tested natively.
//! - `front` (wasm only): the `#[http_component]` entry point, converting Spin's request and
//!   response to and from the handler's records.
//! - `bindings` (wasm only): the `wit-bindgen` import of `idplex:scim/handler` (private).

pub mod plumbing;

#[cfg(target_arch = "wasm32")]
mod bindings;

#[cfg(target_arch = "wasm32")]
#[expect(unsafe_code, reason = "the code `#[http_component]` generates for the export is unsafe")]
mod front;

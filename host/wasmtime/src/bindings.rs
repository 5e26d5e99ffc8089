//! Host bindings for the world `idplex:scim/provider` generated from `wit/`.
//!
//! WIT resources and errors are mapped onto this crate's own types; `wasi:random` comes from
//! `wasmtime-wasi`, which also links it. No hand-written logic lives here.

wasmtime::component::bindgen!({
    world: "idplex:scim/provider",
    path: "../../wit",
    imports: { default: trappable },
    with: {
        "wasi:random": wasmtime_wasi::p2::bindings::random,
        "wasi:keyvalue/store.bucket": crate::kv::wasi_impl::Bucket,
        "wasi:keyvalue/atomics.cas": crate::kv::wasi_impl::Cas,
    },
    trappable_error_type: {
        "wasi:keyvalue/store.error" => crate::kv::wasi_impl::KeyValueError,
    },
});

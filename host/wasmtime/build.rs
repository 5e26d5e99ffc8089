//! Embeds the component into the `idplex` executable when it has been built.
//!
//! The component is taken from `IDPLEX_COMPONENT_WASM` if set, else from
//! `../../target/wasm32-wasip2/release/idplex_component.wasm`. When the file exists, the build
//! sets the cfg `idplex_embedded` and the env `IDPLEX_EMBEDDED_COMPONENT` (its absolute path)
//! for `include_bytes!`; otherwise the host looks for the component at run time.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(idplex_embedded)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=IDPLEX_COMPONENT_WASM");

    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let wasm = match env::var_os("IDPLEX_COMPONENT_WASM") {
        Some(path) if !path.is_empty() => manifest_dir.join(path),
        _ => manifest_dir.join("../../target/wasm32-wasip2/release/idplex_component.wasm"),
    };
    println!("cargo::rerun-if-changed={}", wasm.display());

    if wasm.is_file() {
        let wasm = wasm.canonicalize().unwrap_or(wasm);
        println!("cargo::rustc-cfg=idplex_embedded");
        println!("cargo::rustc-env=IDPLEX_EMBEDDED_COMPONENT={}", wasm.display());
    }
}

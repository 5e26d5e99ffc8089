//! The Spin deployment, tested where no Spin runtime exists: the app `spin.toml` defines is
//! composed the way Spin composes it and served by a Spin-like wasmtime HTTP server.
//!
//! # Layout
//!
//! - [`manifest`]: the parts of `spin.toml` that decide what Spin loads, and variable
//!   resolution as `spin up` does it.
//! - [`compose`]: composing the HTTP component with its dependencies (wac-graph), as Spin does.
//! - [`host_interfaces`]: the interfaces a stock Spin 3.x host provides (a fixture), and the
//!   check of a component's imports against them.
//! - [`server`]: a stand-in for Spin's HTTP trigger: wasmtime + `wasmtime-wasi-http` with the
//!   wasmtime host's `wasi:keyvalue` (SQLite) and `wasi:config`.

pub mod compose;
pub mod host_interfaces;
pub mod manifest;
pub mod server;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use self::compose::Dependency;
use self::manifest::{Manifest, resolve_path};

/// The route the idplex app serves.
pub const ROUTE: &str = "/...";

/// The command that builds every file `spin.toml` points at.
pub const BUILD_COMMAND: &str = "cargo build --release --target wasm32-wasip2 -p idplex-component -p idplex-spin";

/// The repository's `spin.toml`.
pub fn manifest_path() -> PathBuf {
    crate::workspace().join("spin.toml")
}

/// The fixture listing what a stock Spin 3.x host provides.
pub fn spin_3_host_interfaces_path() -> PathBuf {
    crate::workspace().join("tests/fixtures/spin-3-host-interfaces.txt")
}

/// A built `.wasm` file, or an error naming the command that builds it.
pub fn read_built(path: &Path) -> anyhow::Result<Vec<u8>> {
    if !path.is_file() {
        bail!("{} is missing: run `{BUILD_COMMAND}` first", path.display());
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The app of a Spin manifest, composed into one component as Spin would load it.
pub struct ComposedApp {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The id of the component serving [`ROUTE`].
    pub component_id: String,
    /// The composed component.
    pub bytes: Vec<u8>,
}

impl ComposedApp {
    /// Reads the manifest at `manifest_path`, the component serving [`ROUTE`] and its
    /// dependencies, and composes them.
    pub fn load(manifest_path: &Path) -> anyhow::Result<ComposedApp> {
        let manifest = Manifest::load(manifest_path)?;
        let (id, component) = manifest.http_component(ROUTE)?;
        let front = read_built(&resolve_path(manifest_path, &component.source))?;
        let mut dependencies = Vec::new();
        for (name, dependency) in &component.dependencies {
            dependencies.push(Dependency {
                name: name.clone(),
                bytes: read_built(&resolve_path(manifest_path, &dependency.path))?,
                export: dependency.export.clone(),
            });
        }
        let bytes = compose::compose(id, front, dependencies).with_context(|| format!("cannot compose {id:?}"))?;
        let component_id = id.to_owned();
        Ok(ComposedApp { manifest, component_id, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_build_output_names_the_build_command() {
        let missing = crate::workspace().join("target/wasm32-wasip2/release/no_such_component.wasm");
        let message = read_built(&missing).expect_err("missing file").to_string();
        assert!(message.contains("no_such_component.wasm is missing"), "{message}");
        assert!(message.contains(BUILD_COMMAND), "{message}");
    }
}

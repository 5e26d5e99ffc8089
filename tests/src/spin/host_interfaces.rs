//! What a stock Spin host provides to a component (the fixture
//! `tests/fixtures/spin-3-host-interfaces.txt`), and which imports of a component fall
//! outside it.

use std::path::Path;

use anyhow::Context as _;

/// The interfaces a host provides, as `ns:pkg/iface@version` names.
#[derive(Debug)]
pub struct HostInterfaces {
    provided: Vec<String>,
}

impl HostInterfaces {
    /// Reads a list of interface names, one per line; `#` starts a comment line.
    pub fn load(path: &Path) -> anyhow::Result<HostInterfaces> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let provided = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect();
        Ok(HostInterfaces { provided })
    }

    /// The number of interfaces listed.
    pub fn len(&self) -> usize {
        self.provided.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.provided.is_empty()
    }

    /// Whether an import named `import` links against one of the listed interfaces: the same
    /// interface at the same version, or at a semver-compatible one (any `0.2.x` for `0.2.y`;
    /// pre-release versions only exactly), as wasmtime's linker, and so Spin, matches them.
    pub fn provides(&self, import: &str) -> bool {
        self.provided.iter().any(|provided| compatible(provided, import))
    }

    /// The imports among `imports` that the host does not provide.
    pub fn missing<'a>(&self, imports: &'a [String]) -> Vec<&'a str> {
        imports.iter().map(String::as_str).filter(|import| !self.provides(import)).collect()
    }
}

/// Whether two `ns:pkg/iface@version` names link to each other.
fn compatible(provided: &str, import: &str) -> bool {
    if provided == import {
        return true;
    }
    let (Some((p_name, p_version)), Some((i_name, i_version))) = (provided.split_once('@'), import.split_once('@'))
    else {
        return false;
    };
    p_name == i_name && matches!((track(p_version), track(i_version)), (Some(p), Some(i)) if p == i)
}

/// The semver compatibility track of a release version: `(major, 0, 0)` from 1.0 on,
/// `(0, minor, 0)` for 0.x with x > 0, the full version for 0.0.x; `None` for pre-releases and
/// malformed versions.
fn track(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(match (major, minor) {
        (0, 0) => (0, 0, patch),
        (0, minor) => (0, minor, 0),
        (major, _) => (major, 0, 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostInterfaces {
        HostInterfaces { provided: vec!["wasi:io/streams@0.2.0".into(), "wasi:keyvalue/store@0.2.0-draft2".into()] }
    }

    #[test]
    fn same_track_patch_versions_are_provided() {
        assert!(host().provides("wasi:io/streams@0.2.0"));
        assert!(host().provides("wasi:io/streams@0.2.6"));
    }

    #[test]
    fn other_tracks_and_interfaces_are_not_provided() {
        assert!(!host().provides("wasi:io/streams@0.3.0"));
        assert!(!host().provides("wasi:io/poll@0.2.0"));
        assert!(!host().provides("wasi:http/handler@0.3.0-rc-2026-01-06"));
    }

    #[test]
    fn pre_releases_match_only_exactly() {
        assert!(host().provides("wasi:keyvalue/store@0.2.0-draft2"));
        assert!(!host().provides("wasi:keyvalue/store@0.2.0-draft3"));
    }
}

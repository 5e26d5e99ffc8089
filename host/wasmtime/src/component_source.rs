//! Where the component's `.wasm` comes from.

use std::path::PathBuf;

use anyhow::Context as _;

/// File name of the component looked for next to the executable.
pub const COMPONENT_FILE_NAME: &str = "idplex_component.wasm";

/// The component binary bundled into this executable at build time, if any (see `build.rs`).
#[cfg(idplex_embedded)]
const EMBEDDED: Option<&[u8]> = Some(include_bytes!(env!("IDPLEX_EMBEDDED_COMPONENT")));
#[cfg(not(idplex_embedded))]
const EMBEDDED: Option<&[u8]> = None;

/// Where to load the component from.
#[derive(Debug, Clone)]
pub enum ComponentSource {
    /// A `.wasm` component file.
    Path(PathBuf),
    /// The component's bytes.
    Bytes(Vec<u8>),
    /// The component embedded in this executable at build time, else
    /// `idplex_component.wasm` next to the executable.
    Default,
}

/// The bytes of a component, and where they came from (for messages).
pub(crate) struct LoadedComponent {
    /// The component binary.
    pub bytes: std::borrow::Cow<'static, [u8]>,
    /// A human-readable origin, e.g. a path or `embedded`.
    pub origin: String,
}

impl ComponentSource {
    /// Reads the component's bytes from this source.
    pub(crate) fn load(self) -> anyhow::Result<LoadedComponent> {
        match self {
            ComponentSource::Path(path) => read(path),
            ComponentSource::Bytes(bytes) => Ok(LoadedComponent { bytes: bytes.into(), origin: "bytes".to_owned() }),
            ComponentSource::Default => {
                if let Some(bytes) = EMBEDDED {
                    return Ok(LoadedComponent {
                        bytes: bytes.into(),
                        origin: "embedded in the executable".to_owned(),
                    });
                }
                let beside_exe =
                    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(COMPONENT_FILE_NAME)));
                match beside_exe {
                    Some(path) if path.is_file() => read(path),
                    _ => anyhow::bail!(
                        "no idplex component found: this executable was built without one and \
                         there is no {COMPONENT_FILE_NAME} next to it. Run `make build` (or pass \
                         --component PATH / set IDPLEX_COMPONENT)"
                    ),
                }
            }
        }
    }
}

fn read(path: PathBuf) -> anyhow::Result<LoadedComponent> {
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read the component {}", path.display()))?;
    Ok(LoadedComponent { bytes: bytes.into(), origin: path.display().to_string() })
}

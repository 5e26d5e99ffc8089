//! The data directory: where the store and the admin token hash live.

use std::path::Path;

use anyhow::Context as _;

/// Creates `dir` (and its parents) if missing. On Unix a newly created directory is readable
/// by its owner only, since it holds token hashes and provisioned users.
pub fn ensure(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))
}

//! The admin token: configured, or generated once with only its hash kept on disk.
//!
//! Order at start-up: a token given with `--admin-token` (or `IDPLEX_ADMIN_TOKEN`) or read
//! from `--admin-token-file` (or `IDPLEX_ADMIN_TOKEN_FILE`) is used as is; else the hash in `{data}/admin-token.sha256`; else a new token is generated, its hash
//! written there (mode 0600) and the token shown once.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::data_dir;

/// File in the data directory that holds the admin token's SHA-256 (lowercase hex).
pub const ADMIN_TOKEN_HASH_FILE: &str = "admin-token.sha256";

/// Prefix of generated admin tokens.
pub const ADMIN_TOKEN_PREFIX: &str = "idplex_admin_";

/// Lowercase hex SHA-256 of `s`'s UTF-8 bytes.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The admin token in effect, and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub enum AdminToken {
    /// Given by the operator (`--admin-token`, `--admin-token-file` or their variables).
    Configured {
        /// The token's SHA-256.
        sha256: String,
    },
    /// Read from the hash file; the token itself was shown when it was generated.
    Stored {
        /// The token's SHA-256.
        sha256: String,
    },
    /// Generated now; the clear token must be shown to the operator once.
    Generated {
        /// The new token (shown once, never stored).
        token: String,
        /// The token's SHA-256.
        sha256: String,
    },
}

impl AdminToken {
    /// The lowercase hex SHA-256 the component checks admin requests against.
    pub fn sha256(&self) -> &str {
        match self {
            AdminToken::Configured { sha256 }
            | AdminToken::Stored { sha256 }
            | AdminToken::Generated { sha256, .. } => sha256,
        }
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the clear token through Debug.
        let kind = match self {
            AdminToken::Configured { .. } => "Configured",
            AdminToken::Stored { .. } => "Stored",
            AdminToken::Generated { .. } => "Generated",
        };
        f.debug_struct(kind).field("sha256", &self.sha256()).finish_non_exhaustive()
    }
}

/// Reads the admin token from the file `path` (`--admin-token-file`), surrounding whitespace
/// (a trailing newline) ignored. Errors never show the file's contents.
pub fn read_token_file(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let token = text.trim();
    anyhow::ensure!(!token.is_empty(), "the admin token file {} is empty", path.display());
    Ok(token.to_owned())
}

/// Decides the admin token for a server using `data_dir` (see the module docs).
pub fn bootstrap(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<AdminToken> {
    if let Some(token) = configured {
        let token = token.trim();
        anyhow::ensure!(!token.is_empty(), "the configured admin token is empty");
        return Ok(AdminToken::Configured { sha256: sha256_hex(token) });
    }
    if let Some(sha256) = read_hash(&hash_file(data_dir))? {
        return Ok(AdminToken::Stored { sha256 });
    }
    reset(data_dir)
}

/// Issues a new admin token for `data_dir`, replacing the stored hash (the old token stops
/// working at the next start). Returns it as [`AdminToken::Generated`].
pub fn reset(data_dir: &Path) -> anyhow::Result<AdminToken> {
    data_dir::ensure(data_dir)?;
    let token = generate()?;
    let sha256 = sha256_hex(&token);
    write_hash(&hash_file(data_dir), &sha256)?;
    Ok(AdminToken::Generated { token, sha256 })
}

/// A new token: the prefix and 32 bytes from the OS RNG in unpadded base64url.
fn generate() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random generator failed: {e}"))?;
    Ok(format!("{ADMIN_TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

fn hash_file(data_dir: &Path) -> PathBuf {
    data_dir.join(ADMIN_TOKEN_HASH_FILE)
}

fn read_hash(path: &Path) -> anyhow::Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let hash = text.trim().to_ascii_lowercase();
    anyhow::ensure!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{} does not hold a SHA-256 in hex; fix it or run `idplex admin-token reset`",
        path.display()
    );
    Ok(Some(hash))
}

/// Writes the hash to a temporary file (mode 0600) and renames it over `path`, so a crash
/// never leaves a half-written hash.
fn write_hash(path: &Path, sha256: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("sha256.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = || -> std::io::Result<()> {
        let mut file = options.open(&tmp)?;
        writeln!(file, "{sha256}")?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_known_vector() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn configured_token_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let token = bootstrap(dir.path(), Some("secret")).expect("bootstrap");
        assert_eq!(token, AdminToken::Configured { sha256: sha256_hex("secret") });
        assert!(!dir.path().join(ADMIN_TOKEN_HASH_FILE).exists());
    }

    #[test]
    fn token_file_is_read_without_its_newline() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("admin-token");
        std::fs::write(&path, "idplex_admin_from-a-file\n").expect("write");
        assert_eq!(read_token_file(&path).expect("read"), "idplex_admin_from-a-file");
    }

    #[test]
    fn empty_or_missing_token_file_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("admin-token");
        assert!(read_token_file(&path).is_err());
        std::fs::write(&path, " \n").expect("write");
        assert!(read_token_file(&path).is_err());
    }

    #[test]
    fn empty_configured_token_is_rejected() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(bootstrap(dir.path(), Some("  ")).is_err());
    }

    #[test]
    fn first_start_generates_then_later_starts_reuse_the_hash() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let AdminToken::Generated { token, sha256 } = bootstrap(&data, None).expect("first") else {
            panic!("first start must generate a token");
        };
        assert!(token.starts_with(ADMIN_TOKEN_PREFIX));
        assert_eq!(token.len(), ADMIN_TOKEN_PREFIX.len() + 43);
        assert_eq!(sha256, sha256_hex(&token));
        let stored = std::fs::read_to_string(data.join(ADMIN_TOKEN_HASH_FILE)).expect("hash file");
        assert!(!stored.contains(&token));
        assert_eq!(bootstrap(&data, None).expect("second"), AdminToken::Stored { sha256 });
    }

    #[cfg(unix)]
    #[test]
    fn hash_file_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        reset(dir.path()).expect("reset");
        let mode = std::fs::metadata(dir.path().join(ADMIN_TOKEN_HASH_FILE)).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn reset_replaces_the_stored_hash() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = reset(dir.path()).expect("first");
        let second = reset(dir.path()).expect("second");
        assert_ne!(first.sha256(), second.sha256());
        assert_eq!(
            bootstrap(dir.path(), None).expect("bootstrap"),
            AdminToken::Stored { sha256: second.sha256().to_owned() }
        );
    }

    #[test]
    fn corrupt_hash_file_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(ADMIN_TOKEN_HASH_FILE), "nonsense").expect("write");
        assert!(bootstrap(dir.path(), None).is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let generated = reset(dir.path()).expect("reset");
        let AdminToken::Generated { token, .. } = &generated else { panic!("generated") };
        assert!(!format!("{generated:?}").contains(token.as_str()));
    }
}

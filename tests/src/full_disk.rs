//! Two ways to run the SQLite store out of space, for the outage tests:
//!
//! - [`SmallTmpfs`]: a real, small file system (tmpfs) holding the data directory, filled up
//!   by a filler file, and freed by deleting it: writes fail with `ENOSPC` (`SQLITE_FULL`),
//!   exactly as on a full disk. Mounting needs root (or passwordless `sudo`) and
//!   `CAP_SYS_ADMIN`, which an unprivileged container lacks.
//! - [`FILE_SIZE_LIMIT`] through `prlimit`: a soft `RLIMIT_FSIZE` on the `idplex` process,
//!   raised again with [`lift_file_size_limit`]. Writes past it fail with `EFBIG` (a write
//!   error from SQLite); it needs no privilege, so this variant runs everywhere.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set this to `1` to let the tmpfs test pass without running when no tmpfs can be mounted.
pub const SKIP_ENV: &str = "IDPLEX_SKIP_DISK_FULL";

/// A tmpfs mounted on a fresh temporary directory; unmounted on drop.
pub struct SmallTmpfs {
    dir: tempfile::TempDir,
    sudo: bool,
}

impl SmallTmpfs {
    /// Mounts a tmpfs of `bytes` (rounded up to whole pages by the kernel), owned by the
    /// current user. Errs with the reason when it cannot.
    pub fn mount(bytes: u64) -> Result<SmallTmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary directory: {e}"))?;
        let uid = id("-u")?;
        let sudo = uid != "0";
        let options = format!("size={bytes},mode=0700,uid={uid},gid={}", id("-g")?);
        let mut command = privileged(sudo, "mount");
        command.args(["-t", "tmpfs", "-o", &options, "tmpfs"]).arg(dir.path());
        run(&mut command)?;
        Ok(SmallTmpfs { dir, sudo })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` in it until the file system is full (`ENOSPC`); returns the file's path.
    pub fn fill(&self, name: &str) -> PathBuf {
        let path = self.path().join(name);
        let mut file = std::fs::File::create(&path).expect("the filler file is created");
        let block = vec![0xA5u8; 64 << 10];
        let mut small = false;
        loop {
            let chunk = if small { &block[..4096] } else { &block[..] };
            match file.write_all(chunk) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull && !small => small = true,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
        path
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        // Lazily: a process that still holds a file open there does not keep it mounted.
        let mut command = privileged(self.sudo, "umount");
        command.arg("-l").arg(self.dir.path());
        if let Err(e) = run(&mut command) {
            eprintln!("cannot unmount the tmpfs at {}: {e}", self.dir.path().display());
        }
    }
}

/// `command`, run through `sudo -n` when `sudo`.
fn privileged(sudo: bool, command: &str) -> Command {
    if sudo {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", command]);
        sudo
    } else {
        Command::new(command)
    }
}

/// Runs `command`; errs with its output when it cannot start or fails.
fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{command:?} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

/// `id -u` or `id -g`.
fn id(flag: &str) -> Result<String, String> {
    let output = Command::new("id").arg(flag).output().map_err(|e| format!("id {flag}: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The soft file size limit the `idplex` process gets under [`file_size_limit_wrapper`]:
/// 2 MB, reached by the SQLite write-ahead log after a few dozen creates (it is checkpointed
/// only at about 4 MB).
pub const FILE_SIZE_LIMIT: u64 = 2_000_000;

/// The command to run `idplex` through ([`crate::process::Process::start_under`]) so that it
/// starts with a soft `RLIMIT_FSIZE` of [`FILE_SIZE_LIMIT`] bytes (the hard limit unchanged).
pub fn file_size_limit_wrapper() -> Vec<String> {
    vec!["prlimit".into(), format!("--fsize={FILE_SIZE_LIMIT}:")]
}

/// Raises the soft file size limit of process `pid` to its hard limit (unlimited by default),
/// as freeing space would.
pub fn lift_file_size_limit(pid: u32) {
    let mut command = Command::new("prlimit");
    command.args(["--pid", &pid.to_string(), "--fsize=unlimited:"]);
    if let Err(e) = run(&mut command) {
        panic!("cannot lift the file size limit of process {pid}: {e}");
    }
}

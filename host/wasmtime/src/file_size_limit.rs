//! A file size limit reached by a store write fails that write; it does not kill the server.
//!
//! A process whose write would grow a file past its `RLIMIT_FSIZE` (`ulimit -f`, systemd's
//! `LimitFSIZE=`) gets `SIGXFSZ`, whose default action ends it on the spot: every request in
//! flight is lost and the service is down until restarted. When the signal is handled, the
//! write fails with `EFBIG` instead; SQLite reports that as an I/O error, the component answers
//! 503, and writes succeed again once the limit is raised or the file shrinks — as on a full
//! disk. PostgreSQL ignores `SIGXFSZ` for the same reason.

/// Handles `SIGXFSZ` for the rest of the process's life, so that a write past the file size
/// limit fails with `EFBIG` rather than ending the process. Must run inside a Tokio runtime
/// with its I/O driver enabled; the handler stays installed after that runtime is gone.
pub fn survive_file_size_limit() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Tokio keeps its handler installed once registered, even when the stream is dropped:
        // nobody needs to receive the signal, only to keep its default action away.
        drop(signal(SignalKind::from_raw(libc::SIGXFSZ))?);
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::ErrorKind;
    use std::process::Command;

    use super::*;

    /// Set in the child run of the test below: the file to write past the limit.
    const CHILD_FILE: &str = "IDPLEX_TEST_FILE_SIZE_LIMIT_CHILD";

    /// Runs this test again in a child process under a 4 KiB file size limit (`prlimit`);
    /// there, after [`survive_file_size_limit`], writing 8 KiB fails with `EFBIG` and the
    /// child lives on to report it.
    #[test]
    fn write_past_the_file_size_limit_fails_instead_of_killing_the_process() {
        if let Some(file) = std::env::var_os(CHILD_FILE) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async { survive_file_size_limit() }).expect("the handler is installed");
            let error = std::fs::write(file, vec![0u8; 8192]).expect_err("the write passes the limit");
            assert_eq!(error.kind(), ErrorKind::FileTooLarge, "{error}");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let test = "file_size_limit::tests::write_past_the_file_size_limit_fails_instead_of_killing_the_process";
        let output = Command::new("prlimit")
            .args(["--fsize=4096:", "--"])
            .arg(std::env::current_exe().expect("the test executable"))
            .args(["--exact", test, "--test-threads=1"])
            .env(CHILD_FILE, dir.path().join("big"))
            .output()
            .expect("prlimit runs (util-linux)");
        assert!(
            output.status.success(),
            "the child {}: {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

//! The `idplex` executable as a child process, for tests that kill it or restart it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{ADMIN_TOKEN, Client, workspace};

/// The built `idplex` executable, or a panic that says how to build it.
pub fn idplex_bin() -> PathBuf {
    let path = workspace().join("target/release/idplex");
    assert!(path.is_file(), "{} is missing: run `make build` first", path.display());
    path
}

/// A running `idplex serve` process.
pub struct Process {
    child: Child,
    /// Its origin.
    pub url: String,
}

impl Process {
    /// Starts `idplex serve` on a free port over `data` with the test admin token and the
    /// freshly built component, and waits until it listens.
    pub fn start(data: &Path) -> Process {
        Process::start_with_args(data, &[], None)
    }

    /// As [`Process::start`], with `args` added to the command line (e.g. `--store URL`) and
    /// stderr (the log) written to the file `stderr` when given.
    pub fn start_with_args(data: &Path, args: &[&str], stderr: Option<&Path>) -> Process {
        Process::start_under(&[], data, args, stderr)
    }

    /// As [`Process::start_with_args`], run through `wrapper`, a command that ends by
    /// executing the command line it is given (e.g. `["prlimit", "--fsize=1000000:"]`), so
    /// the process is still `idplex` itself.
    pub fn start_under(wrapper: &[&str], data: &Path, args: &[&str], stderr: Option<&Path>) -> Process {
        let stderr = stderr.map_or_else(Stdio::null, |path| {
            Stdio::from(std::fs::File::create(path).expect("the log file can be created"))
        });
        let mut command = match wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg("--").arg(idplex_bin());
                command
            }
            None => Command::new(idplex_bin()),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--admin-token", ADMIN_TOKEN, "--data"])
            .arg(data)
            .arg("--component")
            .arg(crate::component_path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("idplex starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("idplex is listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(120)).expect("idplex prints where it listens");
        Process { child, url: format!("http://{addr}") }
    }

    /// A client for this process.
    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it ended, or `None` while it is still running.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Kills the process with SIGKILL (no shutdown of any kind) and reaps it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `idplex check --data DIR` (with `--repair` if asked); returns success and output.
pub fn check(data: &Path, repair: bool) -> (bool, String) {
    check_with_args(data, &[], repair)
}

/// As [`check`], with `args` added to the command line (e.g. `--store URL`).
pub fn check_with_args(data: &Path, args: &[&str], repair: bool) -> (bool, String) {
    let mut command = Command::new(idplex_bin());
    command.arg("check").arg("--data").arg(data).arg("--component").arg(crate::component_path()).args(args);
    if repair {
        command.arg("--repair");
    }
    let output = command.output().expect("idplex check runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

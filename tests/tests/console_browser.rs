//! The admin console in a real browser: the `idplex serve` executable on a free port, and the
//! scenarios of `tests/browser/console.test.mjs` driving `/console/` in headless Debian
//! Chromium through it (sign-in, first run, connections, End Users, long values, phone width,
//! keyboard, and an axe-core accessibility check of each view). Needs `make browser-deps`
//! (Chromium, and `npm ci` in `tests/browser`); without them it fails saying so.
//!
//! `IDPLEX_BROWSER_TESTS=PATTERN` runs only the scenarios whose name matches; viewport
//! screenshots land in `target/browser-screenshots/`.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use idplex_e2e::process::Process;
use idplex_e2e::{ADMIN_TOKEN, workspace};

/// Set to skip this test on a developer machine without a browser (never in CI).
const SKIP_VAR: &str = "IDPLEX_SKIP_BROWSER";

#[test]
fn console_scenarios_pass_in_headless_chromium() {
    if skipped() {
        return;
    }
    let browser_dir = workspace().join("tests/browser");
    let chromium =
        std::env::var_os("IDPLEX_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        chromium.is_file(),
        "{} is missing: run `make browser-deps` (installs Debian's chromium and the test's npm packages)",
        chromium.display()
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            browser_dir.join("node_modules").join(package).join("package.json").is_file(),
            "{}/node_modules/{package} is missing: run `make browser-deps` (npm ci in tests/browser)",
            browser_dir.display()
        );
    }

    let data = tempfile::tempdir().expect("a temporary data directory");
    let server = Process::start(data.path());

    let mut node = Command::new("node");
    node.current_dir(&browser_dir)
        .args(["--test", "--test-reporter=spec", "--test-timeout=180000"])
        .env("IDPLEX_URL", &server.url)
        .env("IDPLEX_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("IDPLEX_CHROMIUM", &chromium)
        .env("IDPLEX_SCREENSHOTS", workspace().join("target/browser-screenshots"));
    if let Ok(pattern) = std::env::var("IDPLEX_BROWSER_TESTS") {
        node.arg(format!("--test-name-pattern={pattern}"));
    }
    let output = node.arg("console.test.mjs").output().unwrap_or_else(|err| {
        panic!("node does not run ({err}): install Node.js 20 or later, then `make browser-deps`")
    });
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{report}");
    assert!(output.status.success(), "console browser scenarios failed ({}):\n{report}", output.status);
}

/// True when a developer opted out with `IDPLEX_SKIP_BROWSER=1`, warning loudly; CI (`CI` set)
/// never skips.
fn skipped() -> bool {
    if std::env::var_os(SKIP_VAR).is_none() {
        return false;
    }
    if std::env::var_os("CI").is_some() {
        warn(&format!("{SKIP_VAR} is ignored in CI: the console browser test runs"));
        return false;
    }
    warn(&format!("WARNING: {SKIP_VAR} is set: the admin console was NOT tested in a browser"));
    true
}

/// Writes to the real stderr: the test harness shows `eprintln!` only for failed tests.
fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

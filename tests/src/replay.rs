//! Replays the request/response fixtures under `tests/fixtures/` (their format:
//! `tests/fixtures/README.md`) against a real server: each fixture file gets a fresh server
//! and connection, its steps run in order, and every mismatch is reported with the file and
//! the step it comes from.

mod matcher;
mod template;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::{Credentials, Server};
use template::{Vars, as_var, encode_target, substitute, substitute_json};

/// The fixture root, `tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    crate::workspace().join("tests/fixtures")
}

/// What went wrong in one step.
#[derive(Debug)]
pub struct Failure {
    /// The fixture file, relative to the fixture root.
    pub file: String,
    /// The step's 1-based position.
    pub step: usize,
    /// The step's name.
    pub name: String,
    /// The request as sent, the mismatches, and the response.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} step {} \"{}\":\n{}", self.file, self.step, self.name, self.message)
    }
}

/// The outcome of replaying fixtures.
#[derive(Debug, Default)]
pub struct Report {
    /// Files replayed.
    pub files: usize,
    /// Steps run.
    pub steps: usize,
    /// Failed steps.
    pub failures: Vec<Failure>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} files, {} steps, {} failed", self.files, self.steps, self.failures.len())?;
        for failure in &self.failures {
            writeln!(f, "\n--- {failure}")?;
        }
        Ok(())
    }
}

/// The fixture files of directory `dir` (not recursive), sorted by name.
pub fn fixture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Replays every fixture file of `dir`, each against a fresh server and connection.
pub fn replay_dir(dir: &Path) -> Report {
    replay_dir_on(dir, &mut || idplex_host::StoreSpec::Sqlite)
}

/// As [`replay_dir`], with each fresh server on the key-value store `store()` gives (a shared
/// store must give an empty one each time, e.g. another Redis database).
pub fn replay_dir_on(dir: &Path, store: &mut dyn FnMut() -> idplex_host::StoreSpec) -> Report {
    let mut report = Report::default();
    for file in fixture_files(dir) {
        replay_file(&file, store(), &mut report);
    }
    report
}

/// Replays one fixture file against a fresh server on the key-value store `store` and a fresh
/// connection, adding to `report`.
pub fn replay_file(file: &Path, store: idplex_host::StoreSpec, report: &mut Report) {
    let label = file.strip_prefix(fixtures_dir()).unwrap_or(file).display().to_string();
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{label}: {e}"));
    let fixture: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{label} is not JSON: {e}"));
    check_keys(&fixture, &["source", "description", "connection", "steps"], &label).unwrap_or_else(|e| panic!("{e}"));
    let steps = fixture["steps"].as_array().unwrap_or_else(|| panic!("{label}: steps must be an array"));
    assert!(fixture["source"].is_string(), "{label}: source is required");

    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start_on(data.path(), store);
    let credentials = server.client().create_connection(fixture["connection"].as_str().or(Some(&label)));
    let mut vars = Vars::from([
        ("base".to_owned(), credentials.scim_url.clone()),
        ("connection".to_owned(), credentials.id.clone()),
        ("token".to_owned(), credentials.token.clone()),
        ("origin".to_owned(), server.url.clone()),
    ]);
    let http = reqwest::blocking::Client::new();
    report.files += 1;
    for (i, step) in steps.iter().enumerate() {
        let name = step["name"].as_str().unwrap_or_else(|| panic!("{label} step {}: name is required", i + 1));
        check_keys(step, &["name", "note", "request", "expect"], &format!("{label} step {}", i + 1))
            .unwrap_or_else(|e| panic!("{e}"));
        report.steps += 1;
        if let Err(message) = run_step(&http, &credentials, step, &mut vars) {
            report.failures.push(Failure { file: label.clone(), step: i + 1, name: name.to_owned(), message });
        }
    }
    server.stop();
}

/// Rejects keys a fixture object may not have (a misspelt `capture` would otherwise be
/// silently ignored).
fn check_keys(value: &Value, allowed: &[&str], at: &str) -> Result<(), String> {
    match value.as_object().into_iter().flatten().map(|(k, _)| k).find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!("{at}: unknown key {key:?} in the fixture (allowed: {allowed:?})")),
        None => Ok(()),
    }
}

/// A response as the matcher sees it.
struct Received {
    status: u16,
    headers: Vec<(String, String)>,
    text: String,
    json: Option<Value>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn run_step(
    http: &reqwest::blocking::Client,
    credentials: &Credentials,
    step: &Value,
    vars: &mut Vars,
) -> Result<(), String> {
    let request = &step["request"];
    check_keys(request, &["method", "path", "headers", "auth", "body", "rawBody"], "request")?;
    let expect = &step["expect"];
    check_keys(expect, &["status", "headers", "body", "capture"], "expect")?;
    let method = request["method"].as_str().ok_or("request.method is required")?;
    let path = substitute(request["path"].as_str().ok_or("request.path is required")?, vars)?;
    let target = format!("{}{}", credentials.scim_url, encode_target(&path));
    let shown = format!("{method} {path}");

    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in request["headers"].as_object().into_iter().flatten() {
        headers.push((name.clone(), substitute(value.as_str().ok_or("header values must be strings")?, vars)?));
    }
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let body = match (&request["body"], &request["rawBody"]) {
        (Value::Null, Value::Null) => None,
        (Value::Null, Value::String(raw)) => Some(substitute(raw, vars)?),
        (json, Value::Null) => Some(substitute_json(json, vars)?.to_string()),
        _ => return Err("give body or rawBody, not both".into()),
    };

    let mut builder = http
        .request(reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?, &target)
        .timeout(Duration::from_secs(60));
    if request["auth"].as_str() != Some("none") && !has("authorization") {
        builder = builder.bearer_auth(&credentials.token);
    }
    if body.is_some() && !has("content-type") {
        builder = builder.header("content-type", "application/scim+json");
    }
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &body {
        builder = builder.body(body.clone());
    }
    let response = builder.send().map_err(|e| format!("{shown}: no response: {e}"))?;
    let status = response.status().as_u16();
    let response_headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let text = response.text().unwrap_or_default();
    let received = Received { status, headers: response_headers, json: serde_json::from_str(&text).ok(), text };

    // Captures first, so that the step's own expectations may name them (`meta.location`
    // holding the `id` just assigned).
    let mut errors = capture(expect, &received, vars)?;
    errors.extend(compare(expect, &received, vars)?);
    if errors.is_empty() { Ok(()) } else { Err(describe(&shown, &headers, body.as_deref(), &errors, &received)) }
}

fn compare(expect: &Value, received: &Received, vars: &Vars) -> Result<Vec<String>, String> {
    let mut errors = Vec::new();
    let statuses: Vec<u64> = match &expect["status"] {
        Value::Number(n) => n.as_u64().into_iter().collect(),
        Value::Array(list) => list.iter().filter_map(Value::as_u64).collect(),
        _ => return Err("expect.status is required (a number or a list of numbers)".into()),
    };
    if !statuses.contains(&u64::from(received.status)) {
        errors.push(format!("status: expected {}, got {}", expect["status"], received.status));
    }
    for (name, want) in expect["headers"].as_object().into_iter().flatten() {
        let want = substitute_json(want, vars)?;
        let have = received.header(name).map(|v| Value::String(v.to_owned()));
        matcher::check(&want, have.as_ref(), &format!("header {name}"), &mut errors);
    }
    if !expect["body"].is_null() {
        let want = substitute_json(&expect["body"], vars)?;
        match &received.json {
            Some(json) => matcher::check(&want, Some(json), "", &mut errors),
            None => errors.push("body: expected JSON, got none".into()),
        }
    }
    Ok(errors)
}

/// Binds the step's captures; returns what could not be captured.
fn capture(expect: &Value, received: &Received, vars: &mut Vars) -> Result<Vec<String>, String> {
    let mut missing = Vec::new();
    for (var, source) in expect["capture"].as_object().into_iter().flatten() {
        let source = source.as_str().ok_or("capture sources must be strings")?;
        let value = match source.strip_prefix("header:") {
            Some(header) => received.header(header).map(str::to_owned),
            None => received.json.as_ref().and_then(|j| j.pointer(source)).map(as_var),
        };
        match value {
            Some(value) => {
                vars.insert(var.clone(), value);
            }
            None => missing.push(format!("capture {var}: nothing at {source} in the response")),
        }
    }
    Ok(missing)
}

fn describe(
    shown: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    errors: &[String],
    received: &Received,
) -> String {
    let mut out = format!("  request: {shown}\n");
    for (name, value) in headers {
        out.push_str(&format!("    {name}: {value}\n"));
    }
    if let Some(body) = body {
        out.push_str(&format!("    {}\n", truncate(body, 1500)));
    }
    for error in errors {
        out.push_str(&format!("  mismatch: {error}\n"));
    }
    let shown_body = match &received.json {
        Some(json) => serde_json::to_string_pretty(json).unwrap_or_default(),
        None => received.text.clone(),
    };
    let etag = received.header("etag").map(|e| format!(" (etag {e})")).unwrap_or_default();
    out.push_str(&format!(
        "  response: {}{etag}\n    {}",
        received.status,
        truncate(&shown_body, 3000).replace('\n', "\n    ")
    ));
    out
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}… ({} more bytes)", &text[..at], text.len() - at),
        None => text.to_owned(),
    }
}

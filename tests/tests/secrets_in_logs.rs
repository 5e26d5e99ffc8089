//! No token reaches the logs: the real `idplex serve` executable at `RUST_LOG=trace`, its stdout
//! and stderr captured whole, through a run that issues, rotates, uses and mis-uses every kind
//! of token; then neither any token nor its SHA-256 (a verifier: it confirms a guess) nor its
//! base64 or hex encoding may appear anywhere in what it printed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use base64::Engine as _;
use idplex_e2e::process::idplex_bin;
use idplex_e2e::{Client, Credentials, component_path, user};
use idplex_host::sha256_hex;
use serde_json::{Value, json};

/// Everything at trace level but the code generator: compiling the component happens before
/// any request and sees no token, and at trace level it prints the IR of every function
/// (hundreds of megabytes) whenever wasmtime's cache misses.
const RUST_LOG: &str = "trace,cranelift_codegen=info,cranelift_frontend=info,regalloc2=info,\
                        wasmtime_internal_cranelift=info,wasmtime_cranelift=info";

/// `idplex serve` with both output streams written to files.
struct Logged {
    child: Child,
    url: String,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Logged {
    /// Starts `idplex serve` over `dir` with `args` added, at [`RUST_LOG`].
    fn start(dir: &Path, args: &[&str]) -> Logged {
        let (stdout, stderr) = (dir.join("stdout.log"), dir.join("stderr.log"));
        let create = |path: &Path| std::fs::File::create(path).expect("log file");
        let child = Command::new(idplex_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.join("data"))
            .arg("--component")
            .arg(component_path())
            .args(args)
            .env("RUST_LOG", RUST_LOG)
            .env_remove("IDPLEX_ADMIN_TOKEN")
            .env_remove("IDPLEX_ADMIN_TOKEN_FILE")
            .stdout(create(&stdout))
            .stderr(create(&stderr))
            .spawn()
            .expect("idplex starts");
        let started = Instant::now();
        let url = loop {
            let printed = std::fs::read_to_string(&stdout).unwrap_or_default();
            if let Some(addr) = printed.lines().find_map(|l| l.strip_prefix("idplex is listening on ")) {
                break format!("http://{}", addr.trim());
            }
            assert!(started.elapsed() < Duration::from_secs(120), "idplex did not start: {printed}");
            std::thread::sleep(Duration::from_millis(50));
        };
        Logged { child, url, stdout, stderr }
    }

    /// Stops the process; returns everything it printed, stdout then stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let read = |path: &Path| std::fs::read_to_string(path).expect("log file");
        format!("{}{}", read(&self.stdout), read(&self.stderr))
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every form of `token` that must not be logged.
fn forms(token: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let hash = sha256_hex(token);
    let mut forms = vec![
        token.to_owned(),
        hash.to_uppercase(),
        hash,
        b64.encode(token),
        b64url.encode(token),
        token.bytes().map(|b| format!("{b:02x}")).collect(),
    ];
    // The random part alone, as a log that strips the prefix would show it.
    if let Some((_, secret)) = token.split_once('_').filter(|(_, s)| s.len() >= 20) {
        forms.push(secret.to_owned());
    }
    forms
}

/// Asserts no form of any of `tokens` appears in `logs`.
fn assert_no_token(logs: &str, tokens: &[(&str, String)]) {
    for (what, token) in tokens {
        for form in forms(token) {
            assert!(!logs.contains(&form), "the logs show {what} (as {form})");
        }
    }
}

/// A wrong token in the exact shape of a real one.
fn forged(n: u8) -> String {
    format!("idplex_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([n; 32]))
}

#[test]
fn no_token_issued_or_presented_reaches_the_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let admin_token = format!("idplex_admin_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 32]));
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, format!("{admin_token}\n")).expect("token file");
    let server = Logged::start(dir.path(), &["--admin-token-file", token_file.to_str().expect("utf-8 path")]);
    let http = reqwest::blocking::Client::new();
    let send = |method: &str, path: &str, authorization: Option<&str>, body: Option<&Value>| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = http.request(method, format!("{}{path}", server.url));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/scim+json").body(body.to_string());
        }
        request.send().expect("the server answers").status().as_u16()
    };
    let bearer = |token: &str| format!("Bearer {token}");
    let admin = |method: &str, path: &str, body: Option<&Value>| -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = http
            .request(method, format!("{}/admin/api/v1{path}", server.url))
            .bearer_auth(&admin_token)
            .json(&body.cloned().unwrap_or(json!({})))
            .send()
            .expect("the server answers");
        assert!(response.status().is_success(), "admin {path}: {}", response.status());
        response.json().unwrap_or(Value::Null)
    };
    let credentials = |reply: &Value| Credentials {
        id: reply["id"].as_str().expect("id").to_owned(),
        scim_url: reply["scimUrl"].as_str().expect("scimUrl").to_owned(),
        token: reply["token"].as_str().expect("token").to_owned(),
    };

    // Issue, use, rotate, delete.
    let a = credentials(&admin("POST", "/connections", Some(&json!({"name": "Okta"}))));
    let b = credentials(&admin("POST", "/connections", Some(&json!({"name": "Entra"}))));
    let scim = Client::new(&server.url);
    let alice = scim.scim(&a, "POST", "/Users", Some(&user("alice@logs.example")));
    assert_eq!(alice.status, 201);
    assert_eq!(scim.scim(&b, "POST", "/Users", Some(&user("bob@logs.example"))).status, 201);
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Logs",
                       "members": [{"value": alice.json["id"]}]});
    assert_eq!(scim.scim(&a, "POST", "/Groups", Some(&group)).status, 201);
    assert_eq!(scim.scim(&a, "GET", "/Users?filter=userName%20eq%20%22alice@logs.example%22", None).status, 200);
    let a2 = Credentials {
        token: admin("POST", &format!("/connections/{}/token", a.id), None)["token"]
            .as_str()
            .expect("token")
            .to_owned(),
        ..a.clone()
    };
    assert_eq!(scim.scim(&a2, "GET", "/Users", None).status, 200);
    admin("GET", "/connections", None);
    admin("GET", "/users", None);

    // Refused: old, wrong, crossed and misplaced tokens.
    let (wrong_scim, wrong_admin) = (forged(1), forged(2));
    let users_a = format!("/scim/v2/{}/Users", a.id);
    let users_b = format!("/scim/v2/{}/Users", b.id);
    let refused = [
        send("GET", &users_a, Some(&bearer(&a.token)), None),
        send("GET", &users_a, Some(&bearer(&wrong_scim)), None),
        send("GET", &users_a, Some(&bearer(&b.token)), None),
        send("GET", &users_a, Some(&bearer(&admin_token)), None),
        send(
            "GET",
            &users_a,
            Some(&format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(&a2.token))),
            None,
        ),
        send("GET", &format!("{users_a}?access_token={}", a2.token), None, None),
        send("GET", &format!("/scim/v2/{}/Users", "a".repeat(26)), Some(&bearer(&a2.token)), None),
        send("GET", "/admin/api/v1/connections", Some(&bearer(&wrong_admin)), None),
        send("GET", "/admin/api/v1/connections", Some(&bearer(&a2.token)), None),
        send("POST", "/admin/api/v1/connections", Some(&format!("bearer {admin_token}x")), Some(&json!({}))),
    ];
    assert!(refused.iter().all(|status| *status == 401), "{refused:?}");

    admin("DELETE", &format!("/connections/{}", b.id), None);
    assert_eq!(send("GET", &users_b, Some(&bearer(&b.token)), None), 401);
    let logs = server.stop();

    // Positive control: the logs are those of this run, at trace level, with its requests.
    assert!(logs.contains("idplex is listening on"), "stdout is captured");
    assert!(logs.contains(&format!("/admin/api/v1/connections/{}/token", a.id)), "request lines are logged:\n{logs}");
    assert!(logs.contains(&users_a) && logs.contains("status=401"), "refused requests are logged:\n{logs}");
    assert!(logs.contains("DEBUG") || logs.contains("TRACE"), "RUST_LOG=trace is in effect");

    assert_no_token(
        &logs,
        &[
            ("the admin token", admin_token.clone()),
            ("connection A's first token", a.token),
            ("connection A's regenerated token", a2.token),
            ("connection B's token (deleted since)", b.token),
            ("a wrong SCIM token", wrong_scim),
            ("a wrong admin token", wrong_admin),
        ],
    );
}

#[test]
fn admin_token_on_the_command_line_is_warned_about_without_being_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let admin_token = format!("idplex_admin_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([9u8; 32]));
    let server = Logged::start(dir.path(), &["--admin-token", &admin_token]);
    let client = reqwest::blocking::Client::new();
    let status = client
        .get(format!("{}/admin/api/v1/connections", server.url))
        .bearer_auth(&admin_token)
        .send()
        .expect("the server answers")
        .status();
    assert_eq!(status, 200, "the token given on the command line is in effect");
    let logs = server.stop();
    assert!(logs.contains("--admin-token-file"), "the warning names the alternatives:\n{logs}");
    assert_no_token(&logs, &[("the admin token", admin_token)]);
}

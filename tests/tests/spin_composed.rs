//! The Spin deployment without a Spin install: the app `spin.toml` defines (the `host/spin`
//! front plus the idplex component as its dependency) is composed as Spin composes it, checked
//! against what a stock Spin 3.x host provides, and served over real HTTP by wasmtime with
//! `wasmtime-wasi-http`, the host's SQLite `wasi:keyvalue` and `wasi:config` holding the
//! variables as Spin resolves them. The core scenario then runs against it.
//!
//! Needs the built components: `cargo build --release --target wasm32-wasip2 -p idplex-component
//! -p idplex-spin`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use idplex_e2e::spin::host_interfaces::HostInterfaces;
use idplex_e2e::spin::manifest::{Inherit, resolve_path};
use idplex_e2e::spin::server::{SpinApp, SpinServer};
use idplex_e2e::spin::{BUILD_COMMAND, ComposedApp, ROUTE, manifest_path, spin_3_host_interfaces_path};
use idplex_e2e::{ADMIN_TOKEN, Credentials, user};
use serde_json::json;

/// The composed app and its compiled form, built once per test process.
fn app() -> &'static (ComposedApp, SpinApp) {
    static APP: OnceLock<(ComposedApp, SpinApp)> = OnceLock::new();
    APP.get_or_init(|| {
        let composed = ComposedApp::load(&manifest_path()).unwrap_or_else(|e| panic!("{e:#}"));
        let compiled = SpinApp::load(&composed.bytes).unwrap_or_else(|e| panic!("{e:#}"));
        (composed, compiled)
    })
}

/// The component's `wasi:config` values as `spin up` resolves them with `provided` variables.
fn variables(provided: &[(&str, &str)]) -> BTreeMap<String, String> {
    let (composed, _) = app();
    let provided = provided.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let component = &composed.manifest.component[&composed.component_id];
    composed.manifest.resolve_variables(component, &provided).unwrap_or_else(|e| panic!("{e:#}"))
}

fn start(data: &std::path::Path, provided: &[(&str, &str)]) -> SpinServer {
    SpinServer::start(&app().1, data, variables(provided)).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn spin_toml_points_at_the_files_the_build_produces() {
    let path = manifest_path();
    let (composed, _) = app();
    let manifest = &composed.manifest;
    assert_eq!(manifest.application.name, "idplex");
    let (id, front) = manifest.http_component(ROUTE).expect("an HTTP component");
    assert_eq!(id, "idplex");
    let built = idplex_e2e::workspace().join("target/wasm32-wasip2/release");
    assert_eq!(resolve_path(&path, &front.source), built.join("idplex_spin.wasm"));
    assert_eq!(front.key_value_stores, ["default"]);

    let dependency = &front.dependencies["idplex:scim/handler@0.1.0"];
    assert_eq!(resolve_path(&path, &dependency.path), built.join("idplex_component.wasm"));
    assert_eq!(
        dependency.inherit_configuration,
        Some(Inherit::Keys(vec!["key_value_stores".into(), "variables".into()]))
    );
    assert_eq!(front.dependencies.len(), 1);

    let admin = &manifest.variables["admin_token"];
    assert!(admin.required && admin.secret && admin.default.is_none());
    assert_eq!(manifest.variables["public_base_url"].default.as_deref(), Some(""));
    assert_eq!(front.variables["admin_token"], "{{ admin_token }}");
    assert_eq!(front.variables["public_base_url"], "{{ public_base_url }}");
    assert_eq!(front.build.as_ref().map(|b| b.command.as_str()), Some(BUILD_COMMAND));
}

#[test]
fn runtime_config_examples_define_the_default_store() {
    for (file, kind) in [("runtime-config.sqlite.toml", "spin"), ("runtime-config.redis.toml", "redis")] {
        let path = idplex_e2e::workspace().join("host/spin").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let config: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(config["key_value_store"]["default"]["type"].as_str(), Some(kind), "{file}");
    }
}

#[test]
fn admin_token_is_required_and_public_base_url_defaults_to_empty() {
    let (composed, _) = app();
    let component = &composed.manifest.component[&composed.component_id];
    let missing = composed.manifest.resolve_variables(component, &BTreeMap::new());
    assert!(missing.is_err(), "spin up refuses to start without admin_token");
    let resolved = variables(&[("admin_token", "s3cret")]);
    assert_eq!(resolved["admin_token"], "s3cret");
    assert_eq!(resolved["public_base_url"], "");
}

#[test]
fn composed_component_imports_only_what_a_stock_spin_3_host_provides() {
    let (_, compiled) = app();
    let host = HostInterfaces::load(&spin_3_host_interfaces_path()).expect("fixture");
    assert!(host.len() > 40, "the fixture lists the Spin 3.0 platform");
    let imports = compiled.imports();
    assert_eq!(host.missing(&imports), Vec::<&str>::new(), "imports: {imports:#?}");
    for needed in [
        "wasi:keyvalue/store@0.2.0-draft2",
        "wasi:keyvalue/atomics@0.2.0-draft2",
        "wasi:config/store@0.2.0-draft-2024-09-27",
    ] {
        assert!(imports.iter().any(|i| i == needed), "{needed} is imported: {imports:#?}");
    }
    assert!(!imports.iter().any(|i| i.starts_with("idplex:")), "the handler import is satisfied inside");
    assert_eq!(compiled.exports(), ["wasi:http/incoming-handler@0.2.0"]);
}

#[test]
fn two_connections_provision_list_rotate_delete_and_survive_restart_on_spin() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = start(data.path(), &[("admin_token", ADMIN_TOKEN)]);
    let client = server.client();

    // public_base_url is empty: URLs come from the request's host.
    let a = client.create_connection(Some("Company A - Okta"));
    let b = client.create_connection(None);
    assert!(a.scim_url.starts_with(&server.url) && a.scim_url.ends_with(&format!("/scim/v2/{}", a.id)));
    assert_ne!(a.token, b.token);
    assert_eq!(client.send("GET", "/admin/api/v1/connections", Some("wrong"), None, &[]).status, 401);

    for name in ["alice@a.example", "shared@x.example"] {
        assert_eq!(client.scim(&a, "POST", "/Users", Some(&user(name))).status, 201);
    }
    for name in ["bob@b.example", "shared@x.example"] {
        assert_eq!(client.scim(&b, "POST", "/Users", Some(&user(name))).status, 201);
    }
    let dup = client.scim(&a, "POST", "/Users", Some(&user("Shared@X.example")));
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json["scimType"], "uniqueness");
    assert_eq!(dup.header("content-type"), Some("application/scim+json"));

    let crossed = Credentials { token: a.token.clone(), ..b.clone() };
    let denied = client.scim(&crossed, "GET", "/Users", None);
    assert_eq!(denied.status, 401);
    assert!(denied.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));

    let all = client.admin("GET", "/users", None);
    assert_eq!(all.json["totalResults"], 4);
    let only_b = client.admin("GET", &format!("/users?connection={}", b.id), None);
    assert_eq!(only_b.user_names(), vec!["bob@b.example", "shared@x.example"]);

    let renamed = client.admin("PATCH", &format!("/connections/{}", b.id), Some(&json!({"name": "Company B - Entra"})));
    assert_eq!(renamed.status, 200);
    let listed = client.admin("GET", &format!("/users?connection={}", b.id), None);
    assert!(listed.json["users"].as_array().expect("users").iter().all(|u| u["connectionName"] == "Company B - Entra"));

    let regenerated = client.admin("POST", &format!("/connections/{}/token", a.id), None);
    assert_eq!(regenerated.status, 200);
    let fresh = Credentials { token: regenerated.json["token"].as_str().expect("token").to_owned(), ..a.clone() };
    assert_eq!(client.scim(&a, "GET", "/Users", None).status, 401);
    assert_eq!(client.scim(&fresh, "GET", "/Users", None).status, 200);

    // Restart over the same key-value store: everything is still there.
    server.stop();
    let server = start(data.path(), &[("admin_token", ADMIN_TOKEN)]);
    let client = server.client();
    let on_new = |c: &Credentials| Credentials { scim_url: format!("{}/scim/v2/{}", server.url, c.id), ..c.clone() };
    let (fresh, b) = (on_new(&fresh), on_new(&b));
    assert_eq!(client.admin("GET", "/users", None).json["totalResults"], 4);
    let found = client.scim(&fresh, "GET", "/Users?filter=userName%20eq%20%22alice%40a.example%22", None);
    assert_eq!(found.json["totalResults"], 1);

    assert_eq!(client.admin("DELETE", &format!("/connections/{}", b.id), None).status, 204);
    assert_eq!(client.scim(&b, "GET", "/Users", None).status, 401);
    assert_eq!(client.admin("GET", "/users", None).user_names(), vec!["alice@a.example", "shared@x.example"]);
}

#[test]
fn concurrent_creates_of_one_user_name_make_exactly_one_user_on_spin() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = start(data.path(), &[("admin_token", ADMIN_TOKEN)]);
    let client = server.client();
    let c = client.create_connection(Some("Race"));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (client, c) = (client.clone(), c.clone());
                s.spawn(move || client.scim(&c, "POST", "/Users", Some(&user("racer@x.example"))).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15, "{statuses:?}");
    assert_eq!(client.scim(&c, "GET", "/Users", None).json["totalResults"], 1);
}

#[test]
fn public_base_url_variable_sets_the_scim_urls() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = start(data.path(), &[("admin_token", ADMIN_TOKEN), ("public_base_url", "https://idp.example.com/")]);
    let reply = server.client().admin("POST", "/connections", Some(&json!({"name": "Configured"})));
    assert_eq!(reply.status, 201);
    let id = reply.json["id"].as_str().expect("id");
    assert_eq!(reply.json["scimUrl"], format!("https://idp.example.com/scim/v2/{id}"));
}

#[test]
fn console_is_served_through_the_front_with_its_headers() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = start(data.path(), &[("admin_token", ADMIN_TOKEN)]);
    let response = reqwest::blocking::get(format!("{}/", server.url)).expect("get");
    assert_eq!(response.status().as_u16(), 200);
    let csp =
        response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(response.text().expect("body").contains("<title>"));
}

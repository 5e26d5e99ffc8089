//! The admin API against its own OpenAPI 3.1 document, through the real host: the document
//! (fetched without credentials from `/admin/api/v1/openapi.json`) is sound; every documented
//! operation is called and answers a documented status with a body its schema accepts
//! (objects are `additionalProperties: false`, so an undocumented member fails); error
//! statuses 400, 401, 404, 405 and 409 are among them; every method the document leaves out
//! of a path answers 405 and every path around the documented ones answers 404, so the router
//! serves nothing the document does not describe.

#[path = "admin_openapi/document.rs"]
mod document;
#[path = "admin_openapi/schema.rs"]
mod schema;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use idplex_e2e::{ADMIN_TOKEN, Client, Reply, Server};
use serde_json::{Value, json};

const PREFIX: &str = "/admin/api/v1";
const HR: &str = "urn:ietf:params:scim:schemas:extension:acmehr:2.0:User";
const BADGE: &str = "urn:example:idplex:badge:1.0:User";

/// Which credentials a call presents.
#[derive(Clone, Copy, PartialEq)]
enum Auth {
    Admin,
    Missing,
    Wrong,
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether `path` (no query) matches the path template `template` segment by segment.
fn matches_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

/// The admin API as the document describes it, and what the test has seen of it.
struct Api {
    client: Client,
    document: Value,
    /// (operationId, status) of every call made.
    seen: RefCell<BTreeSet<(String, u16)>>,
}

impl Api {
    fn operation(&self, method: &str, template: &str) -> (&Value, &Value) {
        let item = &self.document["paths"][template];
        let operation = &item[method.to_ascii_lowercase()];
        assert!(operation.is_object(), "the test calls {method} {template}, which the document does not describe");
        (item, operation)
    }

    fn operation_id(&self, method: &str, template: &str) -> String {
        self.operation(method, template).1["operationId"].as_str().expect("operationId").to_owned()
    }

    /// Calls `method template` with `args` in place of the template's parameters, and checks
    /// the call and its answer against the document; the answer's status must be `expect`.
    fn call(
        &self,
        method: &str,
        template: &str,
        args: &[&str],
        query: &str,
        body: Option<&Value>,
        expect: u16,
    ) -> Reply {
        self.call_as(Auth::Admin, method, template, args, query, body, &[], expect)
    }

    #[expect(clippy::too_many_arguments, reason = "one call, every part of an HTTP request")]
    fn call_as(
        &self,
        auth: Auth,
        method: &str,
        template: &str,
        args: &[&str],
        query: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        expect: u16,
    ) -> Reply {
        let (item, operation) = self.operation(method, template);
        let id = self.operation_id(method, template);
        let names = document::template_names(template);
        assert_eq!(names.len(), args.len(), "{id}: arguments for {names:?}");
        let mut path = template.to_owned();
        for (name, arg) in names.iter().zip(args) {
            path = path.replace(&format!("{{{name}}}"), &encode(arg));
        }
        let parameters = document::parameters(&self.document, item, operation);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let name = pair.split('=').next().unwrap_or_default();
            assert!(
                parameters.iter().any(|p| p["in"] == "query" && p["name"] == name),
                "{id}: query parameter {name} is not in the document"
            );
        }
        if let Some(body) = body {
            let request_body = operation.get("requestBody").map(|b| document::deref(&self.document, b));
            let request_body =
                request_body.unwrap_or_else(|| panic!("{id}: sends a body the document does not describe"));
            if (200..300).contains(&expect) {
                let schema = &request_body["content"]["application/json"]["schema"];
                let errors = schema::validate(&self.document, schema, body, "request");
                assert!(errors.is_empty(), "{id}: the test's valid request body fails the document: {errors:?}");
            }
        }
        let url = if query.is_empty() { format!("{PREFIX}{path}") } else { format!("{PREFIX}{path}?{query}") };
        let token = match auth {
            Auth::Admin => Some(ADMIN_TOKEN),
            Auth::Missing => None,
            Auth::Wrong => Some("idplex_admin_not-the-token"),
        };
        let reply = self.client.send(method, &url, token, body, headers);
        assert_eq!(reply.status, expect, "{id} {url}: {:?}", reply.json);
        if reply.status == 401 {
            let security = operation.get("security").unwrap_or(&self.document["security"]);
            assert!(security.as_array().is_some_and(|s| !s.is_empty()), "{id}: 401 but documented as public");
        }
        let documented = operation["responses"]
            .get(reply.status.to_string())
            .or_else(|| operation["responses"].get("default"))
            .unwrap_or_else(|| panic!("{id}: status {} is not documented", reply.status));
        self.check_response(&id, document::deref(&self.document, documented), &reply);
        self.seen.borrow_mut().insert((id, reply.status));
        reply
    }

    /// Checks an answer's headers and body against a documented response.
    fn check_response(&self, id: &str, documented: &Value, reply: &Reply) {
        for (name, header) in documented["headers"].as_object().into_iter().flatten() {
            let header = document::deref(&self.document, header);
            match reply.header(name) {
                Some(value) => {
                    let errors = schema::validate(&self.document, &header["schema"], &json!(value), name);
                    assert!(errors.is_empty(), "{id} {}: header {errors:?}", reply.status);
                }
                None => assert!(header["required"] != true, "{id} {}: required header {name} missing", reply.status),
            }
        }
        match documented["content"].as_object() {
            Some(content) => {
                let (media_type, media) = content.iter().next().expect("a media type");
                let actual = reply.header("content-type").unwrap_or_default();
                assert!(actual.starts_with(media_type.as_str()), "{id} {}: content-type {actual}", reply.status);
                let errors = schema::validate(&self.document, &media["schema"], &reply.json, "body");
                assert!(errors.is_empty(), "{id} {}: the answer fails the document: {errors:#?}", reply.status);
            }
            None => assert!(reply.json.is_null(), "{id} {}: undocumented body {:?}", reply.status, reply.json),
        }
    }

    /// Checks an error answer outside any operation (404, 405) against the document's Error.
    fn check_error(&self, what: &str, reply: &Reply, status: u16, code: &str) {
        assert_eq!(reply.status, status, "{what}: {:?}", reply.json);
        let schema = json!({"$ref": "#/components/schemas/Error"});
        let errors = schema::validate(&self.document, &schema, &reply.json, "body");
        assert!(errors.is_empty(), "{what}: {errors:?}");
        assert_eq!(reply.json["error"]["code"], code, "{what}");
    }

    /// Every documented (path template, method).
    fn operations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (template, item) in self.document["paths"].as_object().into_iter().flatten() {
            for method in document::METHODS.iter().filter(|m| item[**m].is_object()) {
                out.push((template.clone(), method.to_ascii_uppercase()));
            }
        }
        out
    }

    /// `template` with each parameter replaced by `values[name]`.
    fn fill(template: &str, values: &BTreeMap<&str, String>) -> String {
        let mut path = template.to_owned();
        for name in document::template_names(template) {
            let value = values.get(name).unwrap_or_else(|| panic!("no probe value for {{{name}}}"));
            path = path.replace(&format!("{{{name}}}"), &encode(value));
        }
        path
    }
}

fn hr_schema(description: &str) -> Value {
    json!({
        "id": HR, "name": "AcmeHR", "description": description, "resourceType": "User",
        "attributes": [
            {"name": "level", "type": "integer", "required": true},
            {"name": "badge", "type": "complex", "subAttributes": [{"name": "number", "type": "string"}]},
            {"name": "site", "type": "reference", "referenceTypes": ["external"]}
        ]
    })
}

#[test]
fn every_route_status_and_body_is_as_the_openapi_document_says() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();

    // The document: public, cacheable by revalidation, and sound.
    let fetched = client.send("GET", &format!("{PREFIX}/openapi.json"), None, None, &[]);
    assert_eq!(fetched.status, 200, "{:?}", fetched.json);
    let document = fetched.json.clone();
    let problems = document::problems(&document);
    assert!(problems.is_empty(), "the OpenAPI document is not sound:\n{}", problems.join("\n"));
    let api = Api { client: client.clone(), document, seen: RefCell::default() };
    let served = api.call_as(Auth::Missing, "GET", "/openapi.json", &[], "", None, &[], 200);
    let etag = served.header("etag").expect("etag").to_owned();
    let revalidated =
        api.call_as(Auth::Missing, "GET", "/openapi.json", &[], "", None, &[("if-none-match", &etag)], 304);
    assert_eq!(revalidated.header("etag"), Some(etag.as_str()));
    api.call_as(Auth::Wrong, "GET", "/openapi.json", &[], "", None, &[], 200);

    // Connections.
    let okta = api.call("POST", "/connections", &[], "", Some(&json!({"name": "Okta"})), 201);
    let okta_id = okta.json["id"].as_str().expect("id").to_owned();
    assert_eq!(okta.header("location"), Some(format!("{PREFIX}/connections/{okta_id}").as_str()));
    let entra = api.call("POST", "/connections", &[], "", None, 201);
    let entra_id = entra.json["id"].as_str().expect("id").to_owned();
    api.call("POST", "/connections", &[], "", Some(&json!({"name": "Okta"})), 409);
    api.call("POST", "/connections", &[], "", Some(&json!({"name": 7})), 400);
    api.call("POST", "/connections", &[], "", Some(&json!([])), 400);
    let listed = api.call("GET", "/connections", &[], "", None, 200);
    assert_eq!(listed.json["connections"].as_array().map(Vec::len), Some(2));
    let page = api.call("GET", "/connections", &[], "startIndex=2&count=1", None, 200);
    assert_eq!((page.json["totalResults"].as_u64(), page.json["itemsPerPage"].as_u64()), (Some(2), Some(1)));
    api.call("GET", "/connections", &[], "count=all", None, 400);
    api.call("GET", "/connections/{id}", &[&okta_id], "", None, 200);
    api.call("GET", "/connections/{id}", &["c_nosuchconnection"], "", None, 404);
    let renamed = api.call("PATCH", "/connections/{id}", &[&okta_id], "", Some(&json!({"name": "Okta prod"})), 200);
    assert_eq!(renamed.json["name"], "Okta prod");
    let strict =
        api.call("PATCH", "/connections/{id}", &[&okta_id], "", Some(&json!({"acceptUnknownExtensions": false})), 200);
    assert_eq!(strict.json["acceptUnknownExtensions"], false);
    api.call("PATCH", "/connections/{id}", &[&okta_id], "", Some(&json!({})), 400);
    api.call("PATCH", "/connections/{id}", &[&okta_id], "", Some(&json!({"enabled": "no"})), 400);
    let entra_creds = idplex_e2e::Credentials {
        id: entra_id.clone(),
        scim_url: entra.json["scimUrl"].as_str().expect("scimUrl").to_owned(),
        token: entra.json["token"].as_str().expect("token").to_owned(),
    };
    let twin = idplex_e2e::user("alice");
    assert_eq!(client.scim(&entra_creds, "POST", "/Users", Some(&twin)).status, 201);
    let disabled = api.call("PATCH", "/connections/{id}", &[&entra_id], "", Some(&json!({"enabled": false})), 200);
    assert_eq!(disabled.json["enabled"], false);
    api.call("PATCH", "/connections/{id}", &[&entra_id], "", Some(&json!({"name": "Okta prod"})), 409);
    api.call("PATCH", "/connections/{id}", &["c_nosuchconnection"], "", Some(&json!({"name": "x"})), 404);
    let regenerated = api.call("POST", "/connections/{id}/token", &[&okta_id], "", None, 200);
    assert!(regenerated.json["previousTokenExpires"].is_null());
    let graced = api.call("POST", "/connections/{id}/token", &[&okta_id], "", Some(&json!({"graceSeconds": 60})), 200);
    assert!(graced.json["previousTokenExpires"].is_string(), "{:?}", graced.json);
    let okta_token = graced.json["token"].as_str().expect("token").to_owned();
    api.call("POST", "/connections/{id}/token", &[&okta_id], "", Some(&json!({"graceSeconds": 86_401})), 400);
    api.call("POST", "/connections/{id}/token", &[&okta_id], "", Some(&json!({"graceSeconds": "soon"})), 400);
    api.call("POST", "/connections/{id}/token", &["c_nosuchconnection"], "", None, 404);

    // Users over SCIM, one with every End User member and one with the optional ones absent.
    let okta_creds = idplex_e2e::Credentials {
        id: okta_id.clone(),
        scim_url: format!("{}/scim/v2/{okta_id}", server.url),
        token: okta_token,
    };
    let mut alice = idplex_e2e::user("alice");
    alice["externalId"] = json!("00u-alice");
    alice["displayName"] = json!("Alice Example");
    let alice_created = client.scim(&okta_creds, "POST", "/Users", Some(&alice));
    assert_eq!(alice_created.status, 201);
    let alice_id = alice_created.json["id"].as_str().expect("id").to_owned();
    let team = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Team",
        "members": [{"value": alice_id}]});
    assert_eq!(client.scim(&okta_creds, "POST", "/Groups", Some(&team)).status, 201);
    let bare = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bare", "active": false});
    assert_eq!(client.scim(&okta_creds, "POST", "/Users", Some(&bare)).status, 201);
    assert_eq!(client.scim(&okta_creds, "POST", "/Users", Some(&bare)).status, 409, "a failure for the health");
    let health = api.call("GET", "/connections/{id}", &[&okta_id], "", None, 200).json["health"].clone();
    assert_eq!((health["activeUsers"].as_u64(), health["inactiveUsers"].as_u64()), (Some(1), Some(1)), "{health:?}");
    assert_eq!(health["lastFailure"]["status"], 409, "{health:?}");

    // The audit feed, the tenant's and one connection's, page by page.
    let feed = api.call("GET", "/audit", &[], "", None, 200);
    assert!(feed.json["events"].as_array().is_some_and(|e| e.len() >= 5), "{:?}", feed.json);
    let first = api.call("GET", "/audit", &[], &format!("connection={okta_id}&count=1"), None, 200);
    let cursor = first.json["nextCursor"].as_str().expect("a next page").to_owned();
    api.call("GET", "/audit", &[], &format!("connection={okta_id}&count=1&before={cursor}"), None, 200);
    api.call("GET", "/audit", &[], "count=0", None, 400);
    api.call("GET", "/audit", &[], "connection=not%20an%20id", None, 400);

    // End Users.
    let all = api.call("GET", "/users", &[], "", None, 200);
    assert_eq!(all.json["totalResults"], 3);
    let query = format!(
        "connection={okta_id},{entra_id}&active=true&search=ALICE&sortBy=connection&sortOrder=descending&startIndex=1&count=1"
    );
    let found = api.call("GET", "/users", &[], &query, None, 200);
    assert_eq!(found.json["totalResults"], 2, "{:?}", found.json);
    let twins = api.call("GET", "/users", &[], "duplicates=email&sortBy=userName", None, 200);
    assert_eq!(twins.user_names(), ["alice", "alice"]);
    assert!(twins.json["users"].as_array().expect("users").iter().all(|u| u["duplicate"] == true));
    api.call("GET", "/users", &[], "count=many", None, 400);
    api.call("GET", "/users", &[], "sortBy=shoeSize", None, 400);
    api.call("GET", "/users", &[], "connection=c_nosuchconnection", None, 404);
    let detail = api.call("GET", "/users/{connectionId}/{userId}", &[&okta_id, &alice_id], "", None, 200);
    assert_eq!(detail.json["groups"][0]["displayName"], "Team");
    api.call("GET", "/users/{connectionId}/{userId}", &[&okta_id, "nosuchuser"], "", None, 404);
    let groups = api.call(
        "GET",
        "/groups",
        &[],
        &format!("connection={okta_id}&search=te&sortBy=displayName&sortOrder=ascending&startIndex=1&count=5"),
        None,
        200,
    );
    assert_eq!(groups.json["groups"][0]["memberCount"], 1, "{:?}", groups.json);
    api.call("GET", "/groups", &[], "sortBy=size", None, 400);
    api.call("GET", "/groups", &[], "connection=c_nosuchconnection", None, 404);

    // Custom schemas, tenant-wide and for one connection.
    let registered = api.call("POST", "/schemas", &[], "", Some(&hr_schema("HR")), 201);
    assert_eq!(registered.header("location"), Some(format!("{PREFIX}/schemas/{HR}").as_str()));
    api.call("POST", "/schemas", &[], "", Some(&hr_schema("again")), 409);
    api.call("POST", "/schemas", &[], "", Some(&json!({"id": HR})), 400);
    api.call("GET", "/schemas", &[], "", None, 200);
    api.call("GET", "/schemas/{urn}", &[HR], "", None, 200);
    api.call("GET", "/schemas/{urn}", &["urn:example:idplex:none"], "", None, 404);
    let mut replacement = hr_schema("HR, replaced");
    replacement.as_object_mut().expect("object").remove("id");
    api.call("PUT", "/schemas/{urn}", &[HR], "", Some(&replacement), 200);
    api.call(
        "PUT",
        "/schemas/{urn}",
        &[HR],
        "",
        Some(&json!({"id": BADGE, "resourceType": "User", "attributes": []})),
        400,
    );
    let own = json!({"id": BADGE, "resourceType": "User", "attributes": [{"name": "colour", "type": "string"}]});
    let own_registered = api.call("POST", "/connections/{id}/schemas", &[&okta_id], "", Some(&own), 201);
    assert_eq!(own_registered.json["connectionId"], okta_id.as_str());
    api.call("POST", "/connections/{id}/schemas", &[&okta_id], "", Some(&hr_schema("clash")), 409);
    api.call("POST", "/connections/{id}/schemas", &["c_nosuchconnection"], "", Some(&own), 404);
    api.call("GET", "/connections/{id}/schemas", &[&okta_id], "", None, 200);
    api.call("GET", "/connections/{id}/schemas/{urn}", &[&okta_id, BADGE], "", None, 200);
    api.call("PUT", "/connections/{id}/schemas/{urn}", &[&okta_id, BADGE], "", Some(&own), 200);
    api.call("DELETE", "/connections/{id}/schemas/{urn}", &[&okta_id, BADGE], "", None, 204);
    api.call("GET", "/connections/{id}/schemas/{urn}", &[&okta_id, BADGE], "", None, 404);

    // Maintenance.
    let report = api.call("POST", "/maintenance/check", &[], "", Some(&json!({})), 200);
    assert_eq!(report.json["clean"], true, "{:?}", report.json);
    api.call("POST", "/maintenance/check", &[], "repair=true", None, 200);
    api.call("POST", "/maintenance/check", &[], "", Some(&json!({"repair": "yes"})), 400);
    api.call("POST", "/maintenance/check", &[], "repair=maybe", None, 400);
    api.call("POST", "/check", &[], "", Some(&json!({"repair": true})), 200);

    // Every documented operation refuses missing and wrong credentials, unless it is public.
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    values.insert("id", okta_id.clone());
    values.insert("urn", HR.to_owned());
    values.insert("connectionId", okta_id.clone());
    values.insert("userId", alice_id.clone());
    for (template, method) in api.operations() {
        let (_, operation) = api.operation(&method, &template);
        let security = operation.get("security").unwrap_or(&api.document["security"]);
        if security.as_array().is_some_and(|s| s.is_empty()) {
            continue;
        }
        let args: Vec<String> = document::template_names(&template).iter().map(|n| values[n].clone()).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for auth in [Auth::Missing, Auth::Wrong] {
            api.call_as(auth, &method, &template, &args, "", None, &[], 401);
        }
    }

    // Deleting: 204, then 404; the tenant schema last (it is a probe value until then).
    api.call("DELETE", "/connections/{id}", &[&entra_id], "", None, 204);
    api.call("DELETE", "/connections/{id}", &[&entra_id], "", None, 404);
    let progress = api.call("POST", "/maintenance/reclaim", &[], "", None, 200);
    assert_eq!(progress.json["busy"], false, "{:?}", progress.json);

    // The router serves nothing the document leaves out: other methods are 405 ...
    let mut probes = 0;
    for (template, item) in api.document["paths"].as_object().into_iter().flatten() {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if item[method.to_ascii_lowercase()].is_object() {
                continue;
            }
            let path = Api::fill(template, &values);
            let reply = client.send(method, &format!("{PREFIX}{path}"), Some(ADMIN_TOKEN), Some(&json!({})), &[]);
            api.check_error(&format!("{method} {template}, not in the document"), &reply, 405, "method_not_allowed");
            probes += 1;
        }
    }
    // ... and paths around the documented ones are 404.
    let templates: Vec<String> =
        api.document["paths"].as_object().into_iter().flatten().map(|(t, _)| t.clone()).collect();
    let mut around: BTreeSet<String> =
        ["", "/", "/nope", "/Connections", "/connection", "/openapi", "/openapi.yaml", "/v2"].map(str::to_owned).into();
    for template in &templates {
        let path = Api::fill(template, &values);
        around.insert(format!("{path}/nope"));
        let segments: Vec<&str> = path.split('/').collect();
        for n in 1..segments.len() {
            around.insert(segments[..n].join("/"));
        }
    }
    for path in around.iter().filter(|p| !templates.iter().any(|t| matches_template(t, p))) {
        let reply = client.send("GET", &format!("{PREFIX}{path}"), Some(ADMIN_TOKEN), None, &[]);
        api.check_error(&format!("GET {path}, not in the document"), &reply, 404, "not_found");
        probes += 1;
    }
    api.call("DELETE", "/schemas/{urn}", &[HR], "", None, 204);
    api.call("DELETE", "/schemas/{urn}", &[HR], "", None, 404);

    // Every documented operation was called and succeeded at least once, and the error
    // statuses the document promises were met.
    let seen = api.seen.borrow();
    for (template, method) in api.operations() {
        let id = api.operation_id(&method, &template);
        assert!(
            seen.iter().any(|(o, status)| *o == id && (200..400).contains(status)),
            "{id} ({method} {template}) is documented but the test never called it successfully"
        );
    }
    for status in [400, 401, 404, 409] {
        assert!(seen.iter().any(|(_, s)| *s == status), "no call answered {status}");
    }
    println!(
        "admin API: {} operations, {} (operation, status) pairs checked against the document, {probes} probes of undocumented methods and paths",
        api.operations().len(),
        seen.len()
    );
    server.stop();
}

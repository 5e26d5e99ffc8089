//! Custom extension schemas through the real host: registered with the admin API, described
//! by `/Schemas` and `/ResourceTypes`, checked on write, filtered and sorted by, the
//! accept-unknown setting of a connection, and a clean consistency check afterwards.

use idplex_e2e::{Client, Credentials, Server};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const HR: &str = "urn:ietf:params:scim:schemas:extension:acmehr:2.0:User";
const OKTA: &str = "urn:okta:idplex:custom:1.0:User";

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hr_user(name: &str, hr: Value) -> Value {
    json!({"schemas": [USER, HR], "userName": name, HR: hr})
}

fn names(client: &Client, c: &Credentials, query: &str) -> Vec<String> {
    let reply = client.scim(c, "GET", &format!("/Users?{query}"), None);
    assert_eq!(reply.status, 200, "{query}: {:?}", reply.json);
    let resources = reply.json["Resources"].as_array().cloned().unwrap_or_default();
    resources.iter().filter_map(|r| r["userName"].as_str().map(str::to_owned)).collect()
}

#[test]
fn a_registered_schema_is_described_validated_filtered_and_sorted() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();
    let c = client.create_connection(Some("Entra"));

    let schema = json!({
        "id": HR, "name": "AcmeHR", "resourceType": "User",
        "attributes": [
            {"name": "level", "type": "integer", "required": true},
            {"name": "costCode", "type": "string", "caseExact": true},
            {"name": "contractor", "type": "boolean"}
        ]
    });
    let created = client.admin("POST", "/schemas", Some(&schema));
    assert_eq!(created.status, 201, "{:?}", created.json);
    assert_eq!(created.json["scope"], "tenant");

    let public = client.send("GET", &format!("{}/Schemas/{HR}", c.scim_url), None, None, &[]);
    assert_eq!(public.status, 404, "without the connection's token discovery describes built-in schemas only");
    let described = client.scim(&c, "GET", &format!("/Schemas/{HR}"), None);
    assert_eq!(described.status, 200);
    assert_eq!(described.json["attributes"][0]["type"], "integer");
    assert_eq!(described.json["attributes"][1]["caseExact"], true);
    let listed = client.scim(&c, "GET", "/Schemas", None);
    assert_eq!(listed.json["totalResults"], 4);
    let user_type = client.scim(&c, "GET", "/ResourceTypes/User", None);
    assert_eq!(
        user_type.json["schemaExtensions"],
        json!([
            {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false},
            {"schema": HR, "required": false}
        ])
    );

    let invalid = client.scim(&c, "POST", "/Users", Some(&hr_user("x", json!({"level": "high"}))));
    assert_eq!((invalid.status, invalid.json["scimType"].clone()), (400, json!("invalidValue")));
    let unknown_attribute = client.scim(&c, "POST", "/Users", Some(&hr_user("x", json!({"level": 1, "shoe": 9}))));
    assert_eq!(unknown_attribute.status, 400);
    for (name, level, code, contractor) in
        [("ann", 10, "b7", "True"), ("bob", 9, "B7", "false"), ("cy", 100, "a1", "false")]
    {
        let body = hr_user(name, json!({"LEVEL": level, "costCode": code, "contractor": contractor}));
        let reply = client.scim(&c, "POST", "/Users", Some(&body));
        assert_eq!(reply.status, 201, "{:?}", reply.json);
        assert_eq!(reply.json[HR], json!({"level": level, "costCode": code, "contractor": contractor == "True"}));
    }

    let filter = |f: &str| names(&client, &c, &format!("filter={}", encode(f)));
    assert_eq!(filter(&format!("{HR}:level gt 9")), ["ann", "cy"]);
    assert_eq!(filter(&format!("{HR}:costCode eq \"B7\"")), ["bob"]);
    assert_eq!(filter(&format!("{HR}:contractor eq true")), ["ann"]);
    let ordering =
        client.scim(&c, "GET", &format!("/Users?filter={}", encode(&format!("{HR}:contractor gt true"))), None);
    assert_eq!((ordering.status, ordering.json["scimType"].clone()), (400, json!("invalidFilter")));
    let sorted = |by: &str, order: &str| names(&client, &c, &format!("sortBy={}&sortOrder={order}", encode(by)));
    assert_eq!(sorted(&format!("{HR}:level"), "ascending"), ["bob", "ann", "cy"]);
    assert_eq!(sorted(&format!("{HR}:costCode"), "descending"), ["ann", "cy", "bob"]);

    // Accept-unknown: on by default, then off.
    let okta_user = |name: &str| json!({"schemas": [USER, OKTA], "userName": name, OKTA: {"shoeSize": 42}});
    let kept = client.scim(&c, "POST", "/Users", Some(&okta_user("dee")));
    assert_eq!(kept.status, 201);
    assert_eq!(kept.json[OKTA]["shoeSize"], 42);
    let off =
        client.admin("PATCH", &format!("/connections/{}", c.id), Some(&json!({"acceptUnknownExtensions": false})));
    assert_eq!((off.status, off.json["acceptUnknownExtensions"].clone()), (200, json!(false)));
    let refused = client.scim(&c, "POST", "/Users", Some(&okta_user("eve")));
    assert_eq!((refused.status, refused.json["scimType"].clone()), (400, json!("invalidValue")));
    assert_eq!(names(&client, &c, &format!("filter={}", encode("userName eq \"eve\""))), Vec::<String>::new());

    // Per connection: registered for this connection only, the extension is known here.
    let own = json!({"id": OKTA, "resourceType": "User", "attributes": [{"name": "shoeSize", "type": "integer"}]});
    assert_eq!(client.admin("POST", &format!("/connections/{}/schemas", c.id), Some(&own)).status, 201);
    assert_eq!(client.scim(&c, "POST", "/Users", Some(&okta_user("eve"))).status, 201);
    let other = client.create_connection(Some("Okta"));
    let elsewhere = client.scim(&other, "GET", &format!("/Schemas/{OKTA}"), None);
    assert_eq!(elsewhere.status, 404, "another connection does not see it");

    // The new keys are accounted for, and a deleted connection leaves none behind.
    assert_eq!(client.admin("DELETE", &format!("/connections/{}", c.id), None).status, 204);
    let check = client.admin("POST", "/check", Some(&json!({})));
    assert_eq!(check.status, 200);
    assert_eq!((check.json["clean"].clone(), check.json["violations"].clone()), (json!(true), json!([])));
    assert_eq!(check.json["unfinished"], json!([]));
}

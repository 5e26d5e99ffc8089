//! Custom extension schemas end to end through [`crate::handle`]: registered with the admin
//! API, described by discovery, checked on write, filtered and sorted by, and the
//! accept-unknown setting of a connection.

use serde_json::{Value, json};

use crate::scim::schema::USER;
use crate::testing::{Harness, TestConnection};

const HR: &str = "urn:acme:params:scim:schemas:extension:hr:1.0:User";
const OKTA: &str = "urn:okta:custom:1.0:User";

fn hr_schema() -> Value {
    json!({
        "id": HR, "name": "HR", "description": "Acme HR data", "resourceType": "User",
        "attributes": [
            {"name": "badge", "type": "integer", "required": true},
            {"name": "costCode", "type": "string", "caseExact": true},
            {"name": "hired", "type": "dateTime"},
            {"name": "site", "type": "complex", "subAttributes": [{"name": "code", "type": "string"}]}
        ]
    })
}

fn user(name: &str, hr: Value) -> Value {
    json!({"schemas": [USER, HR], "userName": name, HR: hr})
}

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["userName"].as_str().map(str::to_owned))
        .collect()
}

fn register(h: &Harness, path: &str, schema: Value) {
    let created = h.admin("POST", path, Some(schema));
    assert_eq!(created.status, 201, "{}", created.body_json());
}

fn list(h: &Harness, c: &TestConnection, query: &str) -> Value {
    let response = h.scim(c, "GET", &format!("/Users?{query}"), None);
    assert_eq!(response.status, 200, "{query}: {}", response.body_json());
    response.body_json()
}

#[test]
fn a_registered_schema_is_described_checked_filtered_and_sorted() {
    let h = Harness::new();
    let c = h.connection("Okta");
    register(&h, "/schemas", hr_schema());
    assert_eq!(h.admin("POST", "/schemas", Some(hr_schema())).status, 409);

    let public = h.send("GET", &format!("/scim/v2/{}/Schemas/{HR}", c.id), &[], None);
    assert_eq!(public.status, 404, "without the connection's token discovery shows built-in schemas only");
    let other = h.connection("Other");
    let crossed = h.send(
        "GET",
        &format!("/scim/v2/{}/Schemas", c.id),
        &[("authorization", &format!("Bearer {}", other.token))],
        None,
    );
    assert_eq!(crossed.status, 401, "another connection's token is refused on discovery too");
    let schema = h.scim(&c, "GET", &format!("/Schemas/{HR}"), None).body_json();
    assert_eq!(schema["name"], "HR");
    assert_eq!(schema["attributes"][0]["type"], "integer");
    assert_eq!(schema["attributes"][1]["caseExact"], true);
    let user_type = h.scim(&c, "GET", "/ResourceTypes/User", None).body_json();
    let extensions: Vec<&str> =
        user_type["schemaExtensions"].as_array().into_iter().flatten().filter_map(|e| e["schema"].as_str()).collect();
    assert!(extensions.contains(&HR), "{extensions:?}");
    let group_type = h.scim(&c, "GET", "/ResourceTypes/Group", None).body_json();
    assert_eq!(group_type["schemaExtensions"], json!([]));

    let bad = h.scim(&c, "POST", "/Users", Some(user("x", json!({"badge": "seven"}))));
    assert_eq!((bad.status, bad.body_json()["scimType"].clone()), (400, json!("invalidValue")));
    let missing = h.scim(&c, "POST", "/Users", Some(user("x", json!({"costCode": "A"}))));
    assert_eq!(missing.status, 400, "badge is required");
    for (name, badge, code, hired) in [
        ("a", 10, "B-1", "2021-05-01T00:00:00Z"),
        ("b", 9, "b-1", "2020-05-01T00:00:00+02:00"),
        ("c", 100, "A-1", "2020-05-01T00:00:00Z"),
    ] {
        let created =
            h.scim(&c, "POST", "/Users", Some(user(name, json!({"BADGE": badge, "costCode": code, "hired": hired}))));
        assert_eq!(created.status, 201, "{}", created.body_json());
        assert_eq!(created.body_json()[HR]["badge"], json!(badge));
    }

    let filter = |f: &str| names(&list(&h, &c, &format!("filter={}", crate::testing::encode(f)))).join(",");
    assert_eq!(filter(&format!("{HR}:badge gt 9")), "a,c", "integers compare as numbers");
    assert_eq!(filter(&format!("{HR}:costCode eq \"b-1\"")), "b", "caseExact as declared");
    assert_eq!(filter(&format!("{HR}:hired lt \"2020-05-01T00:00:00Z\"")), "b", "dateTimes chronologically");

    let sorted = |by: &str| names(&list(&h, &c, &format!("sortBy={by}"))).join(",");
    assert_eq!(sorted(&format!("{HR}:badge")), "b,a,c", "numerically");
    assert_eq!(sorted(&format!("{HR}:costCode")), "c,a,b", "case-exact: uppercase first");
    assert_eq!(sorted(&format!("{HR}:hired")), "b,c,a");
}

#[test]
fn a_connection_sees_its_own_schemas_and_the_tenants() {
    let h = Harness::new();
    let (a, b) = (h.connection("A"), h.connection("B"));
    register(&h, &format!("/connections/{}/schemas", a.id), hr_schema());
    let own = h.admin("GET", &format!("/connections/{}/schemas", a.id), None).body_json();
    assert_eq!((own["schemas"][0]["id"].clone(), own["schemas"][0]["scope"].clone()), (json!(HR), json!("connection")));
    assert_eq!(h.admin("GET", "/schemas", None).body_json()["schemas"], json!([]));
    let described = |c: &TestConnection| h.scim(c, "GET", &format!("/Schemas/{HR}"), None).status;
    assert_eq!((described(&a), described(&b)), (200, 404));
    assert_eq!(h.admin("POST", "/connections/nosuchconnection/schemas", Some(hr_schema())).status, 404);

    let mut changed = hr_schema();
    changed["attributes"][0]["type"] = json!("string");
    let put = h.admin("PUT", &format!("/connections/{}/schemas/{}", a.id, crate::testing::encode(HR)), Some(changed));
    assert_eq!(put.status, 200, "{}", put.body_json());
    let created = h.scim(&a, "POST", "/Users", Some(user("s", json!({"badge": "B7"}))));
    assert_eq!(created.status, 201, "the new definition applies: {}", created.body_json());
    assert_eq!(h.admin("DELETE", &format!("/connections/{}/schemas/{HR}", a.id), None).status, 204);
    assert_eq!(h.admin("DELETE", &format!("/connections/{}/schemas/{HR}", a.id), None).status, 404);
    assert_eq!(
        h.admin("POST", "/schemas", Some(json!({"id": "nonsense"}))).body_json()["error"]["code"],
        "invalid_argument"
    );
}

#[test]
fn unknown_extensions_are_kept_until_a_connection_refuses_them() {
    let h = Harness::new();
    let c = h.connection("Okta");
    let body = |name: &str, value: i64| json!({"schemas": [USER, OKTA], "userName": name, OKTA: {"shoeSize": value}});
    let kept = h.scim(&c, "POST", "/Users", Some(body("a", 42)));
    assert_eq!(kept.status, 201, "accepted by default");
    assert_eq!(kept.body_json()[OKTA]["shoeSize"], 42);
    let id = kept.body_json()["id"].as_str().unwrap_or_default().to_owned();

    let view = h.admin("PATCH", &format!("/connections/{}", c.id), Some(json!({"acceptUnknownExtensions": false})));
    assert_eq!(view.body_json()["acceptUnknownExtensions"], false);
    let refused = h.scim(&c, "POST", "/Users", Some(body("b", 41)));
    assert_eq!((refused.status, refused.body_json()["scimType"].clone()), (400, json!("invalidValue")));
    let replay = h.scim(&c, "PUT", &format!("/Users/{id}"), Some(body("a2", 42)));
    assert_eq!(replay.status, 200, "stored data sent back unchanged is kept: {}", replay.body_json());
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": format!("{OKTA}:shoeSize"), "value": 43}]});
    assert_eq!(h.scim(&c, "PATCH", &format!("/Users/{id}"), Some(patch.clone())).status, 400);

    register(
        &h,
        "/schemas",
        json!({"id": OKTA, "resourceType": "User", "attributes": [{"name": "shoeSize", "type": "integer"}]}),
    );
    assert_eq!(h.scim(&c, "PATCH", &format!("/Users/{id}"), Some(patch)).status, 200, "registered: known");
    assert_eq!(h.scim(&c, "POST", "/Users", Some(body("b", 41))).status, 201);
}

#[test]
fn an_unqualified_patch_path_prefers_the_enterprise_extension_then_a_unique_custom_one() {
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let h = Harness::new();
    let c = h.connection("Entra");
    let attributes = json!([{"name": "manager", "type": "string"}, {"name": "badge", "type": "integer"}]);
    register(&h, "/schemas", json!({"id": HR, "resourceType": "User", "attributes": attributes}));
    let created = h.scim(&c, "POST", "/Users", Some(json!({"schemas": [USER], "userName": "a"})));
    let id = created.body_json()["id"].as_str().unwrap_or_default().to_owned();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Add", "path": "manager", "value": [{"value": "m-1"}]},
        {"op": "Add", "path": "badge", "value": 7}
    ]});
    let patched = h.scim(&c, "PATCH", &format!("/Users/{id}"), Some(patch));
    assert_eq!(patched.status, 200, "{}", patched.body_json());
    assert_eq!(patched.body_json()[ENTERPRISE]["manager"]["value"], "m-1");
    assert_eq!(patched.body_json()[HR]["badge"], 7);
}

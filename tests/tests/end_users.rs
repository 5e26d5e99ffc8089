//! End Users through the real host and its SQLite store: two connections provisioned over
//! SCIM, the admin API's combined query (connections, active, search, sort, paging),
//! duplicates across connections, a user's detail with its groups, the groups list, and a clean
//! consistency check afterwards.

use idplex_e2e::{Client, Credentials, Server};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn person(user_name: &str, given: &str, family: &str, email: &str, active: bool) -> Value {
    json!({"schemas": [USER], "userName": user_name, "name": {"givenName": given, "familyName": family},
           "emails": [{"value": email, "type": "work", "primary": true}], "active": active})
}

fn provision(client: &Client, c: &Credentials, body: Value) -> String {
    let reply = client.scim(c, "POST", "/Users", Some(&body));
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    reply.json["id"].as_str().expect("id").to_owned()
}

/// `GET /admin/api/v1/users?{query}`: the page as returned, and its userNames in order.
fn users(client: &Client, query: &str) -> (Value, Vec<String>) {
    let reply = client.admin("GET", &format!("/users?{query}"), None);
    assert_eq!(reply.status, 200, "{query}: {:?}", reply.json);
    let names = reply.json["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["userName"].as_str().unwrap_or_default().to_owned())
        .collect();
    (reply.json, names)
}

#[test]
fn end_users_filters_sorts_pages_flags_duplicates_and_shows_a_user() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();
    let okta = client.create_connection(Some("Okta, Acme"));
    let entra = client.create_connection(Some("Entra, Beta"));

    let ana = provision(&client, &okta, person("ana@acme.example", "Ana", "Archer", "ana@shared.example", true));
    provision(&client, &okta, person("ben@acme.example", "Ben", "Baker", "ben@acme.example", true));
    provision(&client, &okta, person("cleo@acme.example", "Cleo", "Cole", "cleo@acme.example", false));
    for i in 0..5 {
        let name = format!("temp{i}@acme.example");
        provision(&client, &okta, person(&name, "Temp", &format!("Worker {i}"), &name, i % 2 == 0));
    }
    provision(&client, &entra, person("ana.a@beta.example", "Ana", "Archer", "ANA@Shared.Example", true));
    provision(&client, &entra, person("dan@beta.example", "Dan", "Dale", "dan@beta.example", true));
    let eve = provision(&client, &entra, person("eve@beta.example", "Eve", "Baker", "eve@beta.example", true));

    // Deactivated over SCIM: now among the inactive ones.
    let deactivate = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(client.scim(&entra, "PATCH", &format!("/Users/{eve}"), Some(&deactivate)).status, 200);

    let (all, _) = users(&client, "");
    assert_eq!(all["totalResults"], 11);

    // The combined query: both connections (repeated and comma forms), active only, a search on
    // the family name, sorted by name descending, paged two at a time.
    let both = format!("connection={}&connection={}", okta.id, entra.id);
    let (first, names) =
        users(&client, &format!("{both}&active=true&search=a&sortBy=name&sortOrder=descending&count=2"));
    let total = first["totalResults"].as_u64().expect("total");
    assert_eq!(names.len(), 2);
    let mut every = names;
    let mut start = 3;
    while (start as u64) <= total {
        let query = format!(
            "connection={},{}&active=true&search=a&sortBy=name&sortOrder=descending&count=2&startIndex={start}",
            okta.id, entra.id
        );
        let (page, names) = users(&client, &query);
        assert_eq!(page["totalResults"].as_u64(), Some(total), "totalResults is the same on every page");
        assert_eq!(page["startIndex"], start);
        every.extend(names);
        start += 2;
    }
    // Active users with an "a" (case-insensitively) somewhere in userName, name or email, by
    // display name descending: Temp Worker 4/2/0, Dan Dale, Ben Baker, Ana Archer (twice: the
    // tie goes by userName).
    assert_eq!(
        every,
        vec![
            "temp4@acme.example",
            "temp2@acme.example",
            "temp0@acme.example",
            "dan@beta.example",
            "ben@acme.example",
            "ana.a@beta.example",
            "ana@acme.example"
        ]
    );

    // active=false, sorted by connection name then userName.
    let (_, inactive) = users(&client, "active=false&sortBy=connection");
    assert_eq!(inactive, vec!["eve@beta.example", "cleo@acme.example", "temp1@acme.example", "temp3@acme.example"]);

    // Duplicates: the same primary email, case-insensitively, in two connections.
    let (dups, names) = users(&client, "duplicates=email&sortBy=userName");
    assert_eq!(names, vec!["ana.a@beta.example", "ana@acme.example"]);
    assert!(dups["users"].as_array().expect("users").iter().all(|u| u["duplicate"] == true));
    let (page, _) = users(&client, &format!("connection={}&search=ben", okta.id));
    assert_eq!(page["users"][0]["duplicate"], false);
    assert_eq!(page["users"][0]["connectionName"], "Okta, Acme");
    assert_eq!(page["users"][0]["connectionEnabled"], true);
    assert_eq!(page["users"][0]["givenName"], "Ben");
    assert_eq!(page["users"][0]["familyName"], "Baker");

    // A rename over SCIM is what search and sort see next.
    let rename =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": "zoe@beta.example"}]});
    assert_eq!(client.scim(&entra, "PATCH", &format!("/Users/{eve}"), Some(&rename)).status, 200);
    assert_eq!(users(&client, "search=eve@").1, vec!["zoe@beta.example"]);
    assert_eq!(users(&client, "sortBy=userName&sortOrder=descending&count=1").1, vec!["zoe@beta.example"]);

    // The user detail: the full SCIM resource, its groups and its connection.
    let group = json!({"schemas": [GROUP], "displayName": "Finance", "members": [{"value": ana}]});
    assert_eq!(client.scim(&okta, "POST", "/Groups", Some(&group)).status, 201);
    let detail = client.admin("GET", &format!("/users/{}/{ana}", okta.id), None);
    assert_eq!(detail.status, 200, "{:?}", detail.json);
    assert_eq!(detail.json["user"]["userName"], "ana@acme.example");
    assert_eq!(detail.json["user"]["name"]["familyName"], "Archer");
    assert_eq!(detail.json["user"]["meta"]["resourceType"], "User");
    assert_eq!(detail.json["user"]["groups"][0]["display"], "Finance");
    assert_eq!(detail.json["groups"][0]["displayName"], "Finance");
    assert_eq!(detail.json["connection"], json!({"id": okta.id, "name": "Okta, Acme", "enabled": true}));
    assert_eq!(client.admin("GET", &format!("/users/{}/{ana}", entra.id), None).status, 404);

    // The groups list, with member counts.
    let groups = client.admin("GET", "/groups?search=fin", None);
    assert_eq!(groups.status, 200);
    assert_eq!(groups.json["totalResults"], 1);
    assert_eq!(groups.json["groups"][0]["memberCount"], 1);
    assert_eq!(groups.json["groups"][0]["connectionId"], okta.id.as_str());

    // Bad input is a clear 400; the store is consistent afterwards.
    let bad = client.admin("GET", "/users?sortBy=salary", None);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json["error"]["code"], "invalid_argument");
    let report = client.admin("POST", "/check", Some(&json!({})));
    assert_eq!(report.status, 200);
    assert_eq!(report.json["clean"], true, "{:?}", report.json);
    assert_eq!(report.json["unfinished"], json!([]), "{:?}", report.json);
    server.stop();
}

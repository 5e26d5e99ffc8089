//! Concurrency on the default SQLite store: many clients at once never lose a write, and
//! counts equal what is really there.

use idplex_e2e::{Server, user};
use serde_json::{Value, json};

#[test]
fn concurrent_member_patches_of_one_group_lose_no_membership() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();
    let c = client.create_connection(Some("Members"));
    let ids: Vec<String> = (0..64)
        .map(|i| {
            client.scim(&c, "POST", "/Users", Some(&user(&format!("m{i}@x.example")))).json["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let group = client.scim(
        &c,
        "POST",
        "/Groups",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone"})),
    );
    let gid = group.json["id"].as_str().expect("id").to_owned();
    std::thread::scope(|s| {
        for chunk in ids.chunks(4) {
            let client = client.clone();
            let c = c.clone();
            let gid = gid.clone();
            s.spawn(move || {
                for id in chunk {
                    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                       "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
                    assert_eq!(client.scim(&c, "PATCH", &format!("/Groups/{gid}"), Some(&patch)).status, 200);
                }
            });
        }
    });
    let members =
        client.scim(&c, "GET", &format!("/Groups/{gid}"), None).json["members"].as_array().map_or(0, Vec::len);
    assert_eq!(members, 64, "16 concurrent clients added 64 members");
}

#[test]
fn concurrent_creates_and_deletes_leave_counts_equal_to_what_exists() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path());
    let client = server.client();
    let c = client.create_connection(Some("Churn"));
    std::thread::scope(|s| {
        for t in 0..8 {
            let client = client.clone();
            let c = c.clone();
            s.spawn(move || {
                for i in 0..20 {
                    let reply = client.scim(&c, "POST", "/Users", Some(&user(&format!("t{t}-{i}@x.example"))));
                    assert_eq!(reply.status, 201);
                    if i % 2 == 0 {
                        let id = reply.json["id"].as_str().expect("id");
                        assert_eq!(client.scim(&c, "DELETE", &format!("/Users/{id}"), None).status, 204);
                    }
                }
            });
        }
    });
    let mut seen = 0;
    let mut start = 1;
    loop {
        let page = client.scim(&c, "GET", &format!("/Users?startIndex={start}&count=50"), None);
        let n = page.json["Resources"].as_array().map_or(0, Vec::len);
        assert_eq!(page.json["totalResults"], 80);
        if n == 0 {
            break;
        }
        seen += n;
        start += n;
    }
    assert_eq!(seen, 80);
    let connection = client.admin("GET", &format!("/connections/{}", c.id), None);
    assert_eq!(connection.json["userCount"], Value::from(80));
    assert_eq!(client.admin("GET", &format!("/users?connection={}", c.id), None).json["totalResults"], 80);
}

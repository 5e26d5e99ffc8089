//! End Users through the admin API on an in-memory store: filters, search, sort and paging
//! combined; the summaries after every kind of write; crashes between a record and its summary.

use serde_json::{Value, json};

use crate::App;
use crate::maintenance::{Options, check};
use crate::scim::schema::USER;
use crate::storage::keys::Kind;
use crate::storage::resources::Resources;
use crate::store::KvStore;
use crate::store::faulty::Faults;
use crate::testing::{Harness, TestConnection, with_faults};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn person(user_name: &str, given: &str, family: &str, email: &str, active: bool) -> Value {
    json!({"schemas": [USER], "userName": user_name, "name": {"givenName": given, "familyName": family},
           "emails": [{"value": email, "primary": true}], "active": active, "externalId": format!("ext-{given}")})
}

fn create(h: &Harness, c: &TestConnection, body: Value) -> String {
    let created = h.scim(c, "POST", "/Users", Some(body));
    assert_eq!(created.status, 201, "{:?}", created.body_json());
    created.body_json()["id"].as_str().unwrap_or_default().to_owned()
}

/// `GET /users?{query}`: total and the userNames of the page, in order.
fn users(h: &Harness, query: &str) -> (u64, Vec<String>) {
    let page = h.admin("GET", &format!("/users?{query}"), None);
    assert_eq!(page.status, 200, "{query}: {:?}", page.body_json());
    let body = page.body_json();
    let names =
        body["users"].as_array().expect("users").iter().map(|u| u["userName"].as_str().unwrap_or("").to_owned());
    (body["totalResults"].as_u64().expect("total"), names.collect())
}

fn two_connections(h: &Harness) -> (TestConnection, TestConnection) {
    let (a, b) = (h.connection("Acme"), h.connection("Beta"));
    create(h, &a, person("alice", "Alice", "Archer", "alice@example.com", true));
    create(h, &a, person("bob", "Bob", "Baker", "bob@example.com", false));
    create(h, &a, person("carol", "Carol", "Cooper", "carol@example.com", true));
    create(h, &b, person("dave", "Dave", "Dawson", "dave@example.com", true));
    create(h, &b, person("erin", "Erin", "Baker", "ALICE@example.COM", true));
    create(h, &b, person("frank", "Frank", "Fischer", "frank@example.com", false));
    (a, b)
}

#[test]
fn filters_search_sort_and_paging_combine() {
    let h = Harness::new();
    let (a, b) = two_connections(&h);
    let both = format!("connection={},{}", a.id, b.id);
    assert_eq!(users(&h, "").0, 6);
    // Active users of both connections whose name or email has an "a", by name descending,
    // second page of two.
    let query = format!("{both}&active=true&search=A&sortBy=name&sortOrder=descending&startIndex=2&count=2");
    assert_eq!(users(&h, &query), (4, vec!["dave".to_owned(), "carol".to_owned()]));
    // Repeated parameter, inactive only, sorted by connection then userName.
    let query = format!("connection={}&connection={}&active=false&sortBy=connection", b.id, a.id);
    assert_eq!(users(&h, &query), (2, vec!["bob".to_owned(), "frank".to_owned()]));
    // Search reaches family name and externalId; sort by email ascending.
    assert_eq!(users(&h, "search=baker&sortBy=email"), (2, vec!["erin".to_owned(), "bob".to_owned()]));
    assert_eq!(users(&h, "search=EXT-FRA"), (1, vec!["frank".to_owned()]));
    // Sort by lastModified follows writes.
    let bob = users(&h, "search=bob").1;
    assert_eq!(bob, vec!["bob"]);
    let (_, by_time) = users(&h, "sortBy=lastModified&sortOrder=descending&count=1");
    assert_eq!(by_time, vec!["frank".to_owned()]);
    // Bad input is refused clearly; an unknown connection is 404.
    assert_eq!(h.admin("GET", "/users?sortBy=shoeSize", None).status, 400);
    assert_eq!(h.admin("GET", "/users?active=maybe", None).status, 400);
    assert_eq!(h.admin("GET", "/users?duplicates=phone", None).status, 400);
    assert_eq!(h.admin("GET", &format!("/users?connection={},nope", a.id), None).status, 404);
}

#[test]
fn duplicates_are_emails_shared_across_connections_only() {
    let h = Harness::new();
    let (a, _) = two_connections(&h);
    // A second "carol@example.com" in the same connection is not a cross-connection duplicate.
    create(&h, &a, person("carol2", "Carol", "Two", "Carol@Example.com", true));
    assert_eq!(users(&h, "duplicates=email&sortBy=userName"), (2, vec!["alice".to_owned(), "erin".to_owned()]));
    let all = h.admin("GET", "/users?sortBy=userName", None).body_json();
    let flagged: Vec<(&str, bool)> = all["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| (u["userName"].as_str().unwrap_or(""), u["duplicate"].as_bool().expect("duplicate")))
        .collect();
    assert!(flagged.contains(&("alice", true)) && flagged.contains(&("carol", false)), "{flagged:?}");
    assert!(all["users"].as_array().expect("users").iter().all(|u| u["connectionEnabled"] == json!(true)));
    // Duplicates combine with a connection filter: flagged across the tenant, listed in scope.
    assert_eq!(users(&h, &format!("duplicates=email&connection={}", a.id)), (1, vec!["alice".to_owned()]));
}

#[test]
fn summaries_follow_patch_put_delete_and_renames() {
    let h = Harness::new();
    let a = h.connection("Acme");
    let id = create(&h, &a, person("old.name", "Olga", "Old", "old@example.com", true));
    create(&h, &a, person("zed", "Zed", "Zulu", "zed@example.com", true));
    let rename =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": "new.name"}]});
    assert_eq!(h.scim(&a, "PATCH", &format!("/Users/{id}"), Some(rename)).status, 200);
    assert_eq!(users(&h, "search=old.name").0, 0);
    assert_eq!(users(&h, "search=new.name"), (1, vec!["new.name".to_owned()]));
    let deactivate = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(h.scim(&a, "PATCH", &format!("/Users/{id}"), Some(deactivate)).status, 200);
    assert_eq!(users(&h, "active=false"), (1, vec!["new.name".to_owned()]));
    // PUT with a new email moves the user in the email order.
    let replaced = person("new.name", "Olga", "Old", "aaa@example.com", true);
    assert_eq!(h.scim(&a, "PUT", &format!("/Users/{id}"), Some(replaced)).status, 200);
    assert_eq!(users(&h, "sortBy=email").1, vec!["new.name", "zed"]);
    assert_eq!(
        users(&h, "search=old%40example"),
        (0, vec![]),
        "{:?}",
        h.admin("GET", "/users?search=old%40example", None).body_json()
    );
    assert_eq!(users(&h, "active=false").0, 0);
    assert_eq!(h.scim(&a, "DELETE", &format!("/Users/{id}"), None).status, 204);
    assert_eq!(users(&h, ""), (1, vec!["zed".to_owned()]));
    assert_eq!(users(&h, "search=aaa").0, 0);
}

/// The key of the summary page of a connection's first list chunk.
fn page_key(c: &TestConnection) -> String {
    crate::storage::keys::chunk(&crate::storage::keys::resource_summaries(&c.id), 1)
}

fn check_kinds(h: &Harness, repair: bool) -> Vec<&'static str> {
    let report = check(&App::new(&h.store, &h.env), Options { repair, now: None }).expect("check");
    assert!(report.violations.is_empty(), "{report:?}");
    report.unfinished.iter().map(|u| u.kind).collect()
}

#[test]
fn a_crash_between_a_replace_and_its_summary_is_reported_and_repaired() {
    let h = Harness::new();
    let a = h.connection("Acme");
    let id = create(&h, &a, person("before", "B", "B", "b@example.com", true));
    let page = h.store.get(&page_key(&a)).expect("get").expect("page");
    let rename = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": "after"}]});
    assert_eq!(h.scim(&a, "PATCH", &format!("/Users/{id}"), Some(rename)).status, 200);
    // The record swap landed, the summary upsert did not: the page as it was before.
    h.store.set(&page_key(&a), &page).expect("set");
    // The page is rendered from the record; only filtering sees the old values.
    assert_eq!(users(&h, ""), (1, vec!["after".to_owned()]));
    assert_eq!(users(&h, "search=after").0, 0);
    assert_eq!(check_kinds(&h, true), vec!["summary-behind"]);
    assert_eq!(users(&h, "search=after"), (1, vec!["after".to_owned()]));
    assert!(check_kinds(&h, false).is_empty());
}

#[test]
fn a_store_written_before_summaries_is_summarised_by_its_first_reader() {
    let h = Harness::new();
    let a = h.connection("Acme");
    for i in 0..5 {
        create(&h, &a, person(&format!("u{i}"), "G", "F", &format!("u{i}@example.com"), i % 2 == 0));
    }
    h.store.delete(&page_key(&a)).expect("delete");
    assert_eq!(check_kinds(&h, false), vec!["summary-unbuilt"]);
    assert_eq!(users(&h, "active=false&sortBy=userName"), (2, vec!["u1".to_owned(), "u3".to_owned()]));
    assert!(h.store.get(&page_key(&a)).expect("get").is_some());
    assert!(check_kinds(&h, false).is_empty());
}

/// Every write of a create, PATCH or DELETE may fail before or after it applies (the reply
/// lost): afterwards End Users lists exactly the users SCIM has, with their current values,
/// once `idplex check --repair` has raised the summaries a failed write left behind.
#[test]
fn writes_that_fail_midway_leave_summaries_that_readers_and_repair_make_true() {
    fn scenario() {
        let h = Harness::new();
        // Creating the connection may fail too: try again under a new name.
        let a = (0..50).map(|n| h.connection(&format!("Acme {n}"))).find(|c| !c.id.is_empty()).expect("a connection");
        let mut failed = 0;
        for i in 0..60 {
            let created = h.scim(&a, "POST", "/Users", Some(person(&format!("u{i}"), "G", "F", "x@example.com", true)));
            failed += usize::from(created.status >= 500);
            let Some(id) = created.body_json()["id"].as_str().map(str::to_owned) else { continue };
            let value = format!("renamed{i}");
            let rename =
                json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": value}]});
            failed += usize::from(h.scim(&a, "PATCH", &format!("/Users/{id}"), Some(rename)).status >= 500);
            if i % 4 == 0 {
                failed += usize::from(h.scim(&a, "DELETE", &format!("/Users/{id}"), None).status >= 500);
            }
        }
        assert!(failed > 0, "the faults made some requests fail midway");
        let app = App::new(&h.store, &h.env);
        check(&app, Options { repair: true, now: Some(h.env.millis.get() + 3_600_000) }).expect("repair");
        let resources = Resources::new(&h.store, &a.id, Kind::User);
        let mut truth: Vec<String> = resources
            .get_many(&resources.ids().expect("ids"))
            .expect("records")
            .iter()
            .map(|r| r.body["userName"].as_str().unwrap_or("").to_owned())
            .collect();
        truth.sort();
        let query = crate::end_users::UserQuery {
            sort_by: Some(crate::end_users::SortKey::UserName),
            count: 500,
            ..Default::default()
        };
        let listed = crate::end_users::list(&app, &query).expect("list");
        let names: Vec<String> = listed.users.iter().map(|u| u.user_name.clone()).collect();
        assert_eq!(names, truth);
        assert_eq!(listed.total_results as usize, truth.len());
        let searched =
            crate::end_users::list(&app, &crate::end_users::UserQuery { search: Some("renamed".into()), ..query });
        let renamed = truth.iter().filter(|n| n.starts_with("renamed")).count();
        assert_eq!(searched.expect("search").total_results as usize, renamed);
    }
    for seed in 1..=4 {
        with_faults(Faults::random(80, seed), scenario);
    }
}

#[test]
fn user_detail_carries_the_resource_its_groups_and_connection() {
    let h = Harness::new();
    let (a, _) = two_connections(&h);
    assert_eq!(users(&h, "search=alice").0, 2);
    let page = h.admin("GET", &format!("/users?connection={}&search=alice", a.id), None).body_json();
    let id = page["users"][0]["id"].as_str().expect("id").to_owned();
    let group = json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": id}]});
    assert_eq!(h.scim(&a, "POST", "/Groups", Some(group)).status, 201);
    let detail = h.admin("GET", &format!("/users/{}/{id}", a.id), None);
    assert_eq!(detail.status, 200);
    let body = detail.body_json();
    assert_eq!(body["user"]["userName"], "alice");
    assert_eq!(body["user"]["emails"][0]["value"], "alice@example.com");
    assert_eq!(body["user"]["meta"]["resourceType"], "User");
    assert_eq!(body["groups"], json!([{"id": body["groups"][0]["id"], "displayName": "Engineering"}]));
    assert_eq!(body["connection"], json!({"id": a.id, "name": "Acme", "enabled": true}));
    assert_eq!(h.admin("GET", &format!("/users/{}/no-such-user", a.id), None).status, 404);
    assert_eq!(h.admin("GET", &format!("/users/nope/{id}"), None).status, 404);
    assert_eq!(h.admin("DELETE", &format!("/users/{}/{id}", a.id), None).status, 405);
}

#[test]
fn groups_list_filters_searches_sorts_and_counts_members() {
    let h = Harness::new();
    let (a, b) = two_connections(&h);
    let alice = h.admin("GET", "/users?search=alice%40", None).body_json();
    let member = alice["users"][0]["id"].as_str().expect("id").to_owned();
    for (c, name, members) in [(&a, "Sales", vec![member.clone()]), (&a, "Admins", vec![]), (&b, "Sales EU", vec![])] {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let body =
            json!({"schemas": [GROUP], "displayName": name, "externalId": format!("x-{name}"), "members": members});
        assert_eq!(h.scim(c, "POST", "/Groups", Some(body)).status, 201);
    }
    let page = h.admin("GET", "/groups?search=sales&sortBy=displayName&sortOrder=descending", None).body_json();
    assert_eq!(page["totalResults"], 2);
    let names: Vec<&str> =
        page["groups"].as_array().expect("groups").iter().map(|g| g["displayName"].as_str().unwrap_or("")).collect();
    assert_eq!(names, vec!["Sales EU", "Sales"]);
    assert_eq!(page["groups"][1]["memberCount"], 1);
    assert_eq!(page["groups"][1]["connectionName"], "Acme");
    let only_a = h.admin("GET", &format!("/groups?connection={}&sortBy=displayName&count=1&startIndex=2", a.id), None);
    let only_a = only_a.body_json();
    assert_eq!(
        (only_a["totalResults"].as_u64(), only_a["groups"][0]["displayName"].as_str()),
        (Some(2), Some("Sales"))
    );
    assert_eq!(h.admin("GET", "/groups?sortBy=userName", None).status, 400);
}

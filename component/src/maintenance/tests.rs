//! Check and repair against states a crash can leave behind.

use serde_json::json;

use super::check;
use crate::App;
use crate::scim::schema::USER;
use crate::store::KvStore;
use crate::testing::Harness;

fn user(name: &str) -> serde_json::Value {
    json!({"schemas": [USER], "userName": name})
}

/// Rewrites the `state` of the stored record at `key`, as a crash between two writes leaves it.
fn set_state(h: &Harness, key: &str, state: &str) {
    let mut record: serde_json::Value =
        serde_json::from_slice(&h.store.get(key).expect("get").expect("record")).expect("json");
    record["state"] = json!(state);
    h.store.set(key, record.to_string().as_bytes()).expect("set");
}

fn kinds(h: &Harness, repair: bool) -> Vec<&'static str> {
    let report = check(&App::new(&h.store, &h.env), repair).expect("check");
    report.violations.iter().map(|v| v.kind).collect()
}

#[test]
fn a_healthy_store_has_no_violations() {
    let h = Harness::new();
    let c = h.connection("A");
    let u = h.scim(&c, "POST", "/Users", Some(user("a"))).body_json()["id"].as_str().unwrap_or_default().to_owned();
    h.scim(&c, "POST", "/Groups", Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": u}]})));
    let gone = h.connection("B");
    h.scim(&gone, "POST", "/Users", Some(user("b")));
    h.admin("DELETE", &format!("/connections/{}", gone.id), None);
    let report = check(&App::new(&h.store, &h.env), false).expect("check");
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert_eq!((report.connections, report.users, report.groups, report.memberships), (1, 1, 1, 1));
}

#[test]
fn directory_behind_its_chunk_is_found_and_repaired() {
    let h = Harness::new();
    let c = h.connection("A");
    h.scim(&c, "POST", "/Users", Some(user("a")));
    h.store.set(&format!("res-list/{}/u/dir", c.id), b"[[0,0]]").expect("set");
    assert_eq!(h.admin("GET", &format!("/connections/{}", c.id), None).body_json()["userCount"], 0);
    assert_eq!(kinds(&h, true), vec!["directory-behind"]);
    assert!(kinds(&h, false).is_empty());
    assert_eq!(h.admin("GET", &format!("/connections/{}", c.id), None).body_json()["userCount"], 1);
}

#[test]
fn interrupted_user_delete_is_finished() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = h.scim(&c, "POST", "/Users", Some(user("a"))).body_json()["id"].as_str().unwrap_or_default().to_owned();
    // The first step of a delete, then a crash.
    let key = format!("res/{}/u/{id}", c.id);
    set_state(&h, &key, "deleted");
    // A deletion in flight is not judged until the grace period has passed.
    assert!(kinds(&h, false).is_empty());
    h.env.millis.set(h.env.millis.get() + 2 * crate::storage::unique::GRACE_MILLIS);
    assert_eq!(kinds(&h, true), vec!["interrupted-delete"]);
    assert!(kinds(&h, false).is_empty());
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("a"))).status, 201);
}

#[test]
fn keys_of_a_half_deleted_connection_are_orphans() {
    let h = Harness::new();
    let c = h.connection("A");
    h.scim(&c, "POST", "/Users", Some(user("a")));
    h.store.delete(&format!("conn/{}", c.id)).expect("delete");
    let found = kinds(&h, true);
    assert!(found.contains(&"listed-without-record") && found.contains(&"orphan-keys"), "{found:?}");
    assert!(kinds(&h, false).is_empty());
}

#[test]
fn create_cut_short_before_its_commit_is_garbage_after_the_grace_period() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = h.scim(&c, "POST", "/Users", Some(user("a"))).body_json()["id"].as_str().unwrap_or_default().to_owned();
    // Drop the claim: as if the process died between listing the record and claiming.
    let key = format!("res/{}/u/{id}", c.id);
    set_state(&h, &key, "pending");
    let claim = crate::storage::keys::resource_unique(&c.id, crate::storage::keys::Kind::User, "userName", "a");
    h.store.delete(&claim).expect("delete");
    assert!(kinds(&h, false).is_empty());
    assert_eq!(h.scim(&c, "GET", &format!("/Users/{id}"), None).status, 404);
    h.env.millis.set(h.env.millis.get() + 2 * crate::storage::unique::GRACE_MILLIS);
    assert_eq!(kinds(&h, true), vec!["abandoned-create"]);
    assert!(kinds(&h, false).is_empty());
}

#[test]
fn create_cut_short_after_its_commit_is_finished_by_the_next_read() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = h.scim(&c, "POST", "/Users", Some(user("a"))).body_json()["id"].as_str().unwrap_or_default().to_owned();
    let key = format!("res/{}/u/{id}", c.id);
    set_state(&h, &key, "pending");
    assert_eq!(h.scim(&c, "GET", &format!("/Users/{id}"), None).status, 200);
    let after: serde_json::Value =
        serde_json::from_slice(&h.store.get(&key).expect("get").expect("record")).expect("json");
    assert_eq!(after["state"], "live");
    assert!(kinds(&h, false).is_empty());
}

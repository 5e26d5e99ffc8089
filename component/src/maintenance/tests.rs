//! Check and repair against states a crash can leave behind (unfinished work, never a
//! violation) and against real corruption (violations).

use serde_json::json;

use super::{MAX_FINDINGS, Options, Report, check};
use crate::App;
use crate::scim::schema::USER;
use crate::storage::unique::GRACE_MILLIS;
use crate::store::KvStore;
use crate::testing::{Harness, TestConnection};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn user(name: &str) -> serde_json::Value {
    json!({"schemas": [USER], "userName": name})
}

fn create_user(h: &Harness, c: &TestConnection, name: &str) -> String {
    let created = h.scim(c, "POST", "/Users", Some(user(name)));
    assert_eq!(created.status, 201);
    created.body_json()["id"].as_str().unwrap_or_default().to_owned()
}

/// Creates group `G` with member `member`; returns its id.
fn create_group(h: &Harness, c: &TestConnection, member: &str) -> String {
    let body = json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": member}]});
    let created = h.scim(c, "POST", "/Groups", Some(body));
    assert_eq!(created.status, 201);
    created.body_json()["id"].as_str().unwrap_or_default().to_owned()
}

/// Rewrites the `state` of the stored record at `key`, as a crash between two writes leaves it.
fn set_state(h: &Harness, key: &str, state: &str) {
    let mut record: serde_json::Value =
        serde_json::from_slice(&h.store.get(key).expect("get").expect("record")).expect("json");
    record["state"] = json!(state);
    h.store.set(key, record.to_string().as_bytes()).expect("set");
}

/// Runs a check `ahead` milliseconds in the future.
fn run(h: &Harness, repair: bool, ahead: i64) -> Report {
    let options = Options { repair, now: Some(h.env.millis.get() + ahead) };
    check(&App::new(&h.store, &h.env), options).expect("check")
}

fn violations(report: &Report) -> Vec<&'static str> {
    report.violations.iter().map(|v| v.kind).collect()
}

fn unfinished(report: &Report) -> Vec<(&'static str, bool, bool)> {
    report.unfinished.iter().map(|u| (u.kind, u.in_flight, u.finished)).collect()
}

/// The uniqueness claim on `name` in connection `c`.
fn user_name_claim(c: &TestConnection, name: &str) -> String {
    crate::storage::keys::resource_unique(&c.id, crate::storage::keys::Kind::User, "userName", name)
}

fn assert_clean(h: &Harness) {
    assert_clean_at(h, 0);
}

/// A check `ahead` milliseconds in the future finds nothing at all.
fn assert_clean_at(h: &Harness, ahead: i64) {
    let report = run(h, false, ahead);
    assert!(report.violations.is_empty() && report.unfinished.is_empty(), "{report:?}");
}

const LATER: i64 = 2 * GRACE_MILLIS;

#[test]
fn a_healthy_store_has_nothing_to_report() {
    let h = Harness::new();
    let c = h.connection("A");
    let u = create_user(&h, &c, "a");
    create_group(&h, &c, &u);
    let gone = h.connection("B");
    create_user(&h, &gone, "b");
    h.admin("DELETE", &format!("/connections/{}", gone.id), None);
    let report = run(&h, false, 0);
    assert!(report.violations.is_empty() && report.unfinished.is_empty(), "{report:?}");
    assert_eq!((report.connections, report.users, report.groups, report.memberships), (1, 1, 1, 1));
    assert!(report.keys > 5);
}

#[test]
fn the_walk_is_paged_and_counts_every_key_at_any_size() {
    // The in-memory store answers `list-keys` 100 keys at a time.
    let h = Harness::new();
    let c = h.connection("A");
    for n in 0..150 {
        create_user(&h, &c, &format!("u{n}"));
    }
    let report = run(&h, false, 0);
    assert!(report.violations.is_empty() && report.unfinished.is_empty(), "{report:?}");
    assert_eq!(report.users, 150);
    let mut all = 0;
    let mut cursor = None;
    loop {
        let (page, next) = h.store.list_keys(cursor.as_deref()).expect("list");
        all += page.len() as u64;
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(all > 300);
    assert_eq!(report.keys, all);
}

#[test]
fn directory_behind_its_chunk_is_unfinished_and_finished_at_once() {
    let h = Harness::new();
    let c = h.connection("A");
    create_user(&h, &c, "a");
    h.store.set(&format!("res-list/{}/u/dir", c.id), b"[[0,0]]").expect("set");
    assert_eq!(h.admin("GET", &format!("/connections/{}", c.id), None).body_json()["userCount"], 0);
    let found = run(&h, true, 0);
    assert!(violations(&found).is_empty());
    assert_eq!(unfinished(&found), vec![("directory-behind", false, true)]);
    assert_clean(&h);
    assert_eq!(h.admin("GET", &format!("/connections/{}", c.id), None).body_json()["userCount"], 1);
}

#[test]
fn committed_create_still_pending_is_unfinished_not_a_violation() {
    // The case of a `kill -9` during creates: the claim (commit) is made, the record's last
    // write (mark live) is not. Nothing has read it since.
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    let key = format!("res/{}/u/{id}", c.id);
    set_state(&h, &key, "pending");
    let report = run(&h, false, 0);
    assert!(violations(&report).is_empty(), "{report:?}");
    assert_eq!(unfinished(&report), vec![("committed-but-pending", true, false)]);
    // Finishing it is what any reader does, so `--repair` does it at once.
    assert_eq!(unfinished(&run(&h, true, 0)), vec![("committed-but-pending", true, true)]);
    assert_clean(&h);
    assert_eq!(h.scim(&c, "GET", &format!("/Users/{id}"), None).status, 200);
}

#[test]
fn interrupted_user_delete_is_left_alone_in_flight_and_finished_past_the_grace() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    create_group(&h, &c, &id);
    // The first step of a delete, then a crash.
    let key = format!("res/{}/u/{id}", c.id);
    set_state(&h, &key, "deleted");
    let report = run(&h, true, 0);
    assert!(violations(&report).is_empty(), "{report:?}");
    assert!(unfinished(&report).contains(&("interrupted-delete", true, false)), "{report:?}");
    let report = run(&h, true, LATER);
    assert!(violations(&report).is_empty(), "{report:?}");
    assert!(unfinished(&report).contains(&("interrupted-delete", false, true)), "{report:?}");
    assert_clean_at(&h, LATER);
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("a"))).status, 201);
}

#[test]
fn delete_cut_short_after_the_record_went_leaves_dangling_members_not_violations() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    create_group(&h, &c, &id);
    // The record is gone, its memberships not yet.
    let key = format!("res/{}/u/{id}", c.id);
    let record: serde_json::Value =
        serde_json::from_slice(&h.store.get(&key).expect("get").expect("record")).expect("json");
    let chunk = format!("res-list/{}/u/{}", c.id, record["chunk"]);
    crate::storage::chunked_list::ChunkedList::new(&h.store, format!("res-list/{}/u", c.id))
        .remove(record["chunk"].as_u64().unwrap_or(1) as u32, &id)
        .expect("unlist");
    h.store.delete(&key).expect("delete");
    let report = run(&h, true, LATER);
    assert!(violations(&report).is_empty(), "{report:?} ({chunk})");
    assert!(unfinished(&report).contains(&("dangling-member", false, true)), "{report:?}");
    assert_clean(&h);
}

#[test]
fn keys_of_a_half_deleted_connection_are_unfinished_work() {
    let h = Harness::new();
    let c = h.connection("A");
    create_user(&h, &c, "a");
    let response = h.admin("DELETE", &format!("/connections/{}", c.id), None);
    assert_eq!(response.status, 204);
    // As if the process died before the purge: put a user's keys back.
    h.store.set(&format!("res/{}/u/x", c.id), b"{}").expect("set");
    h.store.set(&format!("res-list/{}/u/1", c.id), br#"{"seq":1,"ids":["x"]}"#).expect("set");
    let report = run(&h, false, 0);
    assert!(violations(&report).is_empty(), "{report:?}");
    assert_eq!(unfinished(&report), vec![("orphan-keys", false, false)]);
    assert_eq!(unfinished(&run(&h, true, 0)), vec![("orphan-keys", false, true)]);
    assert_clean(&h);
}

#[test]
fn create_cut_short_before_its_commit_is_reclaimed_past_the_grace() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    // Drop the claim: as if the process died between listing the record and claiming.
    let key = format!("res/{}/u/{id}", c.id);
    set_state(&h, &key, "pending");
    let claim = user_name_claim(&c, "a");
    h.store.delete(&claim).expect("delete");
    assert_eq!(unfinished(&run(&h, true, 0)), vec![("abandoned-create", true, false)]);
    assert_eq!(h.scim(&c, "GET", &format!("/Users/{id}"), None).status, 404);
    let report = run(&h, true, LATER);
    assert!(violations(&report).is_empty());
    assert_eq!(unfinished(&report), vec![("abandoned-create", false, true)]);
    assert_clean_at(&h, LATER);
}

#[test]
fn a_claim_left_by_a_crashed_rename_is_stale_past_the_grace() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    // Step 1 of a rename to "b" (claim the new value), then a crash.
    let claim = user_name_claim(&c, "b");
    let at = h.env.millis.get();
    h.store.set(&claim, json!({"id": id, "at": at}).to_string().as_bytes()).expect("set");
    assert_eq!(unfinished(&run(&h, true, 0)), vec![("stale-claim", true, false)]);
    assert_eq!(unfinished(&run(&h, true, LATER)), vec![("stale-claim", false, true)]);
    assert_clean_at(&h, LATER);
}

#[test]
fn corruption_is_a_violation_and_repaired() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    // A live record whose claim vanished: no protocol does that.
    let claim = user_name_claim(&c, "a");
    h.store.delete(&claim).expect("delete");
    let found = run(&h, false, 0);
    assert_eq!(violations(&found), vec!["claim-missing"]);
    assert!(found.violations.iter().all(|v| !v.repaired));
    assert_eq!(violations(&run(&h, true, 0)), vec!["claim-missing"]);
    assert_clean(&h);
    assert_eq!(h.scim(&c, "POST", "/Users", Some(user("a"))).status, 409);
    assert_eq!(h.scim(&c, "GET", &format!("/Users/{id}"), None).status, 200);
}

#[test]
fn a_membership_entry_that_is_not_listed_is_a_violation() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    let group = create_group(&h, &c, &id);
    let list = crate::storage::members::Members::new(&h.store, &c.id, &group).list();
    list.remove(1, &id).expect("unlist");
    assert_eq!(violations(&run(&h, true, 0)), vec!["unlisted-member"]);
    assert_clean(&h);
    let members = h.scim(&c, "GET", &format!("/Groups/{group}"), None).body_json()["members"].clone();
    assert_eq!(members[0]["value"], json!(id));
}

#[test]
fn findings_beyond_the_cap_are_counted_and_still_repaired() {
    let h = Harness::new();
    let c = h.connection("A");
    let at = h.env.millis.get();
    for n in 0..MAX_FINDINGS + 5 {
        let claim = crate::storage::keys::resource_unique(
            &c.id,
            crate::storage::keys::Kind::User,
            "userName",
            &format!("x{n}"),
        );
        h.store.set(&claim, json!({"id": "nobody", "at": at}).to_string().as_bytes()).expect("set");
    }
    let report = run(&h, true, LATER);
    assert_eq!(report.unfinished.len(), MAX_FINDINGS);
    assert_eq!(report.omitted, 5);
    let after = run(&h, false, LATER);
    assert!(after.unfinished.is_empty() && after.omitted == 0, "{after:?}");
}

#[test]
fn the_admin_api_runs_the_same_check() {
    let h = Harness::new();
    let c = h.connection("A");
    create_user(&h, &c, "a");
    let claim = user_name_claim(&c, "a");
    h.store.delete(&claim).expect("delete");
    let found = h.admin("POST", "/check", None);
    assert_eq!(found.status, 200);
    let found = found.body_json();
    assert_eq!((found["clean"].clone(), found["users"].clone()), (json!(false), json!(1)));
    assert_eq!(found["violations"][0]["kind"], "claim-missing");
    assert_eq!(found["violations"][0]["repaired"], false);
    let repaired = h.admin("POST", "/check", Some(json!({"repair": true}))).body_json();
    assert_eq!((repaired["clean"].clone(), repaired["violations"][0]["repaired"].clone()), (json!(true), json!(true)));
    let after = h.admin("POST", "/check", Some(json!({}))).body_json();
    assert_eq!(after["violations"], json!([]));
    assert_eq!(after["unfinished"], json!([]));
    assert_eq!(h.admin("POST", "/check", Some(json!({"repair": "yes"}))).status, 400);
    assert_eq!(h.admin("GET", "/check", None).status, 405);
}

#[test]
fn a_creation_ticket_left_by_a_crash_is_unfinished_once_stale() {
    let h = Harness::new();
    let c = h.connection("A");
    create_user(&h, &c, "a");
    let claim = user_name_claim(&c, "b");
    let slot = h.env.millis.get() / 10_000;
    let ticket = format!("{claim}~new/{slot}");
    assert!(crate::storage::keys::is_creation_ticket(&ticket));
    h.store.set(&ticket, &1i64.to_le_bytes()).expect("set");
    h.store.set("meta/absent-swap", b"blind").expect("set");
    // A fresh ticket may belong to a creator at work: not reported, never decoded as JSON.
    assert_clean(&h);
    let report = run(&h, true, LATER);
    assert_eq!(unfinished(&report), vec![("creation-ticket", false, true)]);
    assert!(h.store.get(&ticket).expect("get").is_none());
    assert!(h.store.get("meta/absent-swap").expect("get").is_some());
}

#[test]
fn repairs_stamp_the_clock_not_the_time_ages_are_judged_by() {
    let h = Harness::new();
    let c = h.connection("A");
    create_user(&h, &c, "a");
    let claim = user_name_claim(&c, "a");
    h.store.delete(&claim).expect("delete");
    assert_eq!(violations(&run(&h, true, LATER)), vec!["claim-missing"]);
    let repaired: serde_json::Value =
        serde_json::from_slice(&h.store.get(&claim).expect("get").expect("claim")).expect("json");
    // The test clock ticks on every reading: the stamp is a past reading, not the judged time
    // two grace periods ahead.
    let at = repaired["at"].as_i64().expect("at");
    assert!(at <= h.env.millis.get(), "stamped {at}, clock at {}", h.env.millis.get());
}

#[test]
fn membership_keys_of_a_group_whose_deletion_stopped_are_left_over_work() {
    let h = Harness::new();
    let c = h.connection("A");
    let id = create_user(&h, &c, "a");
    let group = create_group(&h, &c, &id);
    // The first step of the group's deletion, then a crash: its membership keys remain.
    set_state(&h, &format!("res/{}/g/{group}", c.id), "deleted");
    let report = run(&h, false, 0);
    assert!(violations(&report).is_empty(), "{report:?}");
    assert!(unfinished(&report).contains(&("orphan-membership", true, false)), "{report:?}");
    let report = run(&h, true, LATER);
    assert!(unfinished(&report).contains(&("orphan-membership", false, true)), "{report:?}");
    assert_clean_at(&h, LATER);
    let (keys, _) = h.store.list_keys(None).expect("list");
    assert!(!keys.iter().any(|k| k.starts_with(&format!("mem/{}/{group}", c.id))), "{keys:?}");
}

#[test]
fn registered_schemas_are_accounted_for_and_a_deleted_connections_are_orphans() {
    let h = Harness::new();
    let (keep, gone) = (h.connection("A"), h.connection("B"));
    let schema =
        |urn: &str| json!({"id": urn, "resourceType": "User", "attributes": [{"name": "x", "type": "string"}]});
    assert_eq!(h.admin("POST", "/schemas", Some(schema("urn:acme:tenant"))).status, 201);
    for c in [&keep, &gone] {
        assert_eq!(
            h.admin("POST", &format!("/connections/{}/schemas", c.id), Some(schema("urn:acme:own"))).status,
            201
        );
    }
    assert_clean(&h);
    assert_eq!(h.admin("DELETE", &format!("/connections/{}", gone.id), None).status, 204);
    let key = crate::storage::keys::connection_schemas(&gone.id);
    assert_eq!(h.store.get(&key).expect("get"), None, "the purge deletes it");
    assert_clean(&h);
    // As if the process died before the purge reached it.
    h.store.set(&key, br#"{"schemas":[]}"#).expect("set");
    assert_eq!(unfinished(&run(&h, true, 0)), vec![("orphan-keys", false, true)]);
    assert_clean(&h);
}

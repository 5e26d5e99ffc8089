//! Reclamation: a delete costs the same whatever the connection's size, every step is
//! bounded, a step cut short anywhere is resumed, everything of the connection goes and
//! nothing of any other.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Progress, run_until_idle, step};
use crate::app::App;
use crate::scim::schema::USER;
use crate::store::counting::{CountingStore, total};
use crate::store::memory::MemoryStore;
use crate::store::{CasHandle, KvStore, StoreError};
use crate::testing::{Harness, TestConnection};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

/// Connection `name` with `users` users (each with an externalId), a group of all of them, a
/// group holding that group and the first user, and a custom schema of its own.
fn populated(h: &Harness, name: &str, users: usize) -> TestConnection {
    let c = h.connection(name);
    let ids: Vec<String> = (0..users)
        .map(|i| {
            let body = json!({"schemas": [USER], "userName": format!("{name}-{i}"), "externalId": format!("x{i}")});
            let created = h.scim(&c, "POST", "/Users", Some(body));
            assert_eq!(created.status, 201, "{}", created.body_json());
            created.body_json()["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let all =
        h.scim(&c, "POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "All", "members": members})));
    assert_eq!(all.status, 201, "{}", all.body_json());
    let nested = json!({"schemas": [GROUP], "displayName": "Nested", "externalId": "n",
        "members": [{"value": all.body_json()["id"]}, {"value": ids.first()}]});
    assert_eq!(h.scim(&c, "POST", "/Groups", Some(nested)).status, 201);
    let schema = json!({"id": EXTENSION, "name": "Acme", "resourceType": "User",
        "attributes": [{"name": "badge", "type": "string"}]});
    let registered = h.admin("POST", &format!("/connections/{}/schemas", c.id), Some(schema));
    assert_eq!(registered.status, 201, "{}", registered.body_json());
    c
}

/// Every key (and value) that names connection `id`.
fn keys_of(store: &MemoryStore, id: &str) -> Vec<String> {
    store.keys().into_iter().filter(|k| k.contains(id)).collect()
}

fn snapshot(store: &MemoryStore, id: &str) -> BTreeMap<String, Option<Vec<u8>>> {
    keys_of(store, id).into_iter().map(|k| (k.clone(), store.get(&k).expect("get"))).collect()
}

/// Deletes `c` as the admin API does, without the step an admin request runs after its work.
fn delete(h: &Harness, c: &TestConnection) {
    crate::connection::delete(&App::new(&h.store, &h.env), &c.id).expect("delete");
}

fn clean_check(h: &Harness) -> crate::maintenance::Report {
    let later = h.env.millis.get() + 2 * crate::storage::unique::GRACE_MILLIS;
    let options = crate::maintenance::Options { repair: false, now: Some(later) };
    crate::maintenance::check(&App::new(&h.store, &h.env), options).expect("check")
}

#[test]
fn a_delete_costs_the_same_store_calls_whatever_the_connections_size() {
    let h = Harness::new();
    let first = h.connection("First");
    delete(&h, &first); // opens the queue's first chunk
    let small = populated(&h, "Small", 3);
    let large = populated(&h, "Large", 1_500);
    let mut costs = Vec::new();
    for c in [&small, &large] {
        let counting = CountingStore::new(h.store.clone());
        crate::connection::delete(&App::new(&counting, &h.env), &c.id).expect("delete");
        costs.push(counting.take());
    }
    assert_eq!(costs[0], costs[1], "small then large");
    assert!(total(&costs[1]) <= 24, "{:?}", costs[1]);
    let answer = h.scim(&large, "GET", "/Users", None);
    assert_eq!(answer.status, 401, "the token is dead at once");
    let listed = h.admin("GET", "/users", None).body_json();
    assert_eq!(listed["totalResults"], 0, "its users left End Users at once: {listed}");
}

#[test]
fn every_step_is_bounded_and_reclamation_leaves_no_key() {
    let h = Harness::new();
    let c = populated(&h, "Gone", 2_500);
    delete(&h, &c);
    let budget = 500;
    let counting = CountingStore::new(h.store.clone());
    let app = App::new(&counting, &h.env);
    let (mut steps, mut reclaimed, mut most_calls) = (0, 0, 0);
    loop {
        let progress = step(&app, budget).expect("step");
        let calls = total(&counting.take());
        steps += 1;
        reclaimed += progress.reclaimed_keys;
        most_calls = most_calls.max(calls);
        assert!(progress.reclaimed_keys <= budget as u64 + 16, "step {steps}: {progress:?}");
        assert!(calls <= 64, "step {steps}: {calls} store calls");
        if progress.pending == 0 {
            break;
        }
        assert!(steps < 1_000, "reclamation does not end");
    }
    println!(
        "2,500 users: {steps} steps of at most {budget} keys, {reclaimed} keys, at most {most_calls} calls a step"
    );
    assert!(steps >= 2_500 * 3 / budget, "{steps} steps");
    assert_eq!(keys_of(&h.store, &c.id), Vec::<String>::new());
    assert_eq!(clean_check(&h), crate::maintenance::Report { keys: h.store.keys().len() as u64, ..Default::default() });
}

#[test]
fn nothing_pending_costs_one_store_call() {
    let h = Harness::new();
    populated(&h, "Live", 2);
    let counting = CountingStore::new(h.store.clone());
    assert_eq!(step(&App::new(&counting, &h.env), 100).expect("step"), Progress::default());
    assert_eq!(total(&counting.take()), 1);
}

#[test]
fn everything_of_the_connection_goes_and_nothing_of_any_other() {
    let h = Harness::new();
    let keep = populated(&h, "Keep", 20);
    let gone = populated(&h, "Gone", 40);
    let kept = snapshot(&h.store, &keep.id);
    let prefixes = ["conn/", "schemas/", "health/", "res/", "res-list/", "res-uniq/", "res-idx/", "mem/", "member-of/"];
    let owned = keys_of(&h.store, &gone.id);
    for prefix in prefixes {
        assert!(owned.iter().any(|k| k.starts_with(prefix)), "the fixture has {prefix} keys");
    }
    delete(&h, &gone);
    // Re-created under the same name before its data is reclaimed.
    let issued = crate::connection::create(&App::new(&h.store, &h.env), Some("Gone"), None).expect("create");
    let again = TestConnection { id: issued.connection.record.id, token: issued.token };
    let body = json!({"schemas": [USER], "userName": "Gone-0", "externalId": "x0"});
    assert_eq!(h.scim(&again, "POST", "/Users", Some(body)).status, 201);
    let recreated = snapshot(&h.store, &again.id);
    let app = App::new(&h.store, &h.env);
    let done = run_until_idle(&app, 64).expect("reclaim");
    assert_eq!(done.finished_connections, 1);
    assert_eq!(keys_of(&h.store, &gone.id), Vec::<String>::new());
    assert_eq!(snapshot(&h.store, &keep.id), kept, "another connection is untouched");
    assert_eq!(snapshot(&h.store, &again.id), recreated, "the re-created connection is untouched");
    let users = h.scim(&again, "GET", "/Users?filter=externalId%20eq%20%22x0%22", None).body_json();
    assert_eq!(users["totalResults"], 1, "{users}");
    let report = clean_check(&h);
    assert!(report.violations.is_empty() && report.unfinished.is_empty(), "{report:?}");
}

/// `inner`, failing every call after the first `left` (a process that dies mid-step).
#[derive(Clone)]
struct CrashAfter {
    inner: MemoryStore,
    left: std::rc::Rc<Cell<usize>>,
}

impl CrashAfter {
    fn call(&self) -> Result<(), StoreError> {
        match self.left.get() {
            0 => Err(StoreError("crashed".into())),
            n => {
                self.left.set(n - 1);
                Ok(())
            }
        }
    }
}

impl KvStore for CrashAfter {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.call()?;
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.call()?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.call()?;
        self.inner.delete(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.call()?;
        self.inner.get_many(keys)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.call()?;
        self.inner.set_many(entries)
    }
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.call()?;
        self.inner.delete_many(keys)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.call()?;
        self.inner.increment(key, delta)
    }
    fn cas(&self, key: &str) -> Result<Box<dyn CasHandle>, StoreError> {
        self.call()?;
        self.inner.cas(key)
    }
    fn list_keys(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), StoreError> {
        self.call()?;
        self.inner.list_keys(cursor)
    }
}

#[test]
fn a_step_cut_short_anywhere_is_resumed_by_the_next() {
    let budget = 40;
    let mut crashes = 0;
    for crash_at in 0.. {
        let mut h = Harness::new();
        h.env.config.insert(super::CONFIG_LIST_KEYS_PAGES.into(), "true".into());
        let c = populated(&h, "Gone", 30);
        let keep = populated(&h, "Keep", 3);
        let kept = snapshot(&h.store, &keep.id);
        delete(&h, &c);
        let crashing = CrashAfter { inner: h.store.clone(), left: std::rc::Rc::new(Cell::new(crash_at)) };
        if run_until_idle(&App::new(&crashing, &h.env), budget).is_ok() {
            break;
        }
        crashes += 1;
        // The crashed step's lease runs out; then reclamation goes on where it was left.
        h.env.millis.set(h.env.millis.get() + super::queue::LEASE_MILLIS + 1);
        run_until_idle(&App::new(&h.store, &h.env), budget).expect("resume");
        assert_eq!(keys_of(&h.store, &c.id), Vec::<String>::new(), "crash after {crash_at} calls");
        assert_eq!(snapshot(&h.store, &keep.id), kept, "crash after {crash_at} calls");
        let report = clean_check(&h);
        assert!(report.violations.is_empty() && report.unfinished.is_empty(), "crash after {crash_at}: {report:?}");
    }
    println!("reclamation resumed after a crash at each of its first {crashes} store calls");
    assert!(crashes >= 60, "a crash at each of {crashes} store calls");
}

#[test]
fn where_list_keys_pages_a_sweep_deletes_keys_of_structures_reclamation_does_not_know() {
    for pages in [true, false] {
        let mut h = Harness::new();
        if pages {
            h.env.config.insert(super::CONFIG_LIST_KEYS_PAGES.into(), "true".into());
        }
        let c = populated(&h, "Gone", 5);
        let unknown = format!("some-future-index/{}/42", c.id);
        h.store.set(&unknown, b"{}").expect("set");
        delete(&h, &c);
        run_until_idle(&App::new(&h.store, &h.env), 1_000).expect("reclaim");
        if pages {
            assert_eq!(keys_of(&h.store, &c.id), Vec::<String>::new());
        } else {
            assert_eq!(keys_of(&h.store, &c.id), vec![unknown.clone()], "left to the check");
            let report = clean_check(&h);
            let kinds: Vec<&str> = report.unfinished.iter().map(|u| u.kind).collect();
            assert_eq!(kinds, vec!["orphan-keys"], "{report:?}");
        }
    }
}

#[test]
fn the_check_reports_a_pending_reclamation_and_repair_finishes_it() {
    let h = Harness::new();
    let c = populated(&h, "Gone", 10);
    delete(&h, &c);
    let report = clean_check(&h);
    let found: Vec<(&str, bool)> = report.unfinished.iter().map(|u| (u.kind, u.finished)).collect();
    assert_eq!(found, vec![("reclaim-pending", false)], "{report:?}");
    assert!(report.violations.is_empty());
    let options = crate::maintenance::Options { repair: true, now: None };
    let repaired = crate::maintenance::check(&App::new(&h.store, &h.env), options).expect("check");
    let found: Vec<(&str, bool)> = repaired.unfinished.iter().map(|u| (u.kind, u.finished)).collect();
    assert_eq!(found, vec![("reclaim-pending", true)], "{repaired:?}");
    assert_eq!(keys_of(&h.store, &c.id), Vec::<String>::new());
}

#[test]
fn the_admin_api_reclaims_a_step_at_a_time_and_checks() {
    let h = Harness::new();
    let idle = h.admin("POST", "/maintenance/reclaim", None);
    assert_eq!(idle.status, 200);
    assert_eq!(idle.body_json(), json!({"pending": 0, "reclaimedKeys": 0, "finishedConnections": 0, "busy": false}));
    let c = populated(&h, "Gone", 1_000);
    assert_eq!(h.admin("DELETE", &format!("/connections/{}", c.id), None).status, 204);
    let mut steps = 0;
    loop {
        let answer = h.admin("POST", "/maintenance/reclaim", None).body_json();
        steps += 1;
        assert!(answer["reclaimedKeys"].as_u64().unwrap_or(u64::MAX) <= super::REQUEST_BUDGET as u64 + 16, "{answer}");
        if answer["pending"] == 0 {
            break;
        }
        assert!(steps < 100, "{answer}");
    }
    assert!(steps >= 2, "the DELETE did one bounded step, not everything ({steps} more)");
    assert_eq!(keys_of(&h.store, &c.id), Vec::<String>::new());
    for (method, path, status) in [
        ("POST", "/maintenance/check", 200),
        ("POST", "/maintenance/check?repair=true", 200),
        ("POST", "/check", 200),
        ("GET", "/maintenance/check", 405),
        ("GET", "/maintenance/reclaim", 405),
        ("POST", "/maintenance/nothing", 404),
        ("POST", "/maintenance/check?repair=maybe", 400),
    ] {
        let answer = h.admin(method, path, None);
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body_json());
        if status == 200 {
            assert_eq!(answer.body_json()["clean"], true, "{path}");
        }
    }
    let repaired = h.admin("POST", "/maintenance/check", Some(json!({"repair": true})));
    assert_eq!(repaired.status, 200);
    assert_eq!(h.admin("POST", "/maintenance/check", Some(json!({"repair": 1}))).status, 400);
}

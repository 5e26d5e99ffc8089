//! Store calls per request, as a host sees them, on each kind of store: the figures of
//! `docs/storage.md` ("Creating a key on a store whose swap from absent is blind"), checked.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Value, json};

use crate::App;
use crate::http::{Request, Response};
use crate::scim::schema::{GROUP, USER};
use crate::store::clock::SystemClock;
use crate::store::counting::{CountingStore, total};
use crate::store::faulty::{Faults, FaultyStore};
use crate::store::probe::{ABSENT_SWAP_KEY, absent_swap};
use crate::store::{ExclusiveCreate, KvStore, Tolerant};
use crate::testing::{Harness, TestConnection};

const STORAGE_MD: &str = include_str!("../../docs/storage.md");

/// Sends one SCIM request through a fresh instance over the harness's bucket with `faults`;
/// returns the store calls it made.
fn calls(
    h: &Harness,
    faults: Faults,
    c: &TestConnection,
    method: &str,
    path: &str,
    body: Value,
) -> BTreeMap<&'static str, usize> {
    let counting = CountingStore::new(FaultyStore::new(h.store.clone(), faults));
    let store = ExclusiveCreate::new(Rc::new(Tolerant::new(counting.clone())), Rc::new(SystemClock));
    let headers = vec![
        ("host".to_owned(), "idplex.test".to_owned()),
        ("authorization".to_owned(), format!("Bearer {}", c.token)),
    ];
    let request = Request::new(
        method,
        &format!("/scim/v2/{}{path}", c.id),
        headers,
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    let response = crate::handle(&App::new(&store, &h.env), &request);
    assert!(response.status < 300, "{method} {path}: {}", response.status);
    counting.take()
}

fn id_of(response: &Response) -> String {
    response.body_json()["id"].as_str().unwrap_or_default().to_owned()
}

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name, "externalId": format!("e-{name}")})
}

fn add_member(id: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]})
}

/// Calls of: the first user of a connection, a later user, a later member added to a group.
fn figures(faults: Faults) -> [usize; 3] {
    let h = Harness::new();
    let c = h.connection("A");
    // The harness's own requests recorded the verdict of the bucket itself: record this kind's.
    h.store.delete(ABSENT_SWAP_KEY).expect("delete");
    absent_swap(&FaultyStore::new(h.store.clone(), faults)).expect("probe");
    let first = calls(&h, faults, &c, "POST", "/Users", user("a"));
    let later = calls(&h, faults, &c, "POST", "/Users", user("b"));
    let group = id_of(&h.scim(&c, "POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "g"}))));
    let (m1, m2) = (
        id_of(&h.scim(&c, "POST", "/Users", Some(user("m1")))),
        id_of(&h.scim(&c, "POST", "/Users", Some(user("m2")))),
    );
    h.scim(&c, "PATCH", &format!("/Groups/{group}"), Some(add_member(&m1)));
    let member = calls(&h, faults, &c, "PATCH", &format!("/Groups/{group}"), add_member(&m2));
    [total(&first), total(&later), total(&member)]
}

#[test]
fn store_calls_per_create_are_those_storage_md_states() {
    for (row, faults) in [
        ("insert-if-absent (the `idplex` host's SQLite and Redis)", Faults::default()),
        ("Spin's Redis provider", Faults::spin_redis()),
        ("Spin's SQLite provider", Faults::spin_sqlite()),
    ] {
        let [first, later, member] = figures(faults);
        let line = format!("| {row} | {first} | {later} | {member} |");
        assert!(STORAGE_MD.lines().any(|l| l.starts_with(&line)), "docs/storage.md lacks the row `{line}`");
    }
}

#[test]
fn on_spin_sqlite_each_key_created_costs_five_calls_more_and_one_read_per_instance() {
    let h = Harness::new();
    let c = h.connection("A");
    h.store.delete(ABSENT_SWAP_KEY).expect("delete");
    absent_swap(&FaultyStore::new(h.store.clone(), Faults::spin_sqlite())).expect("probe");
    // A later user: its claim and its externalId index key are created.
    h.scim(&c, "POST", "/Users", Some(user("a")));
    let calls = calls(&h, Faults::spin_sqlite(), &c, "POST", "/Users", user("b"));
    // Two tickets, and the request's health and audit counters.
    assert_eq!((calls.get("increment"), calls.get("delete")), (Some(&4), Some(&2)), "{calls:?}");
    let [_, insert_if_absent, _] = figures(Faults::default());
    assert_eq!(total(&calls), insert_if_absent + 2 * 5, "{calls:?}");
}

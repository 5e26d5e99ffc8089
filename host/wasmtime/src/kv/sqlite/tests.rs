use std::sync::Arc;

use super::*;

fn open() -> (tempfile::TempDir, SqliteBackend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = SqliteBackend::open_in(dir.path()).expect("open store");
    (dir, backend)
}

crate::kv::contract::kv_contract_tests!(open());

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn empty_value_is_stored_as_present() {
    let (_dir, kv) = open();
    kv.set("empty", b"").expect("set");
    assert_eq!(kv.get("empty").expect("get"), Some(Vec::new()));
}

#[test]
fn get_many_preserves_order() {
    let (_dir, kv) = open();
    kv.set_many(&[("b".into(), b"B".to_vec()), ("a".into(), b"A".to_vec())]).expect("set_many");
    let values = kv.get_many(&keys(&["b", "missing", "a", "b"])).expect("get_many");
    assert_eq!(values, vec![Some(b"B".to_vec()), None, Some(b"A".to_vec()), Some(b"B".to_vec())]);
}

#[test]
fn delete_many_skips_missing_keys() {
    let (_dir, kv) = open();
    kv.set_many(&[("a".into(), b"A".to_vec()), ("b".into(), b"B".to_vec())]).expect("set_many");
    kv.delete_many(&keys(&["a", "zzz"])).expect("delete_many");
    assert_eq!(kv.get_many(&keys(&["a", "b"])).expect("get_many"), vec![None, Some(b"B".to_vec())]);
}

#[test]
fn swap_with_unchanged_version_succeeds() {
    let (_dir, kv) = open();
    kv.set("k", b"old").expect("set");
    let read = kv.cas_read("k").expect("cas_read");
    assert_eq!(read.value, Some(b"old".to_vec()));
    assert_eq!(kv.cas_swap("k", read.version, b"new").expect("swap"), SwapOutcome::Swapped);
    assert_eq!(kv.get("k").expect("get"), Some(b"new".to_vec()));
}

#[test]
fn versions_are_not_reused_after_delete() {
    let (_dir, kv) = open();
    kv.set("k", b"v").expect("set");
    let first = kv.cas_read("k").expect("cas_read");
    kv.delete("k").expect("delete");
    kv.set("k", b"v").expect("recreate");
    let second = kv.cas_read("k").expect("cas_read");
    assert_ne!(first.version, second.version);
    // The handle from before the delete must not swap the re-created key (no ABA).
    let outcome = kv.cas_swap("k", first.version, b"stale").expect("swap");
    assert!(matches!(outcome, SwapOutcome::Conflict(_)));
}

#[test]
fn versions_survive_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = {
        let kv = SqliteBackend::open_in(dir.path()).expect("open");
        kv.set("k", b"v").expect("set");
        kv.cas_read("k").expect("cas_read").version
    };
    let kv = SqliteBackend::open_in(dir.path()).expect("reopen");
    kv.set("other", b"v").expect("set");
    assert!(kv.cas_read("other").expect("cas_read").version > before);
    assert_eq!(kv.get("k").expect("get"), Some(b"v".to_vec()));
}

#[test]
fn list_keys_pages_through_everything() {
    let (_dir, kv) = open();
    let total = LIST_KEYS_PAGE_SIZE + 7;
    let entries: Vec<(String, Vec<u8>)> = (0..total).map(|i| (format!("key/{i:05}"), Vec::new())).collect();
    kv.set_many(&entries).expect("set_many");
    let first = kv.list_keys(None).expect("first page");
    assert_eq!(first.keys.len(), LIST_KEYS_PAGE_SIZE);
    let cursor = first.cursor.clone().expect("a second page");
    let second = kv.list_keys(Some(&cursor)).expect("second page");
    assert_eq!(second.keys.len(), 7);
    assert_eq!(second.cursor, None);
    let mut all = first.keys;
    all.extend(second.keys);
    let expected: Vec<String> = entries.into_iter().map(|(k, _)| k).collect();
    assert_eq!(all, expected);
}

#[test]
fn list_keys_past_end_is_empty() {
    let (_dir, kv) = open();
    kv.set("a", b"").expect("set");
    assert_eq!(kv.list_keys(Some("zzz")).expect("list"), KeyPage::default());
    assert_eq!(kv.list_keys(None).expect("list"), KeyPage { keys: keys(&["a"]), cursor: None });
}

#[test]
fn concurrent_cas_increments_lose_nothing() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 25;
    let (_dir, kv) = open();
    let kv: Arc<dyn KvBackend> = Arc::new(kv);
    crate::kv::contract::increment_with_cas(&[Arc::clone(&kv)], THREADS, ROUNDS);
    let expected = (THREADS * ROUNDS).to_string();
    assert_eq!(kv.get("counter").expect("get"), Some(expected.into_bytes()));
}

#[test]
fn concurrent_increments_from_two_backends_lose_nothing() {
    // Two backends over one file behave like two processes sharing the store.
    let dir = tempfile::tempdir().expect("temp dir");
    let a = Arc::new(SqliteBackend::open_in(dir.path()).expect("open a"));
    let b = Arc::new(SqliteBackend::open_in(dir.path()).expect("open b"));
    let workers: Vec<_> = [a.clone(), b, a.clone(), a.clone()]
        .into_iter()
        .map(|kv| {
            std::thread::spawn(move || {
                for _ in 0..50 {
                    kv.increment("hits", 1).expect("increment");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    assert_eq!(a.get("hits").expect("get"), Some(b"200".to_vec()));
}

#[test]
fn store_uses_wal_mode() {
    let (_dir, kv) = open();
    let conn = kv.pool.get().expect("connection");
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("pragma");
    assert_eq!(mode, "wal");
    let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("pragma");
    assert_eq!(sync, 2, "synchronous=FULL");
}

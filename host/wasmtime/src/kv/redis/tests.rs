//! Behaviour of the Redis backend against a real, private `redis-server` per test.

use std::sync::Arc;

use super::test_server::TestRedis;
use super::*;

fn open() -> (TestRedis, RedisBackend) {
    let server = TestRedis::start();
    let backend = RedisBackend::open(&server.url(0)).expect("open store");
    (server, backend)
}

crate::kv::contract::kv_contract_tests!(open());

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Another Redis client writing plain values, as Spin's Redis key-value store does.
fn foreign_set(conn: &mut redis::Connection, key: &str, value: &[u8]) {
    redis::cmd("SET").arg(key).arg(value).exec(conn).expect("foreign SET");
}

#[test]
fn empty_value_is_stored_as_present() {
    let (_redis, kv) = open();
    kv.set("empty", b"").expect("set");
    assert_eq!(kv.get("empty").expect("get"), Some(Vec::new()));
    assert!(kv.exists("empty").expect("exists"));
}

#[test]
fn binary_values_round_trip() {
    let (_redis, kv) = open();
    let value: Vec<u8> = (0..=255u8).collect();
    kv.set("bin", &value).expect("set");
    assert_eq!(kv.get("bin").expect("get"), Some(value.clone()));
    assert_eq!(kv.cas_read("bin").expect("cas_read").value, Some(value));
}

#[test]
fn values_are_plain_redis_strings() {
    let (redis, kv) = open();
    kv.set("conn/x", b"{\"a\":1}").expect("set");
    let mut conn = redis.raw_connection(0);
    let raw: Option<Vec<u8>> = redis::cmd("GET").arg("conn/x").query(&mut conn).expect("GET");
    assert_eq!(raw, Some(b"{\"a\":1}".to_vec()));
}

#[test]
fn get_many_preserves_order() {
    let (_redis, kv) = open();
    kv.set_many(&[("b".into(), b"B".to_vec()), ("a".into(), b"A".to_vec())]).expect("set_many");
    let values = kv.get_many(&keys(&["b", "missing", "a", "b"])).expect("get_many");
    assert_eq!(values, vec![Some(b"B".to_vec()), None, Some(b"A".to_vec()), Some(b"B".to_vec())]);
    assert_eq!(kv.get_many(&[]).expect("empty get_many"), Vec::<Option<Vec<u8>>>::new());
}

#[test]
fn delete_many_skips_missing_keys() {
    let (_redis, kv) = open();
    kv.set_many(&[("a".into(), b"A".to_vec()), ("b".into(), b"B".to_vec())]).expect("set_many");
    kv.delete_many(&keys(&["a", "zzz"])).expect("delete_many");
    kv.delete_many(&[]).expect("empty delete_many");
    assert_eq!(kv.get_many(&keys(&["a", "b"])).expect("get_many"), vec![None, Some(b"B".to_vec())]);
}

#[test]
fn swap_with_unchanged_version_succeeds() {
    let (_redis, kv) = open();
    kv.set("k", b"old").expect("set");
    let read = kv.cas_read("k").expect("cas_read");
    assert_eq!(read.value, Some(b"old".to_vec()));
    assert_ne!(read.version, CasVersion::ABSENT);
    assert_eq!(kv.cas_swap("k", read.version, b"new").expect("swap"), SwapOutcome::Swapped);
    assert_eq!(kv.get("k").expect("get"), Some(b"new".to_vec()));
}

#[test]
fn swap_after_write_by_another_process_fails() {
    let server = TestRedis::start();
    let a = RedisBackend::open(&server.url(0)).expect("open a");
    let b = RedisBackend::open(&server.url(0)).expect("open b");
    a.set("k", b"v1").expect("set");
    let stale = a.cas_read("k").expect("cas_read");
    let theirs = b.cas_read("k").expect("cas_read");
    assert_eq!(b.cas_swap("k", theirs.version, b"theirs").expect("swap"), SwapOutcome::Swapped);
    assert!(matches!(
        a.cas_swap("k", stale.version, b"mine").expect("swap"),
        SwapOutcome::Conflict(ref v) if v.value.as_deref() == Some(b"theirs")
    ));
}

#[test]
fn versions_are_not_reused_after_delete() {
    let (_redis, kv) = open();
    kv.set("k", b"v").expect("set");
    let first = kv.cas_read("k").expect("cas_read");
    kv.delete("k").expect("delete");
    kv.set("k", b"v").expect("recreate");
    let second = kv.cas_read("k").expect("cas_read");
    assert_ne!(first.version, second.version);
    // The handle from before the delete must not swap the re-created key (no ABA), even
    // though the bytes are the same.
    let outcome = kv.cas_swap("k", first.version, b"stale").expect("swap");
    assert!(matches!(outcome, SwapOutcome::Conflict(_)));
    // Nor a re-creation through a swap from absent.
    kv.delete("k").expect("delete");
    let absent = kv.cas_read("k").expect("cas_read");
    assert_eq!(kv.cas_swap("k", absent.version, b"v").expect("swap"), SwapOutcome::Swapped);
    assert!(matches!(kv.cas_swap("k", second.version, b"stale").expect("swap"), SwapOutcome::Conflict(_)));
}

#[test]
fn versions_survive_reconnecting_and_a_lost_sequence() {
    let server = TestRedis::start();
    let before = {
        let kv = RedisBackend::open(&server.url(0)).expect("open");
        kv.set("k", b"v").expect("set");
        kv.cas_read("k").expect("cas_read").version
    };
    let kv = RedisBackend::open(&server.url(0)).expect("reopen");
    kv.set("other", b"v").expect("set");
    assert!(kv.cas_read("other").expect("cas_read").version > before);
    // Losing the sequence key restarts it from the clock, above every version given out.
    let mut conn = server.raw_connection(0);
    redis::cmd("DEL").arg(SEQUENCE_KEY).exec(&mut conn).expect("DEL");
    kv.set("third", b"v").expect("set");
    assert!(kv.cas_read("third").expect("cas_read").version > before);
}

#[test]
fn foreign_write_between_read_and_swap_conflicts() {
    let (redis, kv) = open();
    let mut spin = redis.raw_connection(0);
    kv.set("k", b"ours").expect("set");
    let stale = kv.cas_read("k").expect("cas_read");
    foreign_set(&mut spin, "k", b"spin's");
    let SwapOutcome::Conflict(fresh) = kv.cas_swap("k", stale.version, b"mine").expect("swap") else {
        panic!("a swap over a foreign write must conflict");
    };
    assert_eq!(fresh.value, Some(b"spin's".to_vec()));
    assert_eq!(kv.cas_swap("k", fresh.version, b"mine").expect("retry"), SwapOutcome::Swapped);
    assert_eq!(kv.get("k").expect("get"), Some(b"mine".to_vec()));
}

#[test]
fn foreign_key_without_version_gets_one_on_read() {
    let (redis, kv) = open();
    let mut spin = redis.raw_connection(0);
    foreign_set(&mut spin, "k", b"from spin");
    let read = kv.cas_read("k").expect("cas_read");
    assert_eq!(read.value, Some(b"from spin".to_vec()));
    assert_ne!(read.version, CasVersion::ABSENT);
    assert_eq!(kv.cas_read("k").expect("read again").version, read.version, "stable until written");
    assert_eq!(kv.cas_swap("k", read.version, b"ours").expect("swap"), SwapOutcome::Swapped);
}

#[test]
fn increment_keeps_full_64_bit_precision() {
    let (_redis, kv) = open();
    let big = i64::MAX - 10;
    kv.set("n", big.to_string().as_bytes()).expect("set");
    assert_eq!(kv.increment("n", 3).expect("increment"), big + 3);
}

#[test]
fn list_keys_pages_through_everything() {
    let (_redis, kv) = open();
    let total = 2 * LIST_KEYS_PAGE_SIZE + 7;
    let entries: Vec<(String, Vec<u8>)> = (0..total).map(|i| (format!("key/{i:05}"), Vec::new())).collect();
    kv.set_many(&entries).expect("set_many");
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let page = kv.list_keys(cursor.as_deref()).expect("page");
        assert!(page.keys.len() <= LIST_KEYS_PAGE_SIZE, "a page of {} keys", page.keys.len());
        all.extend(page.keys);
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert!(cursor.is_none(), "the walk ends");
    all.sort();
    all.dedup();
    let expected: Vec<String> = entries.into_iter().map(|(k, _)| k).collect();
    assert_eq!(all, expected, "every key once, and no companion key");
}

#[test]
fn list_keys_hides_the_companion_keys() {
    let (_redis, kv) = open();
    kv.set("a", b"").expect("set");
    kv.increment("n", 1).expect("increment");
    let mut page = kv.list_keys(None).expect("list");
    page.keys.sort();
    assert_eq!(page, KeyPage { keys: keys(&["a", "n"]), cursor: None });
}

#[test]
fn list_keys_of_empty_store_is_empty() {
    let (_redis, kv) = open();
    assert_eq!(kv.list_keys(None).expect("list"), KeyPage::default());
}

#[test]
fn list_keys_cursor_round_trips_pending_keys() {
    let position = ScanPosition { scan: Some(1234), pending: keys(&["a b", "ü/x"]) };
    assert_eq!(ScanPosition::decode(Some(&position.encode())).expect("decode"), position);
    let done = ScanPosition { scan: None, pending: keys(&["last"]) };
    assert_eq!(ScanPosition::decode(Some(&done.encode())).expect("decode"), done);
    assert!(ScanPosition::decode(Some("garbage")).is_err());
}

#[test]
fn reserved_keys_are_refused() {
    let (_redis, kv) = open();
    kv.set("a", b"1").expect("set");
    assert!(matches!(kv.set(VERSIONS_KEY, b"x"), Err(KvError::Storage(_))));
    assert!(matches!(kv.delete(SEQUENCE_KEY), Err(KvError::Storage(_))));
    assert!(matches!(kv.get_many(&keys(&["a", VERSIONS_KEY])), Err(KvError::Storage(_))));
    assert_eq!(kv.get("a").expect("get"), Some(b"1".to_vec()));
}

#[test]
fn databases_are_separate_buckets() {
    let server = TestRedis::start();
    let zero = RedisBackend::open(&server.url(0)).expect("db 0");
    let one = RedisBackend::open(&server.url(1)).expect("db 1");
    zero.set("k", b"0").expect("set");
    assert_eq!(one.get("k").expect("get"), None);
}

#[test]
fn concurrent_cas_increments_lose_nothing() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 25;
    let server = TestRedis::start();
    // Two backends over one database behave like two processes sharing the store.
    let a: Arc<dyn KvBackend> = Arc::new(RedisBackend::open(&server.url(0)).expect("open a"));
    let b: Arc<dyn KvBackend> = Arc::new(RedisBackend::open(&server.url(0)).expect("open b"));
    let conflicts = crate::kv::contract::increment_with_cas(&[Arc::clone(&a), b], THREADS, ROUNDS);
    let expected = (THREADS * ROUNDS).to_string();
    assert_eq!(a.get("counter").expect("get"), Some(expected.into_bytes()));
    assert!(conflicts > 0, "the threads never raced, so the test proved nothing");
}

#[test]
fn concurrent_increments_from_two_backends_lose_nothing() {
    let server = TestRedis::start();
    let a = Arc::new(RedisBackend::open(&server.url(0)).expect("open a"));
    let b = Arc::new(RedisBackend::open(&server.url(0)).expect("open b"));
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
fn opening_does_not_connect() {
    let mut server = TestRedis::start();
    let url = server.url(0);
    server.kill();
    let kv = RedisBackend::open(&url).expect("open without a server");
    assert!(matches!(kv.get("k"), Err(KvError::Storage(_))));
}

#[test]
fn outage_is_a_storage_error_without_the_password() {
    let mut server = TestRedis::start_with(&["--requirepass", "hunter2-secret"]);
    let kv = RedisBackend::open(&server.url_with_password(0, Some("hunter2-secret"))).expect("open");
    kv.set("k", b"v").expect("set with the password");
    server.kill();
    let Err(KvError::Storage(message)) = kv.get("k") else { panic!("a dead server fails the call") };
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("***"), "names the server, password hidden: {message}");
}

#[test]
fn wrong_password_is_a_storage_error_without_the_password() {
    let server = TestRedis::start_with(&["--requirepass", "right-one"]);
    let kv = RedisBackend::open(&server.url_with_password(0, Some("wrong-one"))).expect("open");
    let Err(KvError::Storage(message)) = kv.get("k") else { panic!("AUTH fails") };
    assert!(!message.contains("wrong-one"), "{message}");
}

/// Closes every client connection of `server` but the caller's, as a restart would.
fn kill_clients(server: &TestRedis) {
    let mut admin = server.raw_connection(0);
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .arg("SKIPME")
        .arg("yes")
        .exec(&mut admin)
        .expect("CLIENT KILL");
}

#[test]
fn read_on_a_broken_connection_is_retried() {
    let server = TestRedis::start();
    let kv = RedisBackend::open(&server.url(0)).expect("open");
    kv.set("k", b"v").expect("set");
    kill_clients(&server);
    assert_eq!(kv.get("k").expect("a read retries on a fresh connection"), Some(b"v".to_vec()));
}

#[test]
fn write_on_a_broken_connection_fails_once_and_is_not_retried() {
    let server = TestRedis::start();
    let kv = RedisBackend::open(&server.url(0)).expect("open");
    kv.set("k", b"v1").expect("set");
    kill_clients(&server);
    // Whether the write reached Redis is unknown, so it is reported, not repeated.
    assert!(matches!(kv.set("k", b"v2"), Err(KvError::Storage(_))));
    kv.set("k", b"v3").expect("the next write uses a fresh connection");
    assert_eq!(kv.get("k").expect("get"), Some(b"v3".to_vec()));
}

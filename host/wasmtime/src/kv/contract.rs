//! The behaviours every [`KvBackend`] shares, the `wasi:keyvalue` draft2 contract, run
//! against each backend by [`kv_contract_tests!`] from that backend's own tests.

use std::sync::Arc;

use super::{CasVersion, KvBackend, KvError, SwapOutcome, Versioned};

pub(crate) fn get_of_missing_key_is_none(kv: &dyn KvBackend) {
    assert_eq!(kv.get("nope").expect("get"), None);
    assert!(!kv.exists("nope").expect("exists"));
}

pub(crate) fn set_then_get_returns_value(kv: &dyn KvBackend) {
    kv.set("a", b"1").expect("set");
    kv.set("a", b"2").expect("overwrite");
    assert_eq!(kv.get("a").expect("get"), Some(b"2".to_vec()));
    assert!(kv.exists("a").expect("exists"));
}

pub(crate) fn delete_removes_and_tolerates_missing(kv: &dyn KvBackend) {
    kv.set("a", b"1").expect("set");
    kv.delete("a").expect("delete");
    kv.delete("a").expect("delete again");
    assert_eq!(kv.get("a").expect("get"), None);
}

pub(crate) fn swap_from_absent_inserts_if_absent(kv: &dyn KvBackend) {
    let read = kv.cas_read("k").expect("cas_read");
    assert_eq!(read, Versioned { value: None, version: CasVersion::ABSENT });
    assert_eq!(kv.cas_swap("k", read.version, b"first").expect("swap"), SwapOutcome::Swapped);
    // A second insert-if-absent from the same stale read must fail.
    let outcome = kv.cas_swap("k", read.version, b"second").expect("swap");
    assert!(matches!(outcome, SwapOutcome::Conflict(ref v) if v.value.as_deref() == Some(b"first")));
}

pub(crate) fn swap_after_concurrent_write_fails_with_fresh_handle(kv: &dyn KvBackend) {
    kv.set("k", b"v1").expect("set");
    let stale = kv.cas_read("k").expect("cas_read");
    kv.set("k", b"v2").expect("concurrent write");
    let SwapOutcome::Conflict(fresh) = kv.cas_swap("k", stale.version, b"mine").expect("swap") else {
        panic!("swap over a concurrent write must conflict");
    };
    assert_eq!(fresh.value, Some(b"v2".to_vec()));
    assert_ne!(fresh.version, stale.version);
    assert_eq!(kv.get("k").expect("get"), Some(b"v2".to_vec()));
    // Retrying with the fresh state succeeds.
    assert_eq!(kv.cas_swap("k", fresh.version, b"mine").expect("retry"), SwapOutcome::Swapped);
    assert_eq!(kv.get("k").expect("get"), Some(b"mine".to_vec()));
}

pub(crate) fn swap_over_same_value_rewritten_still_conflicts(kv: &dyn KvBackend) {
    kv.set("k", b"same").expect("set");
    let stale = kv.cas_read("k").expect("cas_read");
    kv.set("k", b"same").expect("rewrite with the same bytes");
    let outcome = kv.cas_swap("k", stale.version, b"mine").expect("swap");
    assert!(matches!(outcome, SwapOutcome::Conflict(_)));
}

pub(crate) fn increment_creates_missing_key(kv: &dyn KvBackend) {
    assert_eq!(kv.increment("n", 5).expect("increment"), 5);
    assert_eq!(kv.get("n").expect("get"), Some(b"5".to_vec()));
}

pub(crate) fn increment_adds_to_decimal_text(kv: &dyn KvBackend) {
    kv.set("n", b"41").expect("set");
    assert_eq!(kv.increment("n", 1).expect("increment"), 42);
    assert_eq!(kv.increment("n", -50).expect("decrement"), -8);
    assert_eq!(kv.get("n").expect("get"), Some(b"-8".to_vec()));
}

pub(crate) fn increment_of_non_integer_fails_and_keeps_value(kv: &dyn KvBackend) {
    kv.set("n", b"{\"json\":1}").expect("set");
    assert!(matches!(kv.increment("n", 1), Err(KvError::NotAnInteger)));
    assert_eq!(kv.get("n").expect("get"), Some(b"{\"json\":1}".to_vec()));
}

pub(crate) fn increment_overflow_fails(kv: &dyn KvBackend) {
    kv.set("n", i64::MAX.to_string().as_bytes()).expect("set");
    assert!(matches!(kv.increment("n", 1), Err(KvError::Overflow)));
}

pub(crate) fn increment_changes_the_version(kv: &dyn KvBackend) {
    kv.set("n", b"1").expect("set");
    let before = kv.cas_read("n").expect("cas_read");
    kv.increment("n", 0).expect("increment");
    assert!(matches!(kv.cas_swap("n", before.version, b"9").expect("swap"), SwapOutcome::Conflict(_)));
}

/// Has `threads` threads (spread over `backends`, which may share one store) each add 1 to the
/// counter at `counter`, `rounds` times, by CAS with retry; returns how many swaps conflicted.
pub(crate) fn increment_with_cas(backends: &[Arc<dyn KvBackend>], threads: usize, rounds: usize) -> usize {
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let kv = Arc::clone(&backends[i % backends.len()]);
            std::thread::spawn(move || {
                let mut conflicts = 0usize;
                for _ in 0..rounds {
                    let mut state = kv.cas_read("counter").expect("cas_read");
                    loop {
                        let n: u64 = state
                            .value
                            .as_deref()
                            .map(|b| std::str::from_utf8(b).expect("utf8").parse().expect("number"))
                            .unwrap_or(0);
                        match kv.cas_swap("counter", state.version, (n + 1).to_string().as_bytes()).expect("swap") {
                            SwapOutcome::Swapped => break,
                            SwapOutcome::Conflict(fresh) => {
                                conflicts += 1;
                                state = fresh;
                            }
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    workers.into_iter().map(|w| w.join().expect("worker")).sum()
}

/// Expands to one `#[test]` per shared behaviour, each on a fresh backend from `$open`, an
/// expression giving `(guard, backend)` (the guard keeps the backend's resources alive).
macro_rules! kv_contract_tests {
    ($open:expr) => {
        $crate::kv::contract::kv_contract_tests!(@each $open;
            get_of_missing_key_is_none,
            set_then_get_returns_value,
            delete_removes_and_tolerates_missing,
            swap_from_absent_inserts_if_absent,
            swap_after_concurrent_write_fails_with_fresh_handle,
            swap_over_same_value_rewritten_still_conflicts,
            increment_creates_missing_key,
            increment_adds_to_decimal_text,
            increment_of_non_integer_fails_and_keeps_value,
            increment_overflow_fails,
            increment_changes_the_version
        );
    };
    (@each $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let (_guard, kv) = $open;
                $crate::kv::contract::$name(&kv);
            }
        )*
    };
}

pub(crate) use kv_contract_tests;

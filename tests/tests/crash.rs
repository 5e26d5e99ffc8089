//! Crash safety: `kill -9` the real `idplex` process again and again during a concurrent
//! write load. Right after the last kill, before anything reads the store, `idplex check`
//! exits 0: what the crashes left half done is reported as unfinished work, never as a
//! violation — at once, and again judged past the in-flight grace period. `--repair` then
//! finishes it, a second check finds nothing at all, and every acknowledged write is there and
//! every acknowledged delete stays deleted.
//!
//! It runs on the default SQLite store and on the doubles of Spin's SQLite and Redis
//! providers (`--store spin-sqlite`, `--store spin-redis://…` on a real redis-server).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idplex_e2e::process::{Process, check_with_args};
use idplex_e2e::redis::RedisServer;
use idplex_e2e::{Credentials, user};

const ROUNDS: usize = 5;
const WRITERS: usize = 4;
const MIN_CREATED_PER_ROUND: usize = 12;

#[derive(Default)]
struct Acknowledged {
    created: HashSet<String>,
    delete_sent: HashSet<String>,
    deleted: HashSet<String>,
}

fn load(
    process: &Process,
    c: &Credentials,
    round: usize,
    ack: &Arc<Mutex<Acknowledged>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..WRITERS)
        .map(|w| {
            let client = process.client();
            let c = c.on_url(&process.url);
            let ack = ack.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let name = format!("r{round}-w{w}-{n}@crash.example");
                    let Some(reply) =
                        client.try_send("POST", &format!("{}/Users", c.scim_url), Some(&c.token), Some(&user(&name)))
                    else {
                        return;
                    };
                    if reply.status != 201 {
                        continue;
                    }
                    if let Ok(mut a) = ack.lock() {
                        a.created.insert(name.clone());
                    }
                    if n % 4 == 0 {
                        if let Ok(mut a) = ack.lock() {
                            a.delete_sent.insert(name.clone());
                        }
                        let id = reply.json["id"].as_str().unwrap_or_default();
                        let deleted =
                            client.try_send("DELETE", &format!("{}/Users/{id}", c.scim_url), Some(&c.token), None);
                        if deleted.is_some_and(|r| r.status == 204)
                            && let Ok(mut a) = ack.lock()
                        {
                            a.deleted.insert(name);
                        }
                    }
                }
            })
        })
        .collect()
}

#[test]
fn acknowledged_writes_survive_repeated_kill_9() {
    kill_9_rounds(&[]);
}

#[test]
fn acknowledged_writes_survive_repeated_kill_9_on_spin_sqlite() {
    kill_9_rounds(&["--store", "spin-sqlite"]);
}

#[test]
fn acknowledged_writes_survive_repeated_kill_9_on_spin_redis() {
    let redis = RedisServer::start();
    let url = redis.url(0).replacen("redis://", "spin-redis://", 1);
    kill_9_rounds(&["--store", &url]);
}

/// Kills `idplex serve --store …` (`store` args) during a write load, [`ROUNDS`] times; then
/// checks, repairs and verifies every acknowledged write.
fn kill_9_rounds(store: &[&str]) {
    let data = tempfile::tempdir().expect("tempdir");
    let start = || Process::start_with_args(data.path(), store, None);
    let check = |extra: &[&str], repair: bool| {
        let args: Vec<&str> = store.iter().chain(extra).copied().collect();
        check_with_args(data.path(), &args, repair)
    };
    let first = start();
    let c = first.client().create_connection(Some("Crash"));
    let ack = Arc::new(Mutex::new(Acknowledged::default()));
    let mut process = first;
    let mut round = 0;
    loop {
        let stop = Arc::new(AtomicBool::new(false));
        let writers = load(&process, &c, round, &ack, &stop);
        std::thread::sleep(Duration::from_millis(400 + 150 * round as u64));
        // However slow the store, each round acknowledges some writes before its kill.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while ack.lock().map_or(0, |a| a.created.len()) < MIN_CREATED_PER_ROUND * (round + 1)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        process.kill9();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            let _ = w.join();
        }
        round += 1;
        if round == ROUNDS {
            break;
        }
        process = start();
    }

    // Nothing has read the store since the last kill.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
    let past_grace = (now + 120_000).to_string();
    let (clean, report) = check(&[], false);
    assert!(clean, "a check right after kill -9 reports violations:\n{report}");
    assert!(!report.contains("NOT repaired"), "{report}");
    eprintln!("check right after the kills:\n{report}");
    let (clean, report) = check(&["--now-millis", &past_grace], false);
    assert!(clean, "a check past the grace period reports violations:\n{report}");
    eprintln!("check past the grace period:\n{report}");
    let (clean, report) = check(&["--now-millis", &past_grace], true);
    assert!(clean, "check --repair failed:\n{report}");
    let (clean, report) = check(&["--now-millis", &past_grace], false);
    assert!(clean && report.contains("no violations found"), "{report}");
    assert!(!report.contains("unfinished"), "repair left unfinished work:\n{report}");

    let process = start();
    let client = process.client();
    let c = c.on_url(&process.url);
    let ack = ack.lock().expect("lock");
    assert!(
        ack.created.len() >= MIN_CREATED_PER_ROUND * ROUNDS,
        "the load made too few writes to mean anything: {}",
        ack.created.len()
    );
    for name in &ack.created {
        let filter = format!("/Users?filter=userName%20eq%20%22{}%22", name.replace('@', "%40"));
        let found = client.scim(&c, "GET", &filter, None);
        let total = found.json["totalResults"].as_u64();
        if ack.deleted.contains(name) {
            assert_eq!(total, Some(0), "acknowledged delete of {name} was lost: {:?}", found.json);
        } else if !ack.delete_sent.contains(name) {
            assert_eq!(total, Some(1), "acknowledged create of {name} was lost: {:?}", found.json);
        }
    }
}

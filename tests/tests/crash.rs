//! Crash safety: `kill -9` the real `idplex` process again and again during a concurrent
//! write load; after each restart every acknowledged write is there, every acknowledged
//! delete stays deleted, and `idplex check` finds no violation.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idplex_e2e::process::{Process, check};
use idplex_e2e::{Credentials, user};

const ROUNDS: usize = 5;
const WRITERS: usize = 4;

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
    let data = tempfile::tempdir().expect("tempdir");
    let first = Process::start(data.path());
    let c = first.client().create_connection(Some("Crash"));
    let ack = Arc::new(Mutex::new(Acknowledged::default()));
    let mut process = first;
    for round in 0..ROUNDS {
        let stop = Arc::new(AtomicBool::new(false));
        let writers = load(&process, &c, round, &ack, &stop);
        std::thread::sleep(Duration::from_millis(400 + 150 * round as u64));
        process.kill9();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            let _ = w.join();
        }
        process = Process::start(data.path());
    }

    let client = process.client();
    let c = c.on_url(&process.url);
    let ack = ack.lock().expect("lock");
    assert!(ack.created.len() > 50, "the load made too few writes to mean anything: {}", ack.created.len());
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
    // Touch every listed user (readers finish creates committed just before a kill).
    let mut start = 1;
    loop {
        let page = client.scim(&c, "GET", &format!("/Users?startIndex={start}&count=1000"), None);
        let n = page.json["Resources"].as_array().map_or(0, Vec::len);
        if n == 0 {
            break;
        }
        start += n;
    }
    drop(ack);
    process.kill9();
    let (clean, report) = check(data.path(), false);
    assert!(clean, "idplex check found violations:\n{report}");
}

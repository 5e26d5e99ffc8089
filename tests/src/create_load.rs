//! A SCIM create load for outage tests: writer threads POST new users until stopped and record
//! what each request answered, so a test can check that every failure was a proper 503 and
//! that every acknowledged user is still there afterwards.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Client, Credentials, Reply, user};

/// How long a writer pauses after a failure before its next request: a client honouring
/// `Retry-After` waits longer; this keeps an outage from turning into a busy loop.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_millis(50);

/// How many unexpected outcomes a report describes; it counts all of them.
const MAX_DESCRIBED: usize = 20;

/// A running load; [`CreateLoad::stop`] ends it and returns what happened.
pub struct CreateLoad {
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
    writers: Vec<JoinHandle<()>>,
}

/// What the load saw.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    /// userNames whose create was acknowledged (201).
    pub created: Vec<String>,
    /// userNames whose create answered a well-formed 503: maybe written, maybe not.
    pub unavailable: Vec<String>,
    /// Every other outcome (a wrong status, a malformed 503, no answer), the first few
    /// described.
    pub unexpected: Vec<String>,
    /// How many unexpected outcomes there were in all.
    pub unexpected_count: usize,
    /// The longest time one request took.
    pub slowest: Duration,
}

#[derive(Default)]
struct Tally {
    created: AtomicUsize,
    unavailable: AtomicUsize,
    report: Mutex<LoadReport>,
}

impl Tally {
    fn record(&self, name: String, took: Duration, reply: Option<Reply>) {
        let mut report = self.report.lock().unwrap_or_else(PoisonError::into_inner);
        report.slowest = report.slowest.max(took);
        match reply {
            Some(reply) if reply.status == 201 => {
                report.created.push(name);
                self.created.fetch_add(1, Ordering::SeqCst);
            }
            Some(reply) => match unavailable_problem(&reply) {
                None => {
                    report.unavailable.push(name);
                    self.unavailable.fetch_add(1, Ordering::SeqCst);
                }
                Some(problem) => report.unexpected(format!("POST {name}: {problem}")),
            },
            None => report.unexpected(format!("POST {name}: no answer (refused, reset or timed out)")),
        }
    }
}

impl LoadReport {
    fn unexpected(&mut self, what: String) {
        self.unexpected_count += 1;
        if self.unexpected.len() < MAX_DESCRIBED {
            self.unexpected.push(what);
        }
    }
}

/// Why `reply` is not the 503 SCIM error a store outage must produce (`None` when it is).
pub fn unavailable_problem(reply: &Reply) -> Option<String> {
    let body = &reply.json;
    let scim_error = body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|schema| schema == &Value::from("urn:ietf:params:scim:api:messages:2.0:Error")));
    let well_formed = reply.status == 503
        && scim_error
        && body["status"] == "503"
        && body["detail"].is_string()
        && reply.header("retry-after") == Some("1");
    (!well_formed).then(|| format!("{} retry-after={:?} {body}", reply.status, reply.header("retry-after")))
}

impl CreateLoad {
    /// Starts `writers` threads; writer `w` POSTs `{prefix}-w{w}-{n}@outage.example` for
    /// n = 1, 2, … through `target(w)` (a client and the connection's credentials on it).
    pub fn start(writers: usize, prefix: &str, target: impl Fn(usize) -> (Client, Credentials)) -> CreateLoad {
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let writers = (0..writers)
            .map(|w| {
                let (client, c) = target(w);
                let (stop, tally, prefix) = (Arc::clone(&stop), Arc::clone(&tally), prefix.to_owned());
                std::thread::spawn(move || {
                    let url = format!("{}/Users", c.scim_url);
                    for n in 1.. {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let name = format!("{prefix}-w{w}-{n}@outage.example");
                        let started = Instant::now();
                        let reply = client.try_send("POST", &url, Some(&c.token), Some(&user(&name)));
                        let pause = reply.as_ref().is_none_or(|r| r.status != 201);
                        tally.record(name, started.elapsed(), reply);
                        if pause {
                            std::thread::sleep(PAUSE_AFTER_FAILURE);
                        }
                    }
                })
            })
            .collect();
        CreateLoad { stop, tally, writers }
    }

    /// Creates acknowledged so far.
    pub fn created(&self) -> usize {
        self.tally.created.load(Ordering::SeqCst)
    }

    /// Creates answered 503 so far.
    pub fn unavailable(&self) -> usize {
        self.tally.unavailable.load(Ordering::SeqCst)
    }

    /// Waits until `condition(self)` holds, checking every 50 ms; panics with `what` after
    /// `limit` (a bound for a hung system, not a speed requirement), or as soon as a request
    /// had an unexpected outcome.
    pub fn wait_for(&self, what: &str, limit: Duration, condition: impl Fn(&CreateLoad) -> bool) {
        let deadline = Instant::now() + limit;
        while !condition(self) {
            let unexpected = self.tally.report.lock().unwrap_or_else(PoisonError::into_inner).unexpected.clone();
            assert!(unexpected.is_empty(), "while waiting for {what}: not a 201 or a proper 503: {unexpected:#?}");
            assert!(
                Instant::now() < deadline,
                "waited {limit:?} for {what}: {} created, {} unavailable, unexpected: {:?}",
                self.created(),
                self.unavailable(),
                self.tally.report.lock().unwrap_or_else(PoisonError::into_inner).unexpected
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `more` creates beyond those acknowledged now are acknowledged.
    pub fn wait_for_more_created(&self, more: usize, limit: Duration) {
        let target = self.created() + more;
        self.wait_for(&format!("{more} more acknowledged creates"), limit, |load| load.created() >= target);
    }

    /// Waits until `more` creates beyond those answered 503 now are answered 503.
    pub fn wait_for_more_unavailable(&self, more: usize, limit: Duration) {
        let target = self.unavailable() + more;
        self.wait_for(&format!("{more} more 503 answers"), limit, |load| load.unavailable() >= target);
    }

    /// Stops the writers (each finishes its request in flight) and returns what they saw.
    pub fn stop(self) -> LoadReport {
        self.stop.store(true, Ordering::SeqCst);
        for writer in self.writers {
            writer.join().expect("a writer thread panicked");
        }
        let report = self.tally.report.lock().unwrap_or_else(PoisonError::into_inner);
        report.clone()
    }
}

//! `make bench-storage`: storage scaling figures. For each size it fills one connection with
//! that many users through the real component and the real host store (SQLite on disk), then
//! measures reads that must not grow with the size: GET by id, `userName eq` filter, page 1
//! and a late page of 100, and the create rate. It prints median and p99 per read, and the
//! ratio of the largest size to the smallest (the goal: ≤ 1.5 for every read).
//!
//! Calls go straight to `Host::handle` (no HTTP), so the figures are the component and the
//! store, not the network stack.
//!
//! Then the End Users queries of the admin API over the whole tenant (that connection and a
//! second one of 100 users whose emails repeat the first's): search, each sort key,
//! `active=false` (one user in ten is inactive) and `duplicates=email`. These read every user's
//! summary, so they grow with the size; the goal is well under a second at 100,000 users.
//!
//! With `--check` it also runs the whole-store consistency check (`idplex check`) at each size
//! and prints its time, the guest's peak linear memory and the keys walked: the check streams
//! the key space, so its memory must stay flat while its time grows with the store.
//!
//! Usage: `bench-storage [--sizes 1000,100000] [--samples 300] [--data-root DIR] [--check]`

use std::time::{Duration, Instant};

use idplex_host::maintenance::CheckOutcome;
use idplex_host::{Host, HostConfig, Request, sha256_hex};
use serde_json::{Value, json};

const ADMIN: &str = "idplex_admin_bench";

struct Args {
    sizes: Vec<usize>,
    samples: usize,
    data_root: Option<std::path::PathBuf>,
    check: bool,
}

fn args() -> Args {
    let mut out = Args { sizes: vec![1_000, 100_000], samples: 300, data_root: None, check: false };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--check" {
            out.check = true;
            continue;
        }
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--sizes" => out.sizes = value.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
            "--samples" => out.samples = value.parse().unwrap_or(out.samples),
            "--data-root" => out.data_root = Some(value.into()),
            other => {
                eprintln!(
                    "unknown flag {other}; usage: bench-storage [--sizes 1000,100000] [--samples 300] [--data-root DIR] [--check]"
                );
                std::process::exit(2);
            }
        }
    }
    out
}

fn call(host: &Host, method: &str, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
    let request = Request {
        method: method.to_owned(),
        path_with_query: path.to_owned(),
        headers: vec![("host".into(), "bench.local".into()), ("authorization".into(), format!("Bearer {token}"))],
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
    };
    let response = host.handle(request);
    (response.status, serde_json::from_slice(&response.body).unwrap_or(Value::Null))
}

/// A tiny deterministic generator for sample choice (no dependency, repeatable runs).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

struct Figures {
    size: usize,
    create_per_sec: f64,
    reads: Vec<(&'static str, Duration, Duration)>,
    end_users: Vec<(&'static str, Duration, Duration)>,
    check: Option<CheckOutcome>,
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn check(dir: &std::path::Path, size: usize) -> CheckOutcome {
    // As `idplex check` does: a whole-store walk may run for up to an hour.
    let runtime = idplex_e2e::runtime().with_guest_time_limit(idplex_host::maintenance::CHECK_TIME_LIMIT);
    let host = Host::open(runtime, HostConfig::new(dir, sha256_hex(ADMIN))).expect("host");
    let options = idplex_host::maintenance::CheckOptions { repair: false, now_millis: None };
    let outcome = host.check(options).expect("the check runs");
    eprintln!(
        "  {size}: idplex check walked {} keys in {:.1} s, peak guest memory {:.1} MiB",
        outcome.report.keys,
        outcome.elapsed.as_secs_f64(),
        mib(outcome.peak_memory_bytes)
    );
    assert!(
        outcome.report.violations.is_empty() && outcome.report.unfinished.is_empty(),
        "{}",
        idplex_host::maintenance::render(&outcome)
    );
    outcome
}

fn measure(host: &Host, samples: usize, mut op: impl FnMut(usize) -> u16) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let start = Instant::now();
        let status = op(i);
        times.push(start.elapsed());
        assert!(status < 300, "benchmark request failed with {status}");
    }
    let _ = host;
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn run(size: usize, samples: usize, root: Option<&std::path::Path>, with_check: bool) -> Figures {
    let dir = match root {
        Some(root) => tempfile::tempdir_in(root),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let host = Host::open(idplex_e2e::runtime(), HostConfig::new(dir.path(), sha256_hex(ADMIN))).expect("host");
    let (_, connection) = call(&host, "POST", "/admin/api/v1/connections", ADMIN, Some(&json!({"name": "Bench"})));
    let base = format!("/scim/v2/{}", connection["id"].as_str().unwrap_or_default());
    let token = connection["token"].as_str().unwrap_or_default().to_owned();

    let started = Instant::now();
    let mut ids = Vec::with_capacity(size);
    let batch = 500;
    for first in (0..size).step_by(batch) {
        let operations: Vec<Value> = (first..(first + batch).min(size))
            .map(|i| {
                json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                       "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("user{i}@bench.example"),
                                "name": {"givenName": "Bench", "familyName": format!("User {i}")}, "active": i % 10 != 0,
                                "emails": [{"value": format!("user{i}@bench.example"), "primary": true}]}})
            })
            .collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations});
        let (status, reply) = call(&host, "POST", &format!("{base}/Bulk"), &token, Some(&body));
        assert_eq!(status, 200, "bulk create failed: {reply}");
        for op in reply["Operations"].as_array().into_iter().flatten() {
            assert_eq!(op["status"], "201", "{op}");
            ids.push(op["location"].as_str().and_then(|l| l.rsplit('/').next()).unwrap_or_default().to_owned());
        }
        if size >= 10_000 && (first / batch) % 20 == 0 {
            eprintln!("  {size}: {} users created", ids.len());
        }
    }
    let create_per_sec = size as f64 / started.elapsed().as_secs_f64();

    let mut rng = Lcg(size as u64);
    let mut reads = Vec::new();
    let (m, p) = measure(&host, samples, |_| {
        call(&host, "GET", &format!("{base}/Users/{}", ids[rng.below(size)]), &token, None).0
    });
    reads.push(("GET /Users/{id}", m, p));
    let (m, p) = measure(&host, samples, |_| {
        let path = format!("{base}/Users?filter=userName%20eq%20%22user{}%40bench.example%22", rng.below(size));
        call(&host, "GET", &path, &token, None).0
    });
    reads.push(("filter userName eq", m, p));
    let (m, p) = measure(&host, samples, |_| {
        call(&host, "GET", &format!("{base}/Users?startIndex=1&count=100"), &token, None).0
    });
    reads.push(("page 1 (count=100)", m, p));
    let late = size.saturating_sub(100) + 1;
    let (m, p) = measure(&host, samples, |_| {
        call(&host, "GET", &format!("{base}/Users?startIndex={late}&count=100"), &token, None).0
    });
    reads.push(("late page (count=100)", m, p));
    let end_users = end_users(&host, size, samples.min(30), &mut rng);
    let check = with_check.then(|| check(dir.path(), size));
    Figures { size, create_per_sec, reads, end_users, check }
}

/// A second connection of 100 users whose emails repeat the first connection's (in upper
/// case), then the End Users queries, each `samples` times.
fn end_users(host: &Host, size: usize, samples: usize, rng: &mut Lcg) -> Vec<(&'static str, Duration, Duration)> {
    let (_, second) = call(host, "POST", "/admin/api/v1/connections", ADMIN, Some(&json!({"name": "Bench B"})));
    let base = format!("/scim/v2/{}", second["id"].as_str().unwrap_or_default());
    let token = second["token"].as_str().unwrap_or_default().to_owned();
    let operations: Vec<Value> = (0..100.min(size))
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("d{i}"),
                   "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("twin{i}"),
                            "emails": [{"value": format!("USER{i}@BENCH.EXAMPLE"), "primary": true}]}})
        })
        .collect();
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations});
    assert_eq!(call(host, "POST", &format!("{base}/Bulk"), &token, Some(&body)).0, 200);
    let admin = |query: String| {
        let (status, page) = call(host, "GET", &format!("/admin/api/v1/users?{query}"), ADMIN, None);
        assert!(status == 200 && page["totalResults"].as_u64().is_some(), "{query}: {page}");
        status
    };
    let inactive = call(host, "GET", "/admin/api/v1/users?active=false&count=1", ADMIN, None).1;
    assert_eq!(inactive["totalResults"].as_u64(), Some(size.div_ceil(10) as u64));
    let twins = call(host, "GET", "/admin/api/v1/users?duplicates=email&count=1", ADMIN, None).1;
    assert_eq!(twins["totalResults"].as_u64(), Some(2 * 100.min(size) as u64));
    let mut out = Vec::new();
    let (m, p) = measure(host, samples, |_| admin("count=50".into()));
    out.push(("page 1, no filter", m, p));
    let (m, p) = measure(host, samples, |_| admin(format!("search=USER{}%40&count=50", rng.below(size))));
    out.push(("search", m, p));
    for (name, key) in [
        ("sortBy=userName", "userName"),
        ("sortBy=name", "name"),
        ("sortBy=email", "email"),
        ("sortBy=connection", "connection"),
        ("sortBy=lastModified", "lastModified"),
    ] {
        let (m, p) = measure(host, samples, |_| admin(format!("sortBy={key}&sortOrder=descending&count=50")));
        out.push((name, m, p));
    }
    let (m, p) = measure(host, samples, |_| admin("active=false&count=50".into()));
    out.push(("active=false", m, p));
    let (m, p) = measure(host, samples, |_| admin("duplicates=email&count=50".into()));
    out.push(("duplicates=email", m, p));
    let (m, p) = measure(host, samples, |_| {
        admin(format!("active=true&search=bench&sortBy=name&startIndex={}&count=50", size / 2))
    });
    out.push(("combined, late page", m, p));
    out
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args = args();
    eprintln!("bench-storage: sizes {:?}, {} samples per read", args.sizes, args.samples);
    let figures: Vec<Figures> =
        args.sizes.iter().map(|&size| run(size, args.samples, args.data_root.as_deref(), args.check)).collect();
    println!("\n{:<24} {:>10} {:>14} {:>14}", "read", "users", "median", "p99");
    for f in &figures {
        for (name, median, p99) in &f.reads {
            println!("{:<24} {:>10} {:>14} {:>14}", name, f.size, ms(*median), ms(*p99));
        }
        println!("{:<24} {:>10} {:>14.0} users/s (bulk, 500 per request)", "create", f.size, f.create_per_sec);
        for (name, median, p99) in &f.end_users {
            println!("{:<24} {:>10} {:>14} {:>14}", format!("End Users {name}"), f.size, ms(*median), ms(*p99));
        }
        if let Some(c) = &f.check {
            println!(
                "{:<24} {:>10} {:>12.1} s  {} keys, peak guest memory {:.1} MiB",
                "idplex check",
                f.size,
                c.elapsed.as_secs_f64(),
                c.report.keys,
                mib(c.peak_memory_bytes)
            );
        }
    }
    if let (Some(small), Some(large)) = (figures.first(), figures.last())
        && small.size != large.size
    {
        println!("\nratio {} / {} users (goal ≤ 1.5 for reads)", large.size, small.size);
        for ((name, sm, sp), (_, lm, lp)) in small.reads.iter().zip(&large.reads) {
            println!(
                "{:<24} median ×{:.2}   p99 ×{:.2}",
                name,
                lm.as_secs_f64() / sm.as_secs_f64(),
                lp.as_secs_f64() / sp.as_secs_f64()
            );
        }
        println!("{:<24} ×{:.2}", "create rate", large.create_per_sec / small.create_per_sec);
    }
}

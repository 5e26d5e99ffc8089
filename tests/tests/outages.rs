//! Store outages: the key-value store behind a running `idplex` stops taking writes while SCIM
//! clients keep creating users, then comes back. Real processes and real stores throughout:
//!
//! - Redis killed (`kill -9`) and later shut down (`SHUTDOWN`) under load, then started again
//!   on the same port, with two `idplex` processes on it;
//! - Redis hung (SIGSTOP: connections open, nothing answers), then resumed;
//! - SQLite locked by another process for longer than the busy timeout (`SQLITE_BUSY`), with
//!   two `idplex` processes on one data directory;
//! - SQLite out of space: on a small tmpfs filled up (`ENOSPC`; needs root or passwordless
//!   `sudo` to mount, and fails loudly without unless `IDPLEX_SKIP_DISK_FULL=1`), and under a
//!   file size limit (`RLIMIT_FSIZE`, `EFBIG`; needs no privilege, so runs everywhere).
//!
//! Each test asserts: during the outage every request that fails answers 503 with a SCIM
//! error body and `Retry-After: 1` — never a 500, never no answer within the client's 60 s
//! timeout, never a dead `idplex`; reads that need no write keep working where the store still
//! reads; when the store is back, writes succeed again without restarting `idplex`; then
//! every acknowledged (201) create is found exactly once by its userName, every create that
//! answered 503 settles when the client retries it (201, or 409 when the first attempt had
//! been applied), and `idplex check` exits 0 at once (what those creates left half done is
//! unfinished work, not corruption), then finds nothing at all after `--repair`. Waits are polls with generous deadlines: nothing is asserted about speed.
//!
//! Two ways to fill the disk: a tmpfs is a real full file system (`ENOSPC`, `SQLITE_FULL`),
//! as the issue describes, but mounting one takes privileges CI may lack; a file size limit
//! makes the same writes fail (`EFBIG`) for any user, and is lifted as easily as space is
//! freed. Both are here.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use idplex_e2e::create_load::{CreateLoad, LoadReport, unavailable_problem};
use idplex_e2e::full_disk::{self, SKIP_ENV, SmallTmpfs};
use idplex_e2e::process::{Process, check_with_args};
use idplex_e2e::redis::RedisServer;
use idplex_e2e::sqlite_lock::WriteLock;
use idplex_e2e::{Client, Credentials, user};
use idplex_host::kv::SQLITE_FILE_NAME;

/// Writer threads of each load.
const WRITERS: usize = 4;

/// How long any wait may take before the test fails: a bound for a hung system, not a speed
/// requirement.
const PATIENCE: Duration = Duration::from_secs(60);

/// A way to stop Redis.
type StopRedis = fn(&mut RedisServer);

#[test]
fn redis_killed_and_restarted_under_load_loses_no_acknowledged_write() {
    let mut redis = RedisServer::start_persistent();
    let (data_a, data_b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    let url = redis.url(0);
    let store = ["--store", url.as_str()];
    let mut a = Process::start_with_args(data_a.path(), &store, Some(&data_a.path().join("idplex.log")));
    let mut b = Process::start_with_args(data_b.path(), &store, Some(&data_b.path().join("idplex.log")));
    let c = a.client().create_connection(Some("Redis outage"));
    let urls = [a.url.clone(), b.url.clone()];
    let on = |w: usize| (Client::new(&urls[w % 2]), c.on_url(&urls[w % 2]));
    let load = CreateLoad::start(WRITERS, "redis", on);

    let mut settled = Vec::new();
    let outages: [(&str, StopRedis); 2] = [("kill -9", RedisServer::kill), ("SHUTDOWN", RedisServer::shutdown)];
    for (round, stop) in outages {
        load.wait_for_more_created(2 * WRITERS, PATIENCE);
        stop(&mut redis);
        load.wait_for_more_unavailable(3 * WRITERS, PATIENCE);
        for w in [0, 1] {
            let (client, c) = on(w);
            assert_read_unavailable(&client, &c);
        }
        redis.restart();
        for w in [0, 1] {
            let (client, c) = on(w);
            settled.push(create_until_acknowledged(&client, &c, &format!("after-{round}-{w}@outage.example")));
        }
    }
    load.wait_for_more_created(2 * WRITERS, PATIENCE);
    let report = load.stop();
    assert_alive(&mut a);
    assert_alive(&mut b);

    let (client, c) = on(1);
    assert_recovered(&client, &c, &report, &settled, |extra, repair| {
        let args: Vec<&str> = store.iter().copied().chain(extra.iter().copied()).collect();
        check_with_args(data_a.path(), &args, repair)
    });
}

#[test]
fn redis_hung_answers_503_in_bounded_time_and_resumes() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut process =
        Process::start_with_args(data.path(), &["--store", &redis.url(0)], Some(&data.path().join("idplex.log")));
    let c = process.client().create_connection(Some("Redis hang"));
    let c = c.on_url(&process.url);
    let kept = create_until_acknowledged(&process.client(), &c, "kept@outage.example");
    let load = CreateLoad::start(WRITERS, "hang", |_| (process.client(), c.clone()));
    load.wait_for_more_created(2 * WRITERS, PATIENCE);

    // Frozen: connections stay open, nothing answers; each store call waits out its timeout.
    redis.pause();
    load.wait_for_more_unavailable(WRITERS, PATIENCE);
    let reply = process.client().scim(&c, "GET", &by_user_name(&kept), None);
    assert!(unavailable_problem(&reply).is_none(), "a read while Redis hangs: {reply:?}");
    redis.resume();

    let settled = vec![kept, create_until_acknowledged(&process.client(), &c, "after-hang@outage.example")];
    load.wait_for_more_created(2 * WRITERS, PATIENCE);
    let report = load.stop();
    assert_alive(&mut process);
    assert_recovered(&process.client(), &c, &report, &settled, |extra, repair| {
        let url = redis.url(0);
        let args: Vec<&str> = ["--store", url.as_str()].into_iter().chain(extra.iter().copied()).collect();
        check_with_args(data.path(), &args, repair)
    });
}

/// How long the SQLite write lock is held at least: longer than the guest time limit (30 s),
/// so that a request meets the busy timeout (10 s) more than once if it keeps writing.
const SQLITE_LOCK_HELD: Duration = Duration::from_secs(35);

#[test]
fn sqlite_locked_past_the_busy_timeout_answers_503_and_resumes() {
    let data = tempfile::tempdir().expect("tempdir");
    // Two servers on one data directory: SQLite locks the file across processes.
    let mut a = Process::start_with_args(data.path(), &[], Some(&data.path().join("a.log")));
    let mut b = Process::start_with_args(data.path(), &[], Some(&data.path().join("b.log")));
    let c = a.client().create_connection(Some("SQLite busy"));
    let kept = create_until_acknowledged(&a.client(), &c.on_url(&a.url), "kept@outage.example");
    let urls = [a.url.clone(), b.url.clone()];
    let on = |w: usize| (Client::new(&urls[w % 2]), c.on_url(&urls[w % 2]));
    let load = CreateLoad::start(WRITERS, "busy", on);
    load.wait_for_more_created(2 * WRITERS, PATIENCE);

    let lock = WriteLock::take(&data.path().join(SQLITE_FILE_NAME));
    let taken = Instant::now();
    // Each writer waits out the busy timeout (10 s), then answers 503.
    load.wait_for_more_unavailable(WRITERS, PATIENCE);
    for w in [0, 1] {
        let (client, c) = on(w);
        assert_user_readable(&client, &c, &kept);
    }
    std::thread::sleep(SQLITE_LOCK_HELD.saturating_sub(taken.elapsed()));
    let created_under_lock = load.created();
    lock.release();
    load.wait_for("creates acknowledged after the lock was released", PATIENCE, |load| {
        load.created() > created_under_lock + 2 * WRITERS
    });
    let mut settled = vec![kept];
    for w in [0, 1] {
        let (client, c) = on(w);
        settled.push(create_until_acknowledged(&client, &c, &format!("after-lock-{w}@outage.example")));
    }
    let report = load.stop();
    assert_alive(&mut a);
    assert_alive(&mut b);

    let (client, c) = on(0);
    assert_recovered(&client, &c, &report, &settled, |extra, repair| check_with_args(data.path(), extra, repair));
}

#[test]
fn sqlite_on_a_full_tmpfs_answers_503_and_resumes_when_space_is_freed() {
    let tmpfs = match SmallTmpfs::mount(32 << 20) {
        Ok(tmpfs) => tmpfs,
        Err(why) if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") => {
            eprintln!("SKIPPED ({SKIP_ENV}=1): cannot mount a small tmpfs: {why}");
            return;
        }
        Err(why) => panic!(
            "cannot mount a small tmpfs for the full-disk test ({why}); it needs root or \
             passwordless sudo, and CAP_SYS_ADMIN. Set {SKIP_ENV}=1 to skip it (the file size \
             limit variant, which needs no privilege, still runs)."
        ),
    };
    let data = tmpfs.path().join("data");
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut process = Process::start_with_args(&data, &[], Some(log.path()));
    disk_full_scenario(
        &mut process,
        &data,
        "tmpfs",
        || tmpfs.fill("filler"),
        |filler| {
            std::fs::remove_file(filler).expect("the filler file is deleted");
        },
    );
}

#[test]
fn sqlite_past_the_file_size_limit_answers_503_and_resumes_when_lifted() {
    let data = tempfile::tempdir().expect("tempdir");
    let wrapper = full_disk::file_size_limit_wrapper();
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let mut process = Process::start_under(&wrapper, data.path(), &[], Some(&data.path().join("idplex.log")));
    let pid = process.pid();
    disk_full_scenario(&mut process, data.path(), "fsize", || (), |()| full_disk::lift_file_size_limit(pid));
}

/// Creates users until writes fail (after `exhaust` uses up the space left), checks that reads
/// still work, then `free`s the space and checks that writes resume and nothing was lost.
fn disk_full_scenario<T>(
    process: &mut Process,
    data: &std::path::Path,
    prefix: &str,
    exhaust: impl FnOnce() -> T,
    free: impl FnOnce(T),
) {
    let client = process.client();
    let c = client.create_connection(Some("Disk full"));
    let c = c.on_url(&process.url);
    let kept = create_until_acknowledged(&client, &c, "kept@outage.example");
    let load = CreateLoad::start(WRITERS, prefix, |_| (process.client(), c.clone()));
    load.wait_for_more_created(WRITERS, PATIENCE);
    let space = exhaust();
    load.wait_for_more_unavailable(3 * WRITERS, PATIENCE);
    assert_user_readable(&client, &c, &kept);
    let created_while_full = load.created();
    free(space);
    load.wait_for("creates acknowledged after space was freed", PATIENCE, |load| {
        load.created() > created_while_full + 2 * WRITERS
    });
    let settled = vec![kept, create_until_acknowledged(&client, &c, &format!("after-{prefix}@outage.example"))];
    let report = load.stop();
    assert_alive(process);

    assert_recovered(&client, &c, &report, &settled, |extra, repair| check_with_args(data, extra, repair));
}

/// POSTs user `name` until the answer is 201 (or 409: an earlier attempt, answered 503, was
/// applied), as a client retrying on 503 does; returns `name`. Every failure must be a 503.
fn create_until_acknowledged(client: &Client, c: &Credentials, name: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reply = client.scim(c, "POST", "/Users", Some(&user(name)));
        match reply.status {
            201 | 409 => return name.to_owned(),
            _ => {
                if let Some(problem) = unavailable_problem(&reply) {
                    panic!("POST {name}: {problem}");
                }
            }
        }
        assert!(Instant::now() < deadline, "POST {name} still answers 503 after {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A read that needs the store answers a 503 SCIM error, on the SCIM and on the admin API.
fn assert_read_unavailable(client: &Client, c: &Credentials) {
    let reply = client.scim(c, "GET", "/Users", None);
    assert!(unavailable_problem(&reply).is_none(), "GET /Users during the outage: {:?}", reply);
    let reply = client.admin("GET", "/connections", None);
    assert_eq!(reply.status, 503, "{:?}", reply.json);
    assert_eq!(reply.json["error"]["code"], "storage_unavailable");
    assert_eq!(reply.header("retry-after"), Some("1"));
}

/// User `name` is found by its userName (reads work while writes fail).
fn assert_user_readable(client: &Client, c: &Credentials, name: &str) {
    let reply = client.scim(c, "GET", &by_user_name(name), None);
    assert_eq!(reply.status, 200, "reading {name} while writes fail: {:?}", reply.json);
    assert_eq!(reply.json["totalResults"], 1, "{name}: {:?}", reply.json);
}

fn assert_alive(process: &mut Process) {
    if let Some(status) = process.exit_status() {
        panic!("idplex at {} died during the outage: {status}", process.url);
    }
}

/// After the store is back: the outage was seen and answered well; `idplex check` exits 0 at
/// once (what creates answered 503 left behind is unfinished work, not corruption); every
/// acknowledged create is there exactly once; every create answered 503 settles on retry; the
/// listing holds no userName twice; and `--repair`, judged past the grace period, leaves a
/// store in which a check finds nothing at all.
fn assert_recovered(
    client: &Client,
    c: &Credentials,
    report: &LoadReport,
    settled: &[String],
    check: impl Fn(&[&str], bool) -> (bool, String),
) {
    assert_eq!(report.unexpected_count, 0, "not a 201 or a proper 503: {:#?}", report.unexpected);
    assert!(!report.unavailable.is_empty(), "the outage was not seen by any request");
    eprintln!(
        "{} acknowledged, {} answered 503; slowest request {:?}",
        report.created.len(),
        report.unavailable.len(),
        report.slowest
    );
    let (clean, output) = check(&[], false);
    assert!(clean && !output.contains("NOT repaired"), "idplex check right after the outage:\n{output}");
    assert_nothing_lost(client, c, report, settled);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
    let past_grace = (now + 120_000).to_string();
    let (clean, repaired) = check(&["--now-millis", &past_grace], true);
    assert!(clean, "idplex check --repair:\n{repaired}");
    let (clean, output) = check(&["--now-millis", &past_grace], false);
    assert!(
        clean && output.contains("no violations found") && !output.contains("unfinished"),
        "idplex check after --repair:\n{repaired}\n{output}"
    );
}

/// Every acknowledged create is there exactly once; every create answered 503 settles on
/// retry; the listing holds every one of them and no userName twice.
fn assert_nothing_lost(client: &Client, c: &Credentials, report: &LoadReport, settled: &[String]) {
    for name in report.created.iter().chain(settled) {
        let reply = client.scim(c, "GET", &by_user_name(name), None);
        assert_eq!(reply.status, 200, "{name}: {:?}", reply.json);
        assert_eq!(reply.json["totalResults"], 1, "acknowledged {name} is not there exactly once: {:?}", reply.json);
    }
    for name in &report.unavailable {
        create_until_acknowledged(client, c, name);
    }
    let listed = client.user_names(c);
    let distinct: HashSet<&String> = listed.iter().collect();
    assert_eq!(distinct.len(), listed.len(), "a userName is listed twice");
    for name in report.created.iter().chain(&report.unavailable).chain(settled) {
        assert!(distinct.contains(name), "{name} is not listed");
    }
}

/// `/Users?filter=userName eq "{name}"`, encoded.
fn by_user_name(name: &str) -> String {
    format!("/Users?filter=userName%20eq%20%22{}%22", name.replace('@', "%40"))
}

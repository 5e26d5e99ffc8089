//! Each connection's health, kept as provisioning happens: when its IdP last succeeded, what
//! failed last, how many requests it made in the last 24 hours, and its users (active and
//! inactive) and groups.
//!
//! Layout (all under the connection's `health/{id}` prefix, reclaimed with the connection):
//! - `health/{id}/requests`: a counter of every authenticated SCIM request (one `increment` per
//!   request: the only store call health adds to a request in most cases);
//! - `health/{id}/inactive`: a counter of inactive users, moved by the writes that change a
//!   user's `active` (checked and repaired by the store check);
//! - `health/{id}`: a document read together with the connection record when a request
//!   authenticates (the same `get-many`, no extra call), rewritten (one `set`) only when it
//!   changes: a success at most once a minute (or at once after a failure), a new failure (or
//!   the same one again after ten seconds), and the first request of each hour, which marks
//!   the request counter so that "requests in the last 24 hours" is the counter minus the mark
//!   of the first hour of the window.
//!
//! Writes are blind: two hosts writing at once keep one of two nearly equal documents. Only
//! requests that authenticate count: a wrong token is not attributable to the connection (and
//! writing for it would let anyone make the store work).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use crate::http::Response;
use crate::storage::stats::Stats;
use crate::storage::{StorageError, keys};
use crate::store::KvStore;

/// How stale `lastSuccessAt` may be: a success is written at most this often.
pub const SUCCESS_EVERY_MS: i64 = 60_000;

/// The same failure (status and detail) is written again at most this often.
pub const FAILURE_EVERY_MS: i64 = 10_000;

/// Hourly marks kept: the 24 hours of the window and the one before.
const MARKS: usize = 25;

const HOUR_MS: i64 = 3_600_000;

/// The longest failure detail kept, in characters.
const DETAIL_CHARS: usize = 300;

/// The last failed request of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// When (ms since the epoch).
    pub at: i64,
    /// The HTTP status it was answered with.
    pub status: u16,
    /// The SCIM error's `detail` (shortened), or empty.
    pub detail: String,
}

/// The stored health document of a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthDoc {
    /// When a request last succeeded (ms since the epoch), at most a minute old.
    #[serde(default)]
    pub last_success_at: Option<i64>,
    /// The last failed request.
    #[serde(default)]
    pub last_failure: Option<Failure>,
    /// `(hour, requests before it)`: for each hour with requests (hours since the epoch), the
    /// request counter before the hour's first request; oldest first, at most 25.
    #[serde(default)]
    pub marks: Vec<(i64, i64)>,
}

impl HealthDoc {
    /// Decodes a stored document; a missing or unreadable one is empty (health is advisory:
    /// a damaged document is rewritten by the next request, never an error).
    pub fn decode(bytes: Option<&[u8]>) -> Self {
        bytes.and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default()
    }
}

/// A connection's health as the admin API shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// Users whose `active` is not false.
    pub active_users: u64,
    /// Users whose `active` is false.
    pub inactive_users: u64,
    /// Groups.
    pub groups: u64,
    /// When a request last succeeded (at most a minute old).
    pub last_success_at: Option<i64>,
    /// The last failed request.
    pub last_failure: Option<Failure>,
    /// Authenticated requests in the current hour and the 23 before it.
    pub requests_24h: u64,
}

fn failure_detail(response: &Response) -> String {
    let detail = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|body| body.get("detail").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    detail.chars().take(DETAIL_CHARS).collect()
}

/// Counts one authenticated request of `connection` answered with `response`, and rewrites
/// the health document `doc` (as read when the request authenticated) when it changed.
pub fn record(app: &App<'_>, connection: &str, doc: &HealthDoc, response: &Response) -> Result<(), StorageError> {
    let now = app.now();
    let n = app.store.increment(&keys::health_requests(connection), 1)?;
    let hour = now.div_euclid(HOUR_MS);
    let mut next = doc.clone();
    let mut due = false;
    if next.marks.last().is_none_or(|(h, _)| *h < hour) {
        next.marks.push((hour, n - 1));
        let excess = next.marks.len().saturating_sub(MARKS);
        next.marks.drain(..excess);
        due = true;
    }
    if response.status < 400 {
        let failed_since = doc.last_failure.as_ref().is_some_and(|f| doc.last_success_at.is_none_or(|s| f.at >= s));
        if failed_since || doc.last_success_at.is_none_or(|t| now - t >= SUCCESS_EVERY_MS) {
            next.last_success_at = Some(now);
            due = true;
        }
    } else {
        let detail = failure_detail(response);
        let repeated = doc
            .last_failure
            .as_ref()
            .is_some_and(|f| f.status == response.status && f.detail == detail && now - f.at < FAILURE_EVERY_MS);
        if !repeated {
            next.last_failure = Some(Failure { at: now, status: response.status, detail });
            due = true;
        }
    }
    if due {
        app.store.set(&keys::health(connection), &serde_json::to_vec(&next).unwrap_or_default())?;
    }
    Ok(())
}

/// The health of each of `connections` (with their resource counts `stats`, in the same
/// order) at `now`: one `get-many` for the documents and two counter reads per connection.
pub fn read_many(
    store: &dyn KvStore,
    connections: &[&str],
    stats: &[Stats],
    now: i64,
) -> Result<Vec<Health>, StorageError> {
    let doc_keys: Vec<String> = connections.iter().map(|c| keys::health(c)).collect();
    let docs = store.get_many(&doc_keys)?;
    let window_start = now.div_euclid(HOUR_MS) - 23;
    let mut out = Vec::with_capacity(connections.len());
    for ((connection, doc), stats) in connections.iter().zip(docs).zip(stats) {
        let doc = HealthDoc::decode(doc.as_deref());
        let requests = store.increment(&keys::health_requests(connection), 0)?;
        let inactive = u64::try_from(store.increment(&keys::health_inactive(connection), 0)?).unwrap_or(0);
        let inactive = inactive.min(stats.users);
        let requests_24h = doc
            .marks
            .iter()
            .find(|(hour, _)| *hour >= window_start)
            .map_or(0, |(_, before)| u64::try_from(requests - before).unwrap_or(0));
        out.push(Health {
            active_users: stats.users - inactive,
            inactive_users: inactive,
            groups: stats.groups,
            last_success_at: doc.last_success_at,
            last_failure: doc.last_failure,
            requests_24h,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::TestEnv;
    use crate::store::counting::CountingStore;
    use crate::store::memory::MemoryStore;

    fn answer(status: u16, detail: &str) -> Response {
        Response::scim(status, &serde_json::json!({"detail": detail}))
    }

    /// Records one request at `at` answered `status`, reading the document first as
    /// authentication does; returns the store calls recording made.
    fn request(store: &MemoryStore, env: &TestEnv, at: i64, status: u16, detail: &str) -> usize {
        env.millis.set(at);
        let doc = HealthDoc::decode(store.get(&keys::health("c")).expect("get").as_deref());
        let counting = CountingStore::new(store.clone());
        record(&App::new(&counting, env), "c", &doc, &answer(status, detail)).expect("record");
        counting.take().values().sum()
    }

    fn health(store: &MemoryStore, at: i64) -> Health {
        read_many(store, &["c"], &[Stats { users: 10, groups: 2 }], at).expect("read").remove(0)
    }

    #[test]
    fn a_request_costs_one_call_unless_its_news_must_be_written() {
        let (store, env) = (MemoryStore::default(), TestEnv::default());
        let t0 = 1_767_225_600_000; // an hour's start
        assert_eq!(request(&store, &env, t0, 200, ""), 2, "first of the hour: count and document");
        assert_eq!(request(&store, &env, t0 + 1_000, 200, ""), 1, "count only");
        assert_eq!(request(&store, &env, t0 + 2_000, 409, "taken"), 2, "a new failure is written");
        assert_eq!(request(&store, &env, t0 + 3_000, 409, "taken"), 1, "the same failure again");
        assert_eq!(request(&store, &env, t0 + 4_000, 200, ""), 2, "the first success after a failure");
        assert_eq!(request(&store, &env, t0 + 5_000, 200, ""), 1);
        assert_eq!(request(&store, &env, t0 + 65_000, 200, ""), 2, "a minute later");
        let h = health(&store, t0 + 66_000);
        assert_eq!(h.requests_24h, 7);
        assert_eq!(h.last_success_at, Some(t0 + 65_000));
        assert_eq!(h.last_failure, Some(Failure { at: t0 + 2_000, status: 409, detail: "taken".into() }));
        assert_eq!((h.active_users, h.inactive_users, h.groups), (10, 0, 2));
    }

    #[test]
    fn requests_older_than_the_window_drop_out_by_the_hour() {
        let (store, env) = (MemoryStore::default(), TestEnv::default());
        let t0 = 1_767_225_600_000;
        for i in 0..3 {
            request(&store, &env, t0 + i, 200, "");
        }
        request(&store, &env, t0 + 5 * HOUR_MS, 200, "");
        request(&store, &env, t0 + 5 * HOUR_MS + 1, 200, "");
        assert_eq!(health(&store, t0 + 23 * HOUR_MS).requests_24h, 5);
        assert_eq!(health(&store, t0 + 24 * HOUR_MS).requests_24h, 2, "the first hour left the window");
        assert_eq!(health(&store, t0 + 29 * HOUR_MS).requests_24h, 0);
        for i in 0..30 {
            request(&store, &env, t0 + (30 + i) * HOUR_MS, 500, "down");
        }
        let doc = HealthDoc::decode(store.get(&keys::health("c")).expect("get").as_deref());
        assert_eq!(doc.marks.len(), MARKS);
        assert_eq!(health(&store, t0 + 59 * HOUR_MS).requests_24h, 24);
        assert_eq!(health(&store, t0 + 59 * HOUR_MS).last_failure.map(|f| f.status), Some(500));
    }

    #[test]
    fn inactive_users_come_from_their_counter() {
        let store = MemoryStore::default();
        store.increment(&keys::health_inactive("c"), 3).expect("increment");
        let h = health(&store, 0);
        assert_eq!((h.active_users, h.inactive_users), (7, 3));
        assert_eq!(h.last_success_at, None);
    }
}

//! What happens on each connection, kept as it happens: the audit feed (who did what, when, to
//! which resource) and each connection's health (is its IdP syncing, and what failed last).
//!
//! A SCIM request collects its audit events in a [`Journal`] while it runs; when it has its
//! answer, [`after_request`] stores the events and the request's health in a few batched store
//! calls (see `docs/storage.md`, "Health and audit"). Admin operations on connections append
//! their events directly with [`audit::append`].

pub mod audit;
pub mod health;
mod journal;

pub use journal::{Action, Actor, Event, Journal};

use crate::app::App;
use crate::http::Response;
use crate::storage::connections::ConnectionRecord;

/// Records what an authenticated SCIM request of `connection` did: its audit events and its
/// outcome (`response`) in the connection's health. `health` is the health document as read
/// with the connection record. Store failures here are not the request's: the answer stands
/// and the records are skipped (health heals with the next request).
pub fn after_request(
    app: &App<'_>,
    connection: &ConnectionRecord,
    health: &health::HealthDoc,
    response: &Response,
    events: Vec<Event>,
) {
    let inactive_delta: i64 = events.iter().map(|e| i64::from(e.inactive_delta)).sum();
    let _ = audit::append(app.store, &events);
    if inactive_delta != 0 {
        let _ = app.store.increment(&crate::storage::keys::health_inactive(&connection.id), inactive_delta);
    }
    let _ = health::record(app, &connection.id, health, response);
}

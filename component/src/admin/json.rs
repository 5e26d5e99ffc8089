//! JSON shapes of the admin API.

use serde_json::{Value, json};

use crate::activity::Event;
use crate::activity::health::Health;
use crate::connection::{ConnectionPage, ConnectionView, Issued};
use crate::end_users::{EndUser, UserPage};
use crate::time::Timestamp;

fn time(millis: i64) -> String {
    Timestamp::from_millis(millis).to_string()
}

/// A connection.
pub fn connection(view: &ConnectionView) -> Value {
    json!({
        "id": view.record.id,
        "name": view.record.name,
        "scimUrl": view.scim_url,
        "created": time(view.record.created),
        "lastModified": time(view.record.last_modified),
        "tokenIssued": time(view.record.token_issued),
        "userCount": view.stats.users,
        "groupCount": view.stats.groups,
        "acceptUnknownExtensions": view.record.accept_unknown_extensions,
        "enabled": view.record.enabled,
        "tokenHint": (!view.record.token_hint.is_empty()).then_some(&view.record.token_hint),
        "previousTokenExpires": view.record.previous_token_expires.filter(|_| view.record.previous_token_hash.is_some()).map(time),
        "health": health(&view.health),
    })
}

/// A connection's health.
pub fn health(health: &Health) -> Value {
    json!({
        "activeUsers": health.active_users,
        "inactiveUsers": health.inactive_users,
        "groups": health.groups,
        "lastSuccessAt": health.last_success_at.map(time),
        "lastFailure": health.last_failure.as_ref().map(|f| json!({
            "at": time(f.at), "status": f.status, "detail": f.detail,
        })),
        "requests24h": health.requests_24h,
    })
}

/// A page of connections.
pub fn connection_page(page: &ConnectionPage) -> Value {
    json!({
        "totalResults": page.total_results,
        "startIndex": page.start_index,
        "itemsPerPage": page.connections.len(),
        "connections": page.connections.iter().map(connection).collect::<Vec<_>>(),
    })
}

/// An audit event.
pub fn audit_event(event: &Event) -> Value {
    let mut value = json!({
        "at": time(event.at),
        "actor": event.actor,
        "connectionId": event.connection_id,
        "connectionName": event.connection_name,
        "action": event.action,
        "resourceType": event.resource_type,
        "resourceId": event.resource_id,
    });
    if let Some(detail) = &event.detail {
        value["detail"] = json!(detail);
    }
    value
}

/// A connection with its freshly issued token.
pub fn issued(issued: &Issued) -> Value {
    let mut value = connection(&issued.connection);
    value["token"] = json!(issued.token);
    value
}

/// An End User.
pub fn end_user(user: &EndUser) -> Value {
    json!({
        "id": user.id,
        "connectionId": user.connection_id,
        "connectionName": user.connection_name,
        "userName": user.user_name,
        "displayName": user.display_name,
        "email": user.email,
        "externalId": user.external_id,
        "active": user.active,
        "created": user.created,
        "lastModified": user.last_modified,
    })
}

/// A page of End Users.
pub fn user_page(page: &UserPage) -> Value {
    json!({
        "totalResults": page.total_results,
        "startIndex": page.start_index,
        "itemsPerPage": page.users.len(),
        "users": page.users.iter().map(end_user).collect::<Vec<_>>(),
    })
}

/// A consistency check's report (`POST /admin/api/v1/check`). `clean`: no violation is left
/// unrepaired (unfinished work is not corruption).
pub fn check_report(report: &crate::maintenance::Report) -> Value {
    json!({
        "clean": report.violations.iter().all(|v| v.repaired),
        "keys": report.keys,
        "connections": report.connections,
        "users": report.users,
        "groups": report.groups,
        "memberships": report.memberships,
        "unfinished": report.unfinished.iter().map(|u| json!({
            "kind": u.kind, "key": u.key, "detail": u.detail, "inFlight": u.in_flight, "finished": u.finished,
        })).collect::<Vec<_>>(),
        "violations": report.violations.iter().map(|v| json!({
            "kind": v.kind, "key": v.key, "detail": v.detail, "repaired": v.repaired,
        })).collect::<Vec<_>>(),
        "omitted": report.omitted,
    })
}

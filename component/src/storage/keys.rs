//! Every key the product writes, in one place. Keys stay under Spin's 256-byte limit: user
//! supplied values (names, userNames) appear only as SHA-256 hashes.

use sha2::{Digest, Sha256};

use crate::token::hex;

/// The kind of a SCIM resource, as it appears in keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `User` resources.
    User,
    /// `Group` resources.
    Group,
}

impl Kind {
    /// The kind's tag in keys: `u` or `g`.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Kind::User => "u",
            Kind::Group => "g",
        }
    }

    /// The kind a key tag names.
    pub(crate) fn from_tag(tag: &str) -> Option<Kind> {
        match tag {
            "u" => Some(Kind::User),
            "g" => Some(Kind::Group),
            _ => None,
        }
    }
}

/// Hex SHA-256 of a value, for index keys.
pub fn digest(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// A connection's record.
pub fn connection(id: &str) -> String {
    format!("conn/{id}")
}

/// The uniqueness claim on a connection name (case-insensitive).
pub fn connection_name(name: &str) -> String {
    format!("conn-name/{}", digest(&name.to_lowercase()))
}

/// Prefix of the chunked list of all connections.
pub const CONNECTION_LIST: &str = "conn-list";

/// Counter for default connection names (`Connection N`).
pub const CONNECTION_NAME_SEQUENCE: &str = "conn-seq";

/// The custom extension schemas registered for the whole tenant.
pub const TENANT_SCHEMAS: &str = "schemas-tenant";

/// The custom extension schemas registered for one connection only.
pub fn connection_schemas(connection: &str) -> String {
    format!("schemas/{connection}")
}

/// A connection's health document: last success, last failure, hourly request-count marks
/// ([`crate::activity::health`]).
pub fn health(connection: &str) -> String {
    format!("health/{connection}")
}

/// Counter: every authenticated SCIM request the connection has served.
pub fn health_requests(connection: &str) -> String {
    format!("health/{connection}/requests")
}

/// Counter: how many of the connection's users are inactive (`active: false`).
pub fn health_inactive(connection: &str) -> String {
    format!("health/{connection}/inactive")
}

/// Counter: the number of the latest audit event ([`crate::activity::audit`]).
pub const AUDIT_SEQUENCE: &str = "audit-seq";

/// Slot `slot` of the audit ring.
pub fn audit_event(slot: i64) -> String {
    format!("audit/{slot}")
}

/// A resource document.
pub fn resource(connection: &str, kind: Kind, id: &str) -> String {
    format!("res/{connection}/{}/{id}", kind.tag())
}

/// The lookup index of an attribute value (non-unique): the ids that may hold it.
pub fn resource_index(connection: &str, kind: Kind, attribute: &str, value: &str) -> String {
    format!("res-idx/{connection}/{}/{attribute}/{}", kind.tag(), digest(value))
}

/// Prefix of the chunked list of a connection's resources of one kind.
pub fn resource_list(connection: &str, kind: Kind) -> String {
    format!("res-list/{connection}/{}", kind.tag())
}

/// The uniqueness claim of an attribute value among a connection's resources of one kind.
/// `normalized` is the value as compared (lower-cased for case-insensitive attributes).
pub fn resource_unique(connection: &str, kind: Kind, attribute: &str, normalized: &str) -> String {
    format!("res-uniq/{connection}/{}/{attribute}/{}", kind.tag(), digest(normalized))
}

/// Prefix of a group's membership: the chunked member list and one entry per member.
pub fn members(connection: &str, group: &str) -> String {
    format!("mem/{connection}/{group}")
}

/// The membership entry of `member` in `group` (exists exactly while it is a member).
pub fn member(connection: &str, group: &str, member: &str) -> String {
    format!("mem/{connection}/{group}/m/{member}")
}

/// The groups a user or group may be a member of (a superset, verified on read).
pub fn member_of(connection: &str, member: &str) -> String {
    format!("member-of/{connection}/{member}")
}

/// Chunk `n` (1-based) of the chunked list at `prefix`.
pub fn chunk(prefix: &str, n: u32) -> String {
    format!("{prefix}/{n}")
}

/// The directory (chunk lengths) of the chunked list at `prefix`.
pub fn chunk_directory(prefix: &str) -> String {
    format!("{prefix}/dir")
}

/// Whether `key` is a creation ticket (`{key}~new/{slot}`): an `increment` counter that decides
/// which writer creates `{key}` on a store whose swap from "absent" is blind
/// ([`crate::store::ticket`]). Never JSON: walks over a prefix must skip these keys. Deleted by
/// the writer that took it; one left behind by a crash keeps its key's owner prefix (a
/// connection's tickets are that connection's keys) and is garbage once
/// [`is_stale_creation_ticket`].
pub fn is_creation_ticket(key: &str) -> bool {
    crate::store::ticket::parse(key).is_some()
}

/// Whether `key` is a creation ticket that no writer can hold any more at `now_millis` (it is
/// two time slots old): deleting it is safe.
pub fn is_stale_creation_ticket(key: &str, now_millis: i64) -> bool {
    crate::store::ticket::is_stale(key, now_millis)
}

/// Whether `key` belongs to the store layer rather than to any connection: `meta/absent-swap`
/// (the recorded verdict of [`crate::store::probe`]), its probe counter, and a probe key a
/// crash left behind. Never JSON.
pub fn is_store_metadata(key: &str) -> bool {
    key.starts_with("meta/")
}

/// The queue of deleted connections whose data awaits reclamation: a chunked list of
/// connection ids (`reclaim-queue/dir`, `reclaim-queue/{k}`), see [`crate::reclaim`].
pub const RECLAIM_QUEUE: &str = "reclaim-queue";

/// The reclamation lease `{"holder", "until"}`: at most one reclamation step runs at a time.
pub const RECLAIM_LEASE: &str = "reclaim-lease";

/// Where the key-space sweep of the connection being reclaimed stands `{"id", "cursor"}`.
pub const RECLAIM_SWEEP: &str = "reclaim-sweep";

/// The connection a per-connection key belongs to: its second `/`-separated segment, when
/// that is a connection id. Every key that belongs to one connection has this shape
/// (`{structure}/{connection}/…`), which is what lets a deleted connection's keys be found and
/// reclaimed generically, whatever structure they belong to. The connection's record
/// (`conn/{c}`) is the one exception: it is deleted last, explicitly, and is not reported
/// here. Creation tickets keep their key's prefix, so they belong to its connection too.
pub fn connection_owner(key: &str) -> Option<&str> {
    let mut parts = key.splitn(3, '/');
    let structure = parts.next()?;
    let owner = parts.next()?;
    (structure != "conn" && crate::ids::is_connection_id(owner)).then_some(owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_short_whatever_the_input() {
        let long = "x".repeat(10_000);
        let cid = "a".repeat(26);
        assert!(resource_unique(&cid, Kind::User, "userName", &long).len() <= 256);
        assert!(connection_name(&long).len() <= 256);
    }

    #[test]
    fn creation_tickets_are_recognised_and_keep_their_owner_prefix() {
        let claim = resource_unique(&"c".repeat(26), Kind::User, "userName", "a");
        let ticket = crate::store::ticket::key(&claim, 176_722_560);
        assert!(is_creation_ticket(&ticket));
        assert!(ticket.starts_with(&claim) && ticket.len() <= 256);
        assert!(!is_creation_ticket(&claim));
        assert!(!is_creation_ticket(&member("c", "g", "u")));
        assert!(is_stale_creation_ticket(&ticket, 176_722_562 * crate::store::ticket::SLOT_MILLIS));
        assert!(!is_stale_creation_ticket(&ticket, 176_722_561 * crate::store::ticket::SLOT_MILLIS));
        assert!(is_store_metadata(crate::store::probe::ABSENT_SWAP_KEY));
    }

    #[test]
    fn every_per_connection_key_names_its_connection() {
        let c = "abcdefghijklmnopqrstuvwxyz";
        let owned = [
            connection_schemas(c),
            resource(c, Kind::User, "u"),
            resource_index(c, Kind::Group, "externalId", "x"),
            resource_list(c, Kind::User),
            chunk(&resource_list(c, Kind::User), 3),
            resource_unique(c, Kind::User, "userName", "a"),
            crate::store::ticket::key(&resource_unique(c, Kind::User, "userName", "a"), 1),
            members(c, "g"),
            member(c, "g", "u"),
            member_of(c, "u"),
        ];
        for key in owned {
            assert_eq!(connection_owner(&key), Some(c), "{key}");
        }
        for key in [connection(c), connection_name("x"), chunk(CONNECTION_LIST, 1), RECLAIM_QUEUE.into()] {
            assert_eq!(connection_owner(&key), None, "{key}");
        }
    }

    #[test]
    fn connection_names_collide_case_insensitively() {
        assert_eq!(connection_name("Acme - Okta"), connection_name("ACME - okta"));
    }
}

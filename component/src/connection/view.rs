//! What callers see of a connection: the record plus its SCIM URL and counts.

use crate::activity::health::Health;
use crate::storage::connections::ConnectionRecord;
use crate::storage::stats::Stats;

/// A connection as returned by the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionView {
    /// The stored record.
    pub record: ConnectionRecord,
    /// The SCIM base URL to configure in the IdP.
    pub scim_url: String,
    /// Its resource counts.
    pub stats: Stats,
    /// Its health.
    pub health: Health,
}

/// A connection with a token issued just now (returned once, never stored in clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The connection.
    pub connection: ConnectionView,
    /// The bearer token in clear text.
    pub token: String,
}

/// The SCIM base URL of connection `id` under `base` (an origin without trailing slash), or
/// root-relative when there is no base.
pub fn scim_url(base: Option<&str>, id: &str) -> String {
    format!("{}/scim/v2/{id}", base.unwrap_or(""))
}

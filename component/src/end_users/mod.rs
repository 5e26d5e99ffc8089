//! The End Users list: all users of all connections in one place, each with the connection
//! it came from; filtered by connection and active flag, searched, sorted, paged, with the
//! users whose email another connection also has flagged as duplicates.
//!
//! Every query reads the tenant's user summaries (`storage::summaries`: one page per 1,024
//! users) rather than the user records; only the page of results is read from the records.
//!
//! - [`query`]: the query, its sort keys, and answering it from summaries;
//! - [`detail`]: one user with its groups and connection;
//! - [`groups`]: the groups list.

pub mod detail;
pub mod groups;
pub mod query;

pub use query::{SortKey, SortOrder, UserQuery, list};

use crate::storage::connections::ConnectionRecord;
pub use crate::storage::summaries::is_active;

/// The largest page returned.
pub const MAX_COUNT: u32 = 500;

/// One user of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndUser {
    /// SCIM id.
    pub id: String,
    /// Connection id.
    pub connection_id: String,
    /// Connection name.
    pub connection_name: String,
    /// Whether the connection is enabled (a disabled one answers its IdP 403).
    pub connection_enabled: bool,
    /// SCIM userName.
    pub user_name: String,
    /// displayName, or a name formed from `name`.
    pub display_name: Option<String>,
    /// name.givenName.
    pub given_name: Option<String>,
    /// name.familyName.
    pub family_name: Option<String>,
    /// Primary (or first) email.
    pub email: Option<String>,
    /// externalId.
    pub external_id: Option<String>,
    /// active flag (absent counts as active).
    pub active: bool,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Last change, RFC 3339.
    pub last_modified: String,
    /// Whether a user of another connection has the same primary email (case-insensitively).
    pub duplicate: bool,
}

/// One page of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// How many users match in total.
    pub total_results: u64,
    /// 1-based index of the first user of the page.
    pub start_index: u32,
    /// The users.
    pub users: Vec<EndUser>,
}

/// Whether a connection is enabled (records written before connections could be disabled
/// read as enabled).
pub(crate) fn enabled(connection: &ConnectionRecord) -> bool {
    connection.enabled
}

#[cfg(test)]
mod tests;

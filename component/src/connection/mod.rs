//! Connections: one Identity Provider (or other SCIM client) provisioning into the tenant,
//! each with its own SCIM base URL and bearer token.

mod error;
mod name;
mod service;
mod view;

pub use error::ConnectionError;
pub use name::{MAX_NAME_CHARS, validate_name};
pub use service::{
    Authenticated, ConnectionPage, DEFAULT_PAGE, MAX_GRACE_SECONDS, MAX_PAGE, authenticate, create, delete, get, list,
    list_all, purge, regenerate_token, rename, set_accept_unknown_extensions, set_enabled,
};
pub use view::{ConnectionView, Issued, scim_url};

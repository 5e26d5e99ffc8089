//! The SCIM 2.0 service provider (RFC 7643/7644) served at each connection's base URL.
//!
//! # Layout
//! - `router`: authentication and routing of `/scim/v2/{connection}/...`.
//! - `handlers`: the resource endpoints (create, get, list/search, replace, patch, delete).
//! - `resource_type`: the resource types served and what differs between them.
//! - `schema`: attribute definitions of the core and extension schemas.
//! - `normalize`: client JSON to stored body (canonical names, types, read-only dropped).
//! - `extensions`: what a connection may store under extension URNs (unknown ones, required
//!   and immutable attributes of registered ones).
//! - `patch`: PATCH operations. `filter`: the filter and path grammar and its evaluation.
//! - `list`, `sort`, `projection`: list parameters, ordering, attribute selection.
//! - `render`, `preconditions`: resource output with `meta` and ETags; `If-Match`.
//! - `bulk`: `/Bulk` with `bulkId` references. `paging`: index and cursor paging.
//! - `discovery`: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`.
//! - `error`: [`error::ScimError`], the RFC 7644 §3.12 error response.
//! - `media_type`: the body's declared media type (415 for anything but JSON).
//! - `limits`: every limit on input (body, depth, strings, resource, filter, PATCH, Bulk, pages).

pub mod body;
pub mod bulk;
pub mod discovery;
#[cfg(test)]
mod discovery_validation;
pub mod error;
pub mod extensions;
pub mod filter;
pub mod handlers;
pub mod limits;
pub mod list;
pub mod media_type;
pub mod membership;
pub mod normalize;
pub mod paging;
pub mod patch;
pub mod preconditions;
pub mod projection;
pub mod render;
pub mod resource_type;
pub mod router;
pub mod schema;
pub mod sort;

pub use router::handle;

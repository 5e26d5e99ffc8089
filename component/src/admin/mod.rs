//! The admin HTTP API under `/admin/api/v1/`: connections, custom extension schemas and End
//! Users, as JSON, behind the admin bearer token.

mod audit;
mod auth;
mod error;
mod json;
mod maintenance;
mod openapi;
mod routes;
mod schemas;

pub use auth::is_admin;
pub use error::AdminError;
pub use routes::{PREFIX, handle};

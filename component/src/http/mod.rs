//! The transport-neutral HTTP model the `handler` export speaks, and the top-level router.

mod query;
mod request;
mod response;
pub mod router;

pub use query::{percent_decode, Query};
pub use request::Request;
pub use response::Response;

//! The transport-neutral HTTP model the `handler` export speaks, and the top-level router.

mod query;
mod request;
mod response;
pub mod router;

pub use query::{Query, percent_decode};
pub use request::Request;
pub use response::Response;

//! SCIM filters and PATCH paths (RFC 7644 §3.4.2.2 and §3.5.2): parsed into typed values,
//! printed back canonically, and evaluated against resources held as JSON.
//!
//! # Layout
//! - `ast.rs`: the typed forms, [`AttrPath`], [`CompareOp`], [`CompValue`] and [`Filter`].
//! - `error.rs`: [`FilterError`], what was wrong with a filter or path and where.
//! - `lexer.rs`: splits the input into tokens (brackets, JSON strings, bare words).
//! - `parser.rs`: the recursive-descent grammar shared by filters and paths, with the
//!   [`MAX_INPUT_LEN`] and [`MAX_DEPTH`] limits; `FromStr` for [`Filter`] and [`AttrPath`].
//! - `path.rs`: [`PatchPath`], the `path` of a PATCH operation.
//! - `display.rs`: canonical printing that parses back to the same value.
//! - `types.rs`: [`AttributeTypes`], how evaluation learns an attribute's type, and
//!   [`DefaultTypes`] for when no schema is at hand.
//! - `eval.rs`: [`Filter::matches`], finding attribute values in a resource.
//! - `compare.rs`: one attribute value against one literal, per attribute type.
//! - `datetime.rs`: RFC 3339 timestamps for chronological comparison.
//! - `parse_tests.rs`, `path_tests.rs`, `eval_tests.rs`, `generated_tests.rs`: behaviour
//!   tests against the public API.

mod ast;
mod compare;
mod datetime;
mod display;
mod error;
mod eval;
mod lexer;
mod parser;
mod path;
mod types;

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod generated_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod path_tests;

pub use self::ast::{AttrPath, CompValue, CompareOp, Filter};
pub use self::datetime::{Instant, parse as parse_date_time};
pub use self::error::FilterError;
pub use self::path::PatchPath;
pub use self::types::{AttrKind, AttributeTypes, DefaultTypes};

/// Longest filter or path accepted, in bytes; longer input is rejected before it is read.
pub use super::limits::MAX_FILTER_BYTES as MAX_INPUT_LEN;

/// Deepest nesting accepted: each `( … )`, `not ( … )` and `attr[ … ]` opens one level.
///
/// The parser and every walk over a parsed filter recurse at most this deep (chains of
/// `and`/`or` are walked iteratively), so a hostile filter cannot exhaust a wasm stack.
pub use super::limits::MAX_FILTER_DEPTH as MAX_DEPTH;

//! How evaluation learns attribute types: [`AttributeTypes`], [`AttrKind`], [`DefaultTypes`].

use super::ast::AttrPath;

/// The schema type of an attribute (RFC 7643 §2.3), as far as filtering cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrKind {
    /// A string; `case_exact` is the schema's `caseExact`.
    String {
        /// Whether case matters when comparing.
        case_exact: bool,
    },
    /// `true` or `false`; also accepts the strings `"True"` / `"false"` in any case.
    Boolean,
    /// A whole number.
    Integer,
    /// A real number.
    Decimal,
    /// An RFC 3339 timestamp, ordered chronologically.
    DateTime,
    /// Base64 data: equality only, case-exact.
    Binary,
    /// A URI: compared as a case-exact string.
    Reference,
    /// A complex attribute; comparisons without a sub-attribute use its `value`
    /// sub-attribute (RFC 7644 §3.4.2.2).
    Complex,
    /// Not known: the comparison follows the JSON value and the literal (see
    /// [`DefaultTypes`]).
    Unknown,
}

/// What the schema says about attributes named in a filter.
pub trait AttributeTypes {
    /// The type of the attribute at `path`. Inside a value filter such as
    /// `emails[type eq "work"]`, `path` is the full path, `emails.type`.
    fn kind(&self, path: &AttrPath) -> AttrKind;

    /// Whether `urn` is the resource's core schema, whose attributes sit at the top level
    /// of the resource rather than in an object under the URN. Only asked when the
    /// resource has no member named `urn`. By default: the IETF core schemas
    /// (`urn:ietf:params:scim:schemas:core:…`).
    fn is_core_schema(&self, urn: &str) -> bool {
        const CORE: &str = "urn:ietf:params:scim:schemas:core:";
        urn.get(..CORE.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(CORE))
    }
}

/// Types for when no schema is at hand: every attribute is [`AttrKind::Unknown`].
///
/// Unknown attributes compare by what they hold: JSON strings as case-insensitive strings
/// (chronologically when both sides are RFC 3339 timestamps), JSON numbers numerically and
/// JSON booleans as booleans; a number or boolean literal against a JSON string reads the
/// string as a number or boolean (`active eq true` matches `"True"`).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultTypes;

impl AttributeTypes for DefaultTypes {
    fn kind(&self, _path: &AttrPath) -> AttrKind {
        AttrKind::Unknown
    }
}

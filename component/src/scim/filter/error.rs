//! [`FilterError`]: why a filter or PATCH path was refused, and where.

use std::fmt;

use super::ast::CompareOp;

/// Longest piece of client input quoted back in an error message, in characters.
const EXCERPT_CHARS: usize = 40;

/// Why a filter or PATCH path was refused.
///
/// Positions are 0-based byte offsets into the input. The messages name what was found
/// and what was expected, for the `detail` of a SCIM 400 `invalidFilter` / `invalidPath`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// The input is empty or only whitespace.
    Empty,
    /// The input is longer than [`super::MAX_INPUT_LEN`] bytes.
    TooLong {
        /// Length of the input, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Brackets, parentheses and `not` nest deeper than [`super::MAX_DEPTH`].
    TooDeep {
        /// Where the level that went past the limit opens.
        position: usize,
        /// The limit.
        max: usize,
    },
    /// A `"` string with no closing `"`.
    UnterminatedString {
        /// Where the string opens.
        position: usize,
    },
    /// A `\` escape in a string that JSON does not define, or a lone UTF-16 surrogate.
    InvalidEscape {
        /// Where the escape starts.
        position: usize,
    },
    /// A word in value position that starts like a number but is not a JSON number.
    InvalidNumber {
        /// Where the word starts.
        position: usize,
        /// The word.
        found: String,
    },
    /// A word in value position that is neither a number nor `true`, `false`, `null`
    /// (typically a string value without its quotes).
    InvalidValue {
        /// Where the word starts.
        position: usize,
        /// The word.
        found: String,
    },
    /// A word in attribute position that is not an attribute path.
    InvalidAttrPath {
        /// Where the word starts.
        position: usize,
        /// The word.
        found: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A word in operator position that is not `eq`, `ne`, `co`, `sw`, `ew`, `gt`, `ge`,
    /// `lt`, `le` or `pr`.
    UnknownOperator {
        /// Where the word starts.
        position: usize,
        /// The word.
        found: String,
    },
    /// A token other than the one the grammar needs here.
    UnexpectedToken {
        /// Where the token starts.
        position: usize,
        /// The token as written.
        found: String,
        /// What the grammar needs here.
        expected: &'static str,
    },
    /// The input ends where the grammar needs more.
    UnexpectedEnd {
        /// The length of the input.
        position: usize,
        /// What the grammar needs here.
        expected: &'static str,
    },
    /// A `(` or `[` that is never closed.
    Unclosed {
        /// Where the opening bracket is.
        position: usize,
        /// The opening bracket, `(` or `[`.
        delimiter: char,
    },
    /// A `[` inside a value filter (`emails[type[…]]`), which RFC 7644 does not allow.
    NestedValueFilter {
        /// Where the inner `[` is.
        position: usize,
    },
    /// Input left over after a complete filter or path, such as an unmatched `)`.
    TrailingInput {
        /// Where the left-over input starts.
        position: usize,
        /// The first left-over token.
        found: String,
    },
    /// `gt`, `ge`, `lt` or `le` on a boolean or binary attribute, which RFC 7644 §3.4.2.2
    /// says SHALL fail with `invalidFilter` (found by [`super::Filter::check_types`]).
    NotOrderable {
        /// The attribute, as written in the filter (sub-attributes of a value filter
        /// prefixed with their parent).
        attribute: String,
        /// The operator.
        op: CompareOp,
    },
    /// A value filter (`attr[...]`) on an attribute that has no sub-attributes.
    NotComplex {
        /// The attribute, as written in the filter.
        attribute: String,
    },
    /// A literal of the wrong type for its attribute (`userName eq 5`, a dateTime compared
    /// with a string that is not a timestamp).
    LiteralType {
        /// The attribute, as written in the filter.
        attribute: String,
        /// What the literal should be.
        expected: &'static str,
    },
}

impl FilterError {
    /// The byte offset the error points at, if it points anywhere.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::Empty
            | Self::TooLong { .. }
            | Self::NotOrderable { .. }
            | Self::NotComplex { .. }
            | Self::LiteralType { .. } => None,
            Self::TooDeep { position, .. }
            | Self::UnterminatedString { position }
            | Self::InvalidEscape { position }
            | Self::InvalidNumber { position, .. }
            | Self::InvalidValue { position, .. }
            | Self::InvalidAttrPath { position, .. }
            | Self::UnknownOperator { position, .. }
            | Self::UnexpectedToken { position, .. }
            | Self::UnexpectedEnd { position, .. }
            | Self::Unclosed { position, .. }
            | Self::NestedValueFilter { position }
            | Self::TrailingInput { position, .. } => Some(*position),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the expression is empty"),
            Self::TooLong { len, max } => {
                write!(f, "the expression is {len} bytes long; at most {max} are accepted")
            }
            Self::TooDeep { position, max } => write!(
                f,
                "nesting at position {position} goes deeper than {max} levels of brackets, \
                 parentheses and `not`"
            ),
            Self::UnterminatedString { position } => {
                write!(f, "the string starting at position {position} has no closing `\"`")
            }
            Self::InvalidEscape { position } => write!(
                f,
                "invalid escape at position {position}: strings accept the JSON escapes \
                 \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX (surrogates in pairs)"
            ),
            Self::InvalidNumber { position, found } => {
                write!(f, "`{}` at position {position} is not a JSON number", excerpt(found))
            }
            Self::InvalidValue { position, found } => write!(
                f,
                "`{}` at position {position} is not a value: expected a quoted string, \
                 a number, true, false or null",
                excerpt(found)
            ),
            Self::InvalidAttrPath { position, found, reason } => {
                write!(f, "`{}` at position {position} is not an attribute path: {reason}", excerpt(found))
            }
            Self::UnknownOperator { position, found } => write!(
                f,
                "unknown operator `{}` at position {position}: expected eq, ne, co, sw, ew, \
                 gt, ge, lt, le or pr",
                excerpt(found)
            ),
            Self::UnexpectedToken { position, found, expected } => {
                write!(f, "unexpected `{}` at position {position}: expected {expected}", excerpt(found))
            }
            Self::UnexpectedEnd { position, expected } => {
                write!(f, "the expression ends at position {position}: expected {expected}")
            }
            Self::Unclosed { position, delimiter } => {
                let closer = if *delimiter == '[' { ']' } else { ')' };
                write!(f, "the `{delimiter}` at position {position} has no matching `{closer}`")
            }
            Self::NestedValueFilter { position } => write!(
                f,
                "`[` at position {position} is inside another value filter; value filters \
                 do not nest"
            ),
            Self::TrailingInput { position, found } => {
                write!(f, "unexpected `{}` at position {position} after a complete expression", excerpt(found))
            }
            Self::NotOrderable { attribute, op } => write!(
                f,
                "`{}` cannot be compared with `{}`: boolean and binary attributes have no order",
                excerpt(attribute),
                op.as_str()
            ),
            Self::NotComplex { attribute } => {
                write!(f, "`{}` has no sub-attributes to filter with `[...]`", excerpt(attribute))
            }
            Self::LiteralType { attribute, expected } => {
                write!(f, "`{}` must be compared with {expected}", excerpt(attribute))
            }
        }
    }
}

impl std::error::Error for FilterError {}

/// `text`, cut to [`EXCERPT_CHARS`] characters so an error never echoes a whole request.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
        None => text.to_owned(),
    }
}

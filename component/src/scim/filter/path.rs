//! [`PatchPath`]: the `path` of a PATCH operation (RFC 7644 §3.5.2, Figure 7).
//!
//! ```text
//! PATH = attrPath / valuePath [subAttr]
//! ```
//!
//! It shares the lexer, the attribute-path rules and the value-filter grammar with
//! [`Filter`], and reports problems with the same [`FilterError`].

use std::fmt;
use std::str::FromStr;

use super::ast::{AttrPath, Filter};
use super::error::FilterError;
use super::lexer::{Token, TokenKind};
use super::parser::{Parser, is_attr_name};

/// The target of a PATCH operation, e.g. `name.familyName`, `members[value eq "2819c223"]`
/// or `emails[type eq "work"].value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPath {
    /// The attribute, with its schema URN and, when there is no value filter, its
    /// sub-attribute (`name.familyName`).
    pub attr: AttrPath,
    /// The filter selecting values of a multi-valued attribute (`[type eq "work"]`); its
    /// paths name sub-attributes of `attr`. Evaluate it per value with
    /// [`Filter::matches_element`].
    pub value_filter: Option<Filter>,
    /// The sub-attribute after a value filter (`.value` in `emails[type eq "work"].value`).
    /// Always `None` without a value filter: a plain `name.familyName` keeps
    /// `familyName` in `attr.sub_attr`.
    pub sub_attr: Option<String>,
}

impl PatchPath {
    /// The sub-attribute the path ends at, wherever it was written (`attr.sub_attr`, or
    /// after the value filter).
    pub fn target_sub_attr(&self) -> Option<&str> {
        self.sub_attr.as_deref().or(self.attr.sub_attr.as_deref())
    }
}

impl FromStr for PatchPath {
    type Err = FilterError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut parser = Parser::new(input)?;
        let (attr, at) = parser.attr_path()?;
        let mut path = PatchPath { attr, value_filter: None, sub_attr: None };
        if let Some(&Token { kind: TokenKind::OpenBracket, position }) = parser.peek() {
            parser.bump();
            path.value_filter = Some(parser.value_filter(&path.attr, at, position)?);
            if let Some(Token { kind: TokenKind::Word(word), position }) = parser.peek() {
                let (word, position) = (*word, *position);
                match word.strip_prefix('.') {
                    Some(sub_attr) if is_attr_name(sub_attr) => {
                        parser.bump();
                        path.sub_attr = Some(sub_attr.to_owned());
                    }
                    _ => {
                        return Err(FilterError::InvalidAttrPath {
                            position,
                            found: word.to_owned(),
                            reason: "after `]` comes `.` and one sub-attribute name",
                        });
                    }
                }
            }
        }
        match parser.peek() {
            None => Ok(path),
            Some(_) => Err(parser.unexpected("the end of the path")),
        }
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.value_filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub_attr) = &self.sub_attr {
            write!(f, ".{sub_attr}")?;
        }
        Ok(())
    }
}

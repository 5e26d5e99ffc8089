//! Canonical printing: single spaces, lower-case keywords, JSON-escaped strings, and
//! parentheses only where the tree would otherwise parse differently.

use std::fmt::{self, Write as _};

use super::ast::{AttrPath, CompValue, CompareOp, Filter};

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub_attr) = &self.sub_attr {
            write!(f, ".{sub_attr}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(text) => write_json_string(f, text),
            Self::Num(number) => write!(f, "{number}"),
            Self::Bool(value) => write!(f, "{value}"),
            Self::Null => f.write_str("null"),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_or_level(f, self)
    }
}

/// `filter` where an `or` chain needs no parentheses (the top, or inside brackets).
fn write_or_level(f: &mut fmt::Formatter<'_>, filter: &Filter) -> fmt::Result {
    for (index, operand) in filter.chain(false).into_iter().enumerate() {
        if index > 0 {
            f.write_str(" or ")?;
        }
        // A later operand that is itself an `or` came from parentheses (`a or (b or c)`):
        // grouping it keeps the tree's shape. The first operand is never an `or`.
        match operand {
            Filter::Or(..) => write_grouped(f, operand)?,
            _ => write_and_level(f, operand)?,
        }
    }
    Ok(())
}

/// `filter` as an operand of `or`, where an `and` chain needs no parentheses.
fn write_and_level(f: &mut fmt::Formatter<'_>, filter: &Filter) -> fmt::Result {
    for (index, operand) in filter.chain(true).into_iter().enumerate() {
        if index > 0 {
            f.write_str(" and ")?;
        }
        write_atom(f, operand)?;
    }
    Ok(())
}

/// `filter` as an operand of `and`: anything but a comparison, presence test, value filter
/// or `not` is grouped.
fn write_atom(f: &mut fmt::Formatter<'_>, filter: &Filter) -> fmt::Result {
    match filter {
        Filter::And(..) | Filter::Or(..) => write_grouped(f, filter),
        Filter::Not(inner) => {
            f.write_str("not ")?;
            write_grouped(f, inner)
        }
        Filter::Compare(path, op, value) => write!(f, "{path} {op} {value}"),
        Filter::Present(path) => write!(f, "{path} pr"),
        Filter::Complex(path, inner) => {
            write!(f, "{path}[")?;
            write_or_level(f, inner)?;
            f.write_char(']')
        }
    }
}

fn write_grouped(f: &mut fmt::Formatter<'_>, filter: &Filter) -> fmt::Result {
    f.write_char('(')?;
    write_or_level(f, filter)?;
    f.write_char(')')
}

/// `text` as a JSON string literal.
pub(super) fn write_json_string(f: &mut impl fmt::Write, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 || c == '\u{7f}' => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

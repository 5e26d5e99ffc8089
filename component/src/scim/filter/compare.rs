//! One attribute value against one literal, by the attribute's [`AttrKind`].
//!
//! `ne` and `null` literals are settled by the caller (`eval.rs`); here every operator
//! asks "does this one value satisfy `op literal`?". A value or literal that does not fit
//! the attribute's type never matches.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::ast::{CompValue, CompareOp};
use super::datetime;
use super::types::AttrKind;

/// Whether `value op literal` holds for an attribute of type `kind`.
pub(super) fn value_matches(value: &Value, op: CompareOp, literal: &CompValue, kind: AttrKind) -> bool {
    match kind {
        AttrKind::String { case_exact } => text(value, op, literal, case_exact),
        AttrKind::Reference => text(value, op, literal, true),
        AttrKind::Binary => op == CompareOp::Eq && text(value, op, literal, true),
        AttrKind::Boolean => boolean(value, op, literal),
        AttrKind::Integer | AttrKind::Decimal => numeric(value, op, literal),
        AttrKind::DateTime => date_time(value, op, literal),
        AttrKind::Complex => false,
        AttrKind::Unknown => match (value, literal) {
            (Value::Bool(_), _) | (Value::String(_), CompValue::Bool(_)) => boolean(value, op, literal),
            (Value::Number(_), _) | (Value::String(_), CompValue::Num(_)) => numeric(value, op, literal),
            (Value::String(_), _) => date_time(value, op, literal),
            _ => false,
        },
    }
}

/// Strings compare only with strings: a number or boolean on either side never matches.
fn text(value: &Value, op: CompareOp, literal: &CompValue, case_exact: bool) -> bool {
    match (value, literal) {
        (Value::String(value), CompValue::Str(literal)) => compare_text(value, op, literal, case_exact),
        _ => false,
    }
}

/// String comparison; without `case_exact`, both sides are lower-cased first.
fn compare_text(value: &str, op: CompareOp, literal: &str, case_exact: bool) -> bool {
    let (value, literal) = if case_exact {
        (Cow::Borrowed(value), Cow::Borrowed(literal))
    } else {
        (Cow::Owned(value.to_lowercase()), Cow::Owned(literal.to_lowercase()))
    };
    match op {
        CompareOp::Co => value.contains(&*literal),
        CompareOp::Sw => value.starts_with(&*literal),
        CompareOp::Ew => value.ends_with(&*literal),
        _ => ordering_holds(op, value.cmp(&literal)),
    }
}

/// Whether `ordering` (value against literal) satisfies `eq`, `ne`, `gt`, `ge`, `lt`, `le`.
fn ordering_holds(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Eq => ordering.is_eq(),
        CompareOp::Ne => ordering.is_ne(),
        CompareOp::Gt => ordering.is_gt(),
        CompareOp::Ge => ordering.is_ge(),
        CompareOp::Lt => ordering.is_lt(),
        CompareOp::Le => ordering.is_le(),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Booleans have equality only; `"True"` / `"false"` strings (as Entra sends) count.
fn boolean(value: &Value, op: CompareOp, literal: &CompValue) -> bool {
    let value = match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => parse_bool(text),
        _ => None,
    };
    let literal = match literal {
        CompValue::Bool(flag) => Some(*flag),
        CompValue::Str(text) => parse_bool(text),
        _ => None,
    };
    match (value, literal) {
        (Some(value), Some(literal)) if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            ordering_holds(op, value.cmp(&literal))
        }
        _ => false,
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Numbers order numerically; numeric strings count as numbers.
fn numeric(value: &Value, op: CompareOp, literal: &CompValue) -> bool {
    let value = match value {
        Value::Number(number) => Some(Cow::Borrowed(number)),
        Value::String(text) => parse_number(text).map(Cow::Owned),
        _ => None,
    };
    let literal = match literal {
        CompValue::Num(number) => Some(Cow::Borrowed(number)),
        CompValue::Str(text) => parse_number(text).map(Cow::Owned),
        _ => None,
    };
    match (value, literal) {
        (Some(value), Some(literal)) => {
            compare_numbers(&value, &literal).is_some_and(|ordering| ordering_holds(op, ordering))
        }
        _ => false,
    }
}

fn parse_number(text: &str) -> Option<Number> {
    serde_json::from_str(text.trim()).ok()
}

/// Exact for integers, by `f64` otherwise.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return Some(a.cmp(&b));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// Timestamps: equality and order chronologically when both sides are timestamps, else
/// as case-insensitive strings; `co`, `sw`, `ew` always on the text (`sw "2011-05"`).
fn date_time(value: &Value, op: CompareOp, literal: &CompValue) -> bool {
    let (Value::String(value), CompValue::Str(literal)) = (value, literal) else {
        return false;
    };
    if !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
        && let (Some(value), Some(literal)) = (datetime::parse(value), datetime::parse(literal))
    {
        return ordering_holds(op, value.cmp(&literal));
    }
    compare_text(value, op, literal, false)
}

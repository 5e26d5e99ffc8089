//! The grammar of RFC 7644 §3.4.2.2 (Figure 1), as recursive descent over tokens.
//!
//! ```text
//! filter  = or-expr
//! or-expr = and-expr *("or" and-expr)            ; left-associated
//! and-expr = atom *("and" atom)                  ; binds tighter than "or"
//! atom    = "not" "(" or-expr ")" / "(" or-expr ")"
//!         / attrPath "[" or-expr "]"              ; not inside another "[...]"
//!         / attrPath "pr" / attrPath compareOp compValue
//! ```
//!
//! Keywords and operators are case-insensitive. `not` is a keyword only before `(`, so an
//! attribute may be called `not`. Recursion happens only where a level opens, and
//! [`MAX_DEPTH`] bounds it.

use std::str::FromStr;

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::error::FilterError;
use super::lexer::{Token, TokenKind, tokenize};
use super::{MAX_DEPTH, MAX_INPUT_LEN};

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut parser = Parser::new(input)?;
        let filter = parser.or_expr(false)?;
        parser.finish()?;
        Ok(filter)
    }
}

/// A lone attribute path, as in `sortBy`, `attributes` and `excludedAttributes`
/// (one element of a comma-separated list).
impl FromStr for AttrPath {
    type Err = FilterError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut parser = Parser::new(input)?;
        let (path, _) = parser.attr_path()?;
        parser.finish()?;
        Ok(path)
    }
}

/// Reads tokens of one input, tracking the nesting depth.
pub(super) struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    end: usize,
    depth: usize,
}

const EXPECTED_ATOM: &str = "an attribute path, `(` or `not (`";

impl<'a> Parser<'a> {
    /// A parser over `input`, refusing input that is empty or too long before reading it.
    pub(super) fn new(input: &'a str) -> Result<Self, FilterError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(FilterError::TooLong { len: input.len(), max: MAX_INPUT_LEN });
        }
        if input.trim().is_empty() {
            return Err(FilterError::Empty);
        }
        Ok(Self { tokens: tokenize(input)?, next: 0, end: input.len(), depth: 0 })
    }

    /// The next token, not consumed.
    pub(super) fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    /// The token after the next one, not consumed.
    fn peek_second(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next + 1)
    }

    /// Consumes and returns the next token.
    pub(super) fn bump(&mut self) -> Option<Token<'a>> {
        let token = self.tokens.get(self.next).cloned();
        if token.is_some() {
            self.next += 1;
        }
        token
    }

    /// Succeeds when every token has been read.
    pub(super) fn finish(&self) -> Result<(), FilterError> {
        match self.peek() {
            None => Ok(()),
            Some(token) => Err(FilterError::TrailingInput { position: token.position, found: token.kind.to_string() }),
        }
    }

    /// An error for the next token (or the end), where `expected` was needed.
    pub(super) fn unexpected(&self, expected: &'static str) -> FilterError {
        match self.peek() {
            Some(token) => {
                FilterError::UnexpectedToken { position: token.position, found: token.kind.to_string(), expected }
            }
            None => FilterError::UnexpectedEnd { position: self.end, expected },
        }
    }

    /// `or-expr`; `in_value_filter` is true between `[` and `]`.
    pub(super) fn or_expr(&mut self, in_value_filter: bool) -> Result<Filter, FilterError> {
        let mut filter = self.and_expr(in_value_filter)?;
        while self.at_keyword("or") {
            self.next += 1;
            let right = self.and_expr(in_value_filter)?;
            filter = Filter::Or(Box::new(filter), Box::new(right));
        }
        Ok(filter)
    }

    fn and_expr(&mut self, in_value_filter: bool) -> Result<Filter, FilterError> {
        let mut filter = self.atom(in_value_filter)?;
        while self.at_keyword("and") {
            self.next += 1;
            let right = self.atom(in_value_filter)?;
            filter = Filter::And(Box::new(filter), Box::new(right));
        }
        Ok(filter)
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Word(word), .. })
            if word.eq_ignore_ascii_case(keyword))
    }

    fn atom(&mut self, in_value_filter: bool) -> Result<Filter, FilterError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected(EXPECTED_ATOM));
        };
        match token.kind {
            TokenKind::Open => {
                self.next += 1;
                self.group(token.position, in_value_filter)
            }
            TokenKind::Word(word) if word.eq_ignore_ascii_case("not") => {
                match self.peek_second().map(|next| (&next.kind, next.position)) {
                    Some((TokenKind::Open, open)) => {
                        self.next += 2;
                        let inner = self.group(open, in_value_filter)?;
                        Ok(Filter::Not(Box::new(inner)))
                    }
                    Some((TokenKind::Word(next), _)) if !is_operator(next) => {
                        self.next += 1;
                        Err(self.unexpected("`(` after `not`"))
                    }
                    _ => self.attribute_expr(in_value_filter),
                }
            }
            TokenKind::Word(_) => self.attribute_expr(in_value_filter),
            _ => Err(self.unexpected(EXPECTED_ATOM)),
        }
    }

    /// The rest of a `( … )` whose `(` (at `open`) has been read.
    fn group(&mut self, open: usize, in_value_filter: bool) -> Result<Filter, FilterError> {
        self.enter(open)?;
        let inner = self.or_expr(in_value_filter)?;
        self.close(open, '(')?;
        Ok(inner)
    }

    /// Opens a nesting level at `position`, failing past [`MAX_DEPTH`].
    pub(super) fn enter(&mut self, position: usize) -> Result<(), FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::TooDeep { position, max: MAX_DEPTH });
        }
        self.depth += 1;
        Ok(())
    }

    /// Reads the `)` or `]` closing `delimiter` (at `open`) and leaves its level.
    pub(super) fn close(&mut self, open: usize, delimiter: char) -> Result<(), FilterError> {
        let (wanted, expected) = if delimiter == '[' {
            (TokenKind::CloseBracket, "`]`, `and` or `or`")
        } else {
            (TokenKind::Close, "`)`, `and` or `or`")
        };
        match self.peek() {
            Some(token) if token.kind == wanted => {
                self.next += 1;
                self.depth = self.depth.saturating_sub(1);
                Ok(())
            }
            Some(_) => Err(self.unexpected(expected)),
            None => Err(FilterError::Unclosed { position: open, delimiter }),
        }
    }

    fn attribute_expr(&mut self, in_value_filter: bool) -> Result<Filter, FilterError> {
        let (path, position) = self.attr_path()?;
        if in_value_filter && (path.schema.is_some() || path.sub_attr.is_some()) {
            return Err(FilterError::InvalidAttrPath {
                position,
                found: path.to_string(),
                reason: "inside `[…]` name a sub-attribute of the bracketed attribute",
            });
        }
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected("an operator"));
        };
        match token.kind {
            TokenKind::OpenBracket if in_value_filter => {
                Err(FilterError::NestedValueFilter { position: token.position })
            }
            TokenKind::OpenBracket => {
                self.next += 1;
                let inner = self.value_filter(&path, position, token.position)?;
                // Entra sends `emails[type eq "work"].value eq "x"` (outside the RFC grammar):
                // read it as `emails[type eq "work" and value eq "x"]`, which means the same.
                if let Some(Token { kind: TokenKind::Word(word), .. }) = self.peek().cloned()
                    && let Some(sub) = word.strip_prefix('.').filter(|s| is_attr_name(s))
                {
                    self.next += 1;
                    let sub = AttrPath::new(sub);
                    let tail = match self.peek().cloned() {
                        Some(Token { kind: TokenKind::Word(w), .. }) if w.eq_ignore_ascii_case("pr") => {
                            self.next += 1;
                            Filter::Present(sub)
                        }
                        Some(Token { kind: TokenKind::Word(w), position }) => {
                            let op = CompareOp::from_keyword(w)
                                .ok_or(FilterError::UnknownOperator { position, found: w.to_owned() })?;
                            self.next += 1;
                            Filter::Compare(sub, op, self.comp_value()?)
                        }
                        _ => return Err(self.unexpected("an operator")),
                    };
                    return Ok(Filter::Complex(path, Box::new(Filter::And(Box::new(inner), Box::new(tail)))));
                }
                Ok(Filter::Complex(path, Box::new(inner)))
            }
            TokenKind::Word(word) if word.eq_ignore_ascii_case("pr") => {
                self.next += 1;
                Ok(Filter::Present(path))
            }
            TokenKind::Word(word) => {
                let Some(op) = CompareOp::from_keyword(word) else {
                    return Err(FilterError::UnknownOperator { position: token.position, found: word.to_owned() });
                };
                self.next += 1;
                Ok(Filter::Compare(path, op, self.comp_value()?))
            }
            _ => Err(self.unexpected("an operator")),
        }
    }

    /// The rest of `attr[ … ]` whose `[` (at `open`) has been read; `path` (at `at`) is `attr`.
    pub(super) fn value_filter(&mut self, path: &AttrPath, at: usize, open: usize) -> Result<Filter, FilterError> {
        if path.sub_attr.is_some() {
            return Err(FilterError::InvalidAttrPath {
                position: at,
                found: path.to_string(),
                reason: "a value filter `[…]` applies to an attribute, not a sub-attribute",
            });
        }
        self.enter(open)?;
        let inner = self.or_expr(true)?;
        self.close(open, '[')?;
        Ok(inner)
    }

    /// An attribute path and where it starts.
    pub(super) fn attr_path(&mut self) -> Result<(AttrPath, usize), FilterError> {
        match self.peek() {
            Some(Token { kind: TokenKind::Word(word), position }) => {
                let (word, position) = (*word, *position);
                self.next += 1;
                Ok((parse_attr_path(word, position)?, position))
            }
            _ => Err(self.unexpected("an attribute path")),
        }
    }

    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        let Some(token) = self.bump() else {
            return Err(self.unexpected("a value"));
        };
        let position = token.position;
        match token.kind {
            TokenKind::Str(text) => Ok(CompValue::Str(text)),
            TokenKind::Word(word) if word.eq_ignore_ascii_case("true") => Ok(CompValue::Bool(true)),
            TokenKind::Word(word) if word.eq_ignore_ascii_case("false") => Ok(CompValue::Bool(false)),
            TokenKind::Word(word) if word.eq_ignore_ascii_case("null") => Ok(CompValue::Null),
            TokenKind::Word(word) if word.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                serde_json::from_str(word)
                    .map(CompValue::Num)
                    .map_err(|_| FilterError::InvalidNumber { position, found: word.to_owned() })
            }
            TokenKind::Word(word) => Err(FilterError::InvalidValue { position, found: word.to_owned() }),
            other => Err(FilterError::UnexpectedToken { position, found: other.to_string(), expected: "a value" }),
        }
    }
}

fn is_operator(word: &str) -> bool {
    word.eq_ignore_ascii_case("pr") || CompareOp::from_keyword(word).is_some()
}

/// `[URI ":"] ATTRNAME ["." ATTRNAME]`: the URN is everything before the last `:`.
fn parse_attr_path(word: &str, position: usize) -> Result<AttrPath, FilterError> {
    let invalid = |reason| FilterError::InvalidAttrPath { position, found: word.to_owned(), reason };
    let (schema, rest) = match word.rsplit_once(':') {
        Some((schema, rest)) => (Some(schema), rest),
        None => (None, word),
    };
    if let Some(schema) = schema
        && !is_schema_urn(schema)
    {
        return Err(invalid("the schema URN before the last `:` is malformed"));
    }
    let (name, sub_attr) = match rest.split_once('.') {
        Some((name, sub_attr)) => (name, Some(sub_attr)),
        None => (rest, None),
    };
    if !is_attr_name(name) {
        return Err(invalid("names start with a letter and continue with letters, digits, `-`, `_` or `$`"));
    }
    if let Some(sub_attr) = sub_attr
        && !is_attr_name(sub_attr)
    {
        return Err(invalid("after `.` comes one sub-attribute name"));
    }
    Ok(AttrPath { schema: schema.map(str::to_owned), name: name.to_owned(), sub_attr: sub_attr.map(str::to_owned) })
}

/// `ATTRNAME = ALPHA *(nameChar)`, with `$` allowed as in RFC 7643 §2.1 (for `$ref`).
pub(super) fn is_attr_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$'))
}

/// A plausible schema URI: non-empty, of URI characters, not ending in `:` or `.`.
fn is_schema_urn(schema: &str) -> bool {
    schema.starts_with(|c: char| c.is_ascii_alphabetic())
        && !schema.ends_with(['.', ':'])
        && schema.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:/?#@!$&'*+,;=%".contains(c))
}

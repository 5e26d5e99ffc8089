//! Splits filter or path text into tokens: brackets, JSON strings and bare words.
//!
//! A word is any run of characters other than whitespace, brackets and `"`. The parser
//! decides what a word is from where it stands: an attribute path (`emails.value`,
//! `urn:…:User:manager`), a keyword (`and`, `not`, `eq`, `pr`, `true`), a number, or a
//! path's trailing `.sub` after `]`. Whitespace between tokens is optional and may repeat.

use std::fmt;

use super::error::FilterError;

/// One token of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind<'a> {
    /// `(`
    Open,
    /// `)`
    Close,
    /// `[`
    OpenBracket,
    /// `]`
    CloseBracket,
    /// A JSON string, unescaped.
    Str(String),
    /// A run of other non-whitespace characters.
    Word(&'a str),
}

/// A token and the byte offset it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token<'a> {
    /// What was read.
    pub(super) kind: TokenKind<'a>,
    /// Where it starts.
    pub(super) position: usize,
}

impl fmt::Display for TokenKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open => f.write_str("("),
            Self::Close => f.write_str(")"),
            Self::OpenBracket => f.write_str("["),
            Self::CloseBracket => f.write_str("]"),
            Self::Str(text) => super::display::write_json_string(f, text),
            Self::Word(word) => f.write_str(word),
        }
    }
}

/// Whether `c` ends a word.
fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"')
}

/// The tokens of `input`, in order.
pub(super) fn tokenize(input: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(position, c)) = chars.peek() {
        let kind = match c {
            c if c.is_whitespace() => {
                chars.next();
                continue;
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                match c {
                    '(' => TokenKind::Open,
                    ')' => TokenKind::Close,
                    '[' => TokenKind::OpenBracket,
                    _ => TokenKind::CloseBracket,
                }
            }
            '"' => {
                chars.next();
                TokenKind::Str(string(&mut chars, position)?)
            }
            _ => {
                let mut end = input.len();
                while let Some(&(at, c)) = chars.peek() {
                    if is_delimiter(c) {
                        end = at;
                        break;
                    }
                    chars.next();
                }
                TokenKind::Word(input.get(position..end).unwrap_or_default())
            }
        };
        tokens.push(Token { kind, position });
    }
    Ok(tokens)
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// The rest of a JSON string whose opening `"` (at `start`) has been read.
fn string(chars: &mut Chars<'_>, start: usize) -> Result<String, FilterError> {
    let mut text = String::new();
    while let Some((position, c)) = chars.next() {
        match c {
            '"' => return Ok(text),
            '\\' => text.push(escape(chars, position)?),
            c => text.push(c),
        }
    }
    Err(FilterError::UnterminatedString { position: start })
}

/// The character of an escape whose `\` (at `start`) has been read.
fn escape(chars: &mut Chars<'_>, start: usize) -> Result<char, FilterError> {
    let invalid = FilterError::InvalidEscape { position: start };
    let Some((_, c)) = chars.next() else {
        return Err(FilterError::UnterminatedString { position: start });
    };
    Ok(match c {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let unit = hex4(chars).ok_or_else(|| invalid.clone())?;
            let code = match unit {
                0xD800..=0xDBFF => {
                    let low = match (chars.next(), chars.next()) {
                        (Some((_, '\\')), Some((_, 'u'))) => hex4(chars),
                        _ => None,
                    };
                    match low {
                        Some(low @ 0xDC00..=0xDFFF) => 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                        _ => return Err(invalid),
                    }
                }
                unit => unit,
            };
            char::from_u32(code).ok_or(invalid)?
        }
        _ => return Err(invalid),
    })
}

/// Four hexadecimal digits as a number.
fn hex4(chars: &mut Chars<'_>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        let (_, c) = chars.next()?;
        value = value * 16 + c.to_digit(16)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<TokenKind<'_>> {
        match tokenize(input) {
            Ok(tokens) => tokens.into_iter().map(|token| token.kind).collect(),
            Err(error) => panic!("{input}: {error}"),
        }
    }

    #[test]
    fn words_end_at_brackets_quotes_and_whitespace() {
        assert_eq!(
            kinds("emails[type eq\t\t\"work\"].value"),
            vec![
                TokenKind::Word("emails"),
                TokenKind::OpenBracket,
                TokenKind::Word("type"),
                TokenKind::Word("eq"),
                TokenKind::Str("work".into()),
                TokenKind::CloseBracket,
                TokenKind::Word(".value"),
            ]
        );
        assert_eq!(kinds("not(a pr)").first(), Some(&TokenKind::Word("not")));
    }

    #[test]
    fn json_escapes_are_decoded() {
        assert_eq!(
            kinds(r#""q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude00""#),
            vec![TokenKind::Str("q\"b\\s/\u{8}\u{c}\n\r\té😀".into())]
        );
    }

    #[test]
    fn bad_escapes_and_open_strings_are_errors() {
        for (input, expected) in [
            (r#""a\x""#, FilterError::InvalidEscape { position: 2 }),
            (r#""\u12""#, FilterError::InvalidEscape { position: 1 }),
            (r#""\ud83d""#, FilterError::InvalidEscape { position: 1 }),
            (r#""\ude00""#, FilterError::InvalidEscape { position: 1 }),
            (r#"a eq "open"#, FilterError::UnterminatedString { position: 5 }),
            ("\"ends in \\", FilterError::UnterminatedString { position: 9 }),
        ] {
            assert_eq!(tokenize(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn positions_are_byte_offsets() {
        let tokens = tokenize("  é\"x\" b").unwrap_or_default();
        let positions: Vec<usize> = tokens.iter().map(|token| token.position).collect();
        assert_eq!(positions, vec![2, 4, 8]);
    }
}

//! Index paging (RFC 7644 §3.4.2.4) and cursor paging (RFC 9865).
//!
//! A cursor names the position after the last result returned and that result's id:
//! `{offset}.{id}`. When results were added or removed in between, the id relocates the
//! position, so a client walking with cursors neither skips nor repeats a result that
//! stayed in place.

use super::error::{ScimError, ScimType};

/// How the client pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    /// `startIndex` (1-based).
    Index(usize),
    /// `cursor`; `None` asks for the first page.
    Cursor(Option<Cursor>),
}

/// A decoded cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// How many results came before the page it starts.
    pub offset: usize,
    /// The id of the last result before it.
    pub last_id: String,
}

impl Cursor {
    /// Decodes a cursor value; a malformed one is 400 `invalidCursor`.
    pub fn parse(raw: &str) -> Result<Cursor, ScimError> {
        let invalid = || ScimError::bad_request(ScimType::InvalidCursor, "the cursor is not one this server issued");
        let (offset, last_id) = raw.split_once('.').ok_or_else(invalid)?;
        let offset: usize = offset.parse().map_err(|_| invalid())?;
        if last_id.is_empty() || last_id.len() > 64 || !last_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(invalid());
        }
        Ok(Cursor { offset, last_id: last_id.to_owned() })
    }

    /// The cursor's wire form.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.offset, self.last_id)
    }
}

impl Paging {
    /// The 0-based offset of the page's first result among `ids`, the ordered results.
    pub fn start(&self, ids: &[String]) -> usize {
        match self {
            Paging::Index(start_index) => start_index.saturating_sub(1),
            Paging::Cursor(None) => 0,
            Paging::Cursor(Some(cursor)) => {
                if cursor.offset > 0 && ids.get(cursor.offset - 1) == Some(&cursor.last_id) {
                    cursor.offset
                } else {
                    ids.iter().position(|id| *id == cursor.last_id).map_or(cursor.offset.min(ids.len()), |p| p + 1)
                }
            }
        }
    }

    /// The cursor of the page after the one at `start` with `len` results, if more follow.
    pub fn next_cursor(&self, ids: &[String], start: usize, len: usize) -> Option<String> {
        let end = start + len;
        self.next_after(end, ids.len(), if len > 0 { ids.get(end - 1).map(String::as_str) } else { None })
    }

    /// The cursor continuing after position `end` (exclusive) of `total` results, whose last
    /// returned result is `last_id`; `None` for index paging or at the end.
    pub fn next_after(&self, end: usize, total: usize, last_id: Option<&str>) -> Option<String> {
        match (self, last_id) {
            (Paging::Cursor(_), Some(last)) if end < total => {
                Some(Cursor { offset: end, last_id: last.to_owned() }.encode())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("id{i}")).collect()
    }

    #[test]
    fn cursor_walk_survives_a_deletion_before_the_position() {
        let mut all = ids(6);
        let first = Paging::Cursor(None);
        let next = first.next_cursor(&all, first.start(&all), 3).expect("more");
        all.remove(0);
        let page = Paging::Cursor(Some(Cursor::parse(&next).expect("parse")));
        assert_eq!(all[page.start(&all)], "id3");
    }

    #[test]
    fn last_page_has_no_next_cursor_and_index_paging_none() {
        let all = ids(4);
        assert_eq!(Paging::Cursor(None).next_cursor(&all, 2, 2), None);
        assert_eq!(Paging::Index(1).next_cursor(&all, 0, 2), None);
    }

    #[test]
    fn malformed_cursors_are_invalid_cursor() {
        for bad in ["", "x", "1.", "a.b", "1.<script>"] {
            assert_eq!(Cursor::parse(bad).map_err(|e| e.scim_type), Err(Some(ScimType::InvalidCursor)), "{bad}");
        }
    }
}

//! `If-Match` and `If-None-Match` (RFC 7644 §3.14, RFC 9110 §13.1).

use crate::http::Request;

fn opaque(tag: &str) -> &str {
    let tag = tag.trim();
    tag.strip_prefix("W/").unwrap_or(tag)
}

fn any_matches(header: &str, etag: &str) -> bool {
    header.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(etag))
}

/// Whether the request's `If-Match` (if any) admits the current ETag (weak comparison).
pub fn if_match_holds(request: &Request, etag: &str) -> bool {
    request.header("if-match").is_none_or(|h| any_matches(h, etag))
}

/// Whether the request's `If-None-Match` names the current ETag (so a GET answers 304).
pub fn if_none_match_hits(request: &Request, etag: &str) -> bool {
    request.header("if-none-match").is_some_and(|h| any_matches(h, etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, value: &str) -> Request {
        Request::new("GET", "/", vec![(name.into(), value.into())], Vec::new())
    }

    #[test]
    fn weak_and_strong_tags_compare_weakly() {
        assert!(if_match_holds(&with("If-Match", "\"3\""), "W/\"3\""));
        assert!(if_match_holds(&with("If-Match", "W/\"1\", W/\"3\""), "W/\"3\""));
        assert!(!if_match_holds(&with("If-Match", "W/\"2\""), "W/\"3\""));
        assert!(if_match_holds(&with("If-Match", "*"), "W/\"3\""));
        assert!(if_match_holds(&with("x", "y"), "W/\"3\""));
    }

    #[test]
    fn if_none_match_hits_current_version() {
        assert!(if_none_match_hits(&with("If-None-Match", "W/\"3\""), "W/\"3\""));
        assert!(!if_none_match_hits(&with("If-None-Match", "W/\"2\""), "W/\"3\""));
    }
}

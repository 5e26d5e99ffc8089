//! An incoming request, with its path split from its query.

use super::query::Query;

/// An HTTP request as the handler sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The method, upper case.
    pub method: String,
    /// The path, still percent-encoded, without the query.
    pub path: String,
    /// The decoded query parameters.
    pub query: Query,
    /// The headers as received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// Builds a request from the parts the WIT `request` record carries.
    pub fn new(method: &str, path_with_query: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let (path, raw_query) = match path_with_query.split_once('?') {
            Some((path, query)) => (path, query),
            None => (path_with_query, ""),
        };
        Request {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: Query::parse(raw_query),
            headers,
            body,
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
    }

    /// The origin clients reach this server at: `scheme://host`, from the `host` header (or
    /// `:authority`) and `x-forwarded-proto`; `None` without a host.
    pub fn origin(&self) -> Option<String> {
        let host = self.header("host").or_else(|| self.header(":authority"))?.trim();
        let valid = !host.is_empty() && host.bytes().all(|c| c.is_ascii_alphanumeric() || b".-:[]_".contains(&c));
        if !valid {
            return None;
        }
        let scheme = match self.header("x-forwarded-proto").map(str::trim) {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        Some(format!("{scheme}://{host}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_headers(headers: &[(&str, &str)]) -> Request {
        let headers = headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        Request::new("get", "/a?b=c", headers, Vec::new())
    }

    #[test]
    fn splits_path_and_query() {
        let r = with_headers(&[]);
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/a");
        assert_eq!(r.query.get("b"), Some("c"));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(with_headers(&[("Authorization", "bearer abc")]).bearer_token(), Some("abc"));
        assert_eq!(with_headers(&[("authorization", "Basic abc")]).bearer_token(), None);
        assert_eq!(with_headers(&[("authorization", "Bearer ")]).bearer_token(), None);
    }

    #[test]
    fn origin_rejects_header_injection() {
        assert_eq!(with_headers(&[("host", "a.example:8080")]).origin().as_deref(), Some("http://a.example:8080"));
        assert_eq!(with_headers(&[("host", "evil/\"x")]).origin(), None);
        let https = with_headers(&[("host", "a"), ("x-forwarded-proto", "https")]);
        assert_eq!(https.origin().as_deref(), Some("https://a"));
    }
}

//! Query strings: `application/x-www-form-urlencoded` parsing and percent-decoding.

/// Decoded query parameters, in order. Parameter names compare case-insensitively (SCIM
/// clients differ in `startIndex` vs `startindex`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
    /// Names of parameters whose decoded value was not UTF-8 (kept with U+FFFD in `pairs`).
    not_utf8: Vec<String>,
}

impl Query {
    /// Parses a raw query string (without `?`).
    pub fn parse(raw: &str) -> Self {
        let mut query = Query::default();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = form_decode(name).unwrap_or_else(|lossy| lossy);
            let value = form_decode(value).unwrap_or_else(|lossy| {
                query.not_utf8.push(name.clone());
                lossy
            });
            query.pairs.push((name, value));
        }
        query
    }

    /// The first value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of parameter `name`, in order (a repeated parameter).
    pub fn get_all<'q>(&'q self, name: &'q str) -> impl Iterator<Item = &'q str> + 'q {
        self.pairs.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether a value of parameter `name` decoded to bytes that are not UTF-8 (`%FF`): such a
    /// value cannot be what the client meant, and [`Query::get`] gives it with U+FFFD in their
    /// place.
    pub fn is_malformed(&self, name: &str) -> bool {
        self.not_utf8.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// Decodes a form-encoded component: the text, or, when it is not UTF-8, the text with
/// U+FFFD for the bad bytes as the error.
fn form_decode(s: &str) -> Result<String, String> {
    let bytes = decode_bytes(&s.replace('+', " "));
    String::from_utf8(bytes).map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Decodes `%XX` escapes; invalid escapes stay as they are and invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    String::from_utf8_lossy(&decode_bytes(s)).into_owned()
}

fn decode_bytes(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_scim_filter() {
        let q = Query::parse("filter=userName%20eq%20%22bjensen%22&startIndex=1");
        assert_eq!(q.get("filter"), Some("userName eq \"bjensen\""));
        assert_eq!(q.get("startindex"), Some("1"));
    }

    #[test]
    fn values_that_decode_to_invalid_utf8_are_marked() {
        let q = Query::parse("filter=userName%20eq%20%22%FF%22&count=1&x=%C3%A9");
        assert!(q.is_malformed("FILTER"));
        assert_eq!(q.get("filter"), Some("userName eq \"\u{FFFD}\""));
        assert!(!q.is_malformed("count") && !q.is_malformed("x"));
        assert_eq!(q.get("x"), Some("é"));
    }

    #[test]
    fn plus_is_space_and_bad_escapes_survive() {
        assert_eq!(Query::parse("a=x+y%2").get("a"), Some("x y%2"));
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}

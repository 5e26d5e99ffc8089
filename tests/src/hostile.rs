//! The hostile corpus (`tests/fixtures/hostile/`, format in its README): requests no polite
//! client sends, each with the status and `scimType` it must get. Requests go over a raw TCP
//! socket, so that invalid UTF-8, odd percent-encodings, wrong framing and oversized headers
//! reach the server exactly as written.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// Text given literally, or built from pieces each repeated (to write a 10 MiB body or 100,000
/// brackets in a few characters).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// The text as is.
    Literal(String),
    /// The concatenation of each `[piece, times]`; `{i}` in a piece becomes its repetition's
    /// number (0, 1, ...), for values that must differ.
    Pieces(Vec<(String, usize)>),
}

impl Text {
    fn build(&self) -> String {
        match self {
            Text::Literal(s) => s.clone(),
            Text::Pieces(pieces) => pieces
                .iter()
                .flat_map(|(piece, times)| {
                    (0..*times).map(move |i| {
                        if piece.contains("{i}") { piece.replace("{i}", &i.to_string()) } else { piece.clone() }
                    })
                })
                .collect(),
        }
    }
}

/// Which credentials a case presents.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Auth {
    /// The connection's own bearer token (the default: the request reaches SCIM code).
    #[default]
    Connection,
    /// No `Authorization` header.
    None,
    /// The admin token.
    Admin,
}

/// The body an error response must have.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ErrorBody {
    /// A SCIM error message (RFC 7644 §3.12) with the expected `scimType`.
    #[default]
    Scim,
    /// An admin API error (`{"error": {"code", "message"}}`).
    Admin,
    /// None required: the HTTP layer (hyper) refuses the request before the host sees it.
    Http,
}

/// What a case must get back.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// The status.
    pub status: u16,
    /// The SCIM error's `scimType`; absent means the error must have none.
    #[serde(default)]
    pub scim_type: Option<String>,
    /// The kind of error body required when `status` is an error.
    #[serde(default)]
    pub error_body: ErrorBody,
    /// The `status` of each operation of a BulkResponse, in order.
    #[serde(default)]
    pub bulk_statuses: Option<Vec<String>>,
    /// Whether the store must be unchanged; defaults to whether `status` is an error.
    #[serde(default)]
    pub unchanged: Option<bool>,
}

/// One hostile request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Case {
    /// What the case sends and why it matters.
    pub name: String,
    /// The method, sent as written.
    pub method: String,
    /// The request target after the connection's SCIM base (`/Users`), or, when it starts with
    /// `//`, the whole target after dropping one slash (`//admin/...` is `/admin/...`).
    /// `{user}`, `{group}` and `{connection}` are replaced.
    pub path: Text,
    /// Extra headers (name, value), sent as written (placeholders, `{token}` too, replaced).
    #[serde(default)]
    pub headers: Vec<(String, Text)>,
    /// Credentials.
    #[serde(default)]
    pub auth: Auth,
    /// A JSON body, serialised (placeholders replaced), sent as `application/scim+json` unless
    /// a header sets another type.
    #[serde(default)]
    pub json: Option<Value>,
    /// A body given as text (placeholders replaced).
    #[serde(default)]
    pub body: Option<Text>,
    /// A body given as hex, for bytes that are not UTF-8.
    #[serde(default)]
    pub body_hex: Option<String>,
    /// What must come back.
    pub expect: Expect,
}

/// The ids a case may name.
pub struct Targets {
    /// The connection id.
    pub connection: String,
    /// A user of the connection.
    pub user: String,
    /// A group of the connection.
    pub group: String,
    /// The connection's bearer token (for cases that write their own `Authorization`).
    pub token: String,
}

impl Targets {
    fn fill(&self, text: &str) -> String {
        text.replace("{connection}", &self.connection)
            .replace("{user}", &self.user)
            .replace("{group}", &self.group)
            .replace("{token}", &self.token)
    }
}

impl Case {
    /// The request target.
    pub fn target(&self, targets: &Targets) -> String {
        let path = targets.fill(&self.path.build());
        match path.strip_prefix("//") {
            Some(absolute) => format!("/{absolute}"),
            None => format!("/scim/v2/{}{path}", targets.connection),
        }
    }

    /// The body bytes, and whether the case set a content type itself.
    pub fn body(&self, targets: &Targets) -> Vec<u8> {
        if let Some(json) = &self.json {
            targets.fill(&json.to_string()).into_bytes()
        } else if let Some(text) = &self.body {
            targets.fill(&text.build()).into_bytes()
        } else if let Some(hex) = &self.body_hex {
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("bodyHex is hex")).collect()
        } else {
            Vec::new()
        }
    }

    /// Whether the store must be unchanged after this case.
    pub fn must_leave_store_unchanged(&self) -> bool {
        self.expect.unchanged.unwrap_or(self.expect.status >= 400)
    }
}

/// Every case of every `*.json` file in `dir`, with the file it came from.
pub fn load(dir: &Path) -> Vec<(PathBuf, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the hostile corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a corpus file");
        let list: Vec<Case> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not a list of cases: {e}", file.display()));
        cases.extend(list.into_iter().map(|case| (file.clone(), case)));
    }
    cases
}

/// A response read off the socket.
#[derive(Debug)]
pub struct RawReply {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends `case` to the server at `addr` (`host:port`) over a fresh connection and reads the
/// response until the server closes it.
pub fn send(addr: &str, case: &Case, targets: &Targets, token: Option<&str>) -> std::io::Result<RawReply> {
    let body = case.body(targets);
    let mut head =
        format!("{} {} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n", case.method, case.target(targets));
    if let Some(token) = token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    let sets_type = case.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !sets_type {
        head.push_str("content-type: application/scim+json\r\n");
    }
    let sets_length = case.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    if !sets_length {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    for (name, value) in &case.headers {
        head.push_str(&format!("{name}: {}\r\n", targets.fill(&value.build())));
    }
    head.push_str("\r\n");

    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    // The server may answer (413, 431) and close before reading everything: a failed write
    // is not the outcome, the response is. The write side stays open: hyper drops a
    // connection whose client half-closes, before it answers.
    let _ = stream.write_all(&request);
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if raw.is_empty() {
        read?;
        return Err(std::io::Error::other("the server closed the connection without a response"));
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> std::io::Result<RawReply> {
    let bad = |what: &str| std::io::Error::other(format!("malformed response: {what}"));
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("no end of head"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(status_line))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body).ok_or_else(|| bad("chunked body"))?;
    } else if let Some(len) = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()) {
        body.truncate(len);
    }
    Ok(RawReply { status, headers, body })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// Every key and value of the SQLite store at `path`, in key order, without the connections'
/// health records (`health/…`): a refused request that authenticated is counted there, by
/// design (see docs/storage.md, "Health and audit"). The audit feed is kept: a refused request
/// must add no event.
pub fn dump(path: &Path) -> Vec<(String, Vec<u8>)> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut statement =
        conn.prepare("SELECT key, value FROM kv WHERE key NOT LIKE 'health/%' ORDER BY key").expect("the kv table");
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("dump")
        .collect::<Result<_, _>>()
        .expect("dump rows")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_repeat_and_literal_stays() {
        let text: Text = serde_json::from_str(r#"[["[", 3], ["1", 1], ["]", 3]]"#).expect("pieces");
        assert_eq!(text.build(), "[[[1]]]");
        let numbered: Text = serde_json::from_str(r#"[["a{i},", 3]]"#).expect("numbered");
        assert_eq!(numbered.build(), "a0,a1,a2,");
        assert_eq!(Text::Literal("x".into()).build(), "x");
    }

    #[test]
    fn responses_are_read_with_either_framing() {
        let plain = parse_response(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}").expect("plain");
        assert_eq!((plain.status, plain.body.as_slice()), (400, &b"{}"[..]));
        let chunked = parse_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
            .expect("chunked");
        assert_eq!(chunked.body, b"{}");
    }
}

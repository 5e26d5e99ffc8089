//! The target-independent part of the front: which headers reach the component, how much body
//! is read, and the responses the front makes itself. No WIT types, so it is tested natively.

/// Largest request body forwarded to the component, the same limit as the wasmtime host's
/// default; a larger body gets [`Failure::BodyTooLarge`].
pub const MAX_BODY_BYTES: usize = 10 << 20;

/// A request header as the component receives it: name and value.
pub type Header = (String, String);

/// The headers to hand to the component, in the order received.
///
/// Values that are not UTF-8 are decoded lossily (the component's header type is a string).
/// Two headers are added only when the client did not send them, so that the component can
/// build absolute URLs when `public_base_url` is not configured:
/// - `host`, from the request authority (HTTP/2 clients send `:authority` instead of `host`);
/// - `x-forwarded-proto: https`, when the request reached Spin over HTTPS. A TLS-terminating
///   proxy in front of Spin sets this header itself, and it is then kept as sent.
pub fn forwarded_headers(received: Vec<(String, Vec<u8>)>, authority: Option<&str>, https: bool) -> Vec<Header> {
    let mut headers: Vec<Header> =
        received.into_iter().map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned())).collect();
    let has = |headers: &[Header], wanted: &str| headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(wanted));
    if let Some(authority) = authority.filter(|a| !a.is_empty())
        && !has(&headers, "host")
    {
        headers.push(("host".to_owned(), authority.to_owned()));
    }
    if https && !has(&headers, "x-forwarded-proto") {
        headers.push(("x-forwarded-proto".to_owned(), "https".to_owned()));
    }
    headers
}

/// Whether a `content-length` header announces a body over [`MAX_BODY_BYTES`], so the request
/// can be refused before its body is read.
pub fn declares_oversized_body(headers: &[Header]) -> bool {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .filter_map(|(_, value)| value.trim().parse::<u64>().ok())
        .any(|length| length > MAX_BODY_BYTES as u64)
}

/// A request body being read chunk by chunk, bounded by [`MAX_BODY_BYTES`].
#[derive(Debug, Default)]
pub struct BodyBuffer {
    bytes: Vec<u8>,
}

impl BodyBuffer {
    /// Appends one chunk; [`Failure::BodyTooLarge`] once the total passes the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        if self.bytes.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(Failure::BodyTooLarge);
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The complete body.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A request the front answers itself, without calling the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The body is over [`MAX_BODY_BYTES`] (413).
    BodyTooLarge,
    /// The body could not be read from Spin (400).
    UnreadableBody,
}

impl Failure {
    /// The HTTP status code.
    pub fn status(self) -> u16 {
        match self {
            Failure::BodyTooLarge => 413,
            Failure::UnreadableBody => 400,
        }
    }

    /// The response headers.
    pub fn headers(self) -> Vec<Header> {
        vec![("content-type".to_owned(), "application/scim+json".to_owned())]
    }

    /// The body: a SCIM error message (RFC 7644 §3.12) with a fixed detail, the same bodies
    /// the wasmtime host sends in these cases.
    pub fn body(self) -> Vec<u8> {
        let detail = match self {
            Failure::BodyTooLarge => "request body too large",
            Failure::UnreadableBody => "request body could not be read",
        };
        format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"{}","detail":"{detail}"}}"#,
            self.status()
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec())).collect()
    }

    fn value<'a>(headers: &'a [Header], name: &str) -> Vec<&'a str> {
        headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    #[test]
    fn headers_pass_through_in_order_with_repeats() {
        let headers = forwarded_headers(received(&[("host", "a"), ("accept", "x"), ("accept", "y")]), None, false);
        assert_eq!(headers.len(), 3);
        assert_eq!(value(&headers, "accept"), ["x", "y"]);
    }

    #[test]
    fn missing_host_is_taken_from_the_authority() {
        let headers = forwarded_headers(received(&[("accept", "x")]), Some("idp.example.com:3000"), false);
        assert_eq!(value(&headers, "host"), ["idp.example.com:3000"]);
    }

    #[test]
    fn host_sent_by_the_client_is_kept() {
        let headers = forwarded_headers(received(&[("Host", "a.example")]), Some("b.example"), false);
        assert_eq!(value(&headers, "Host"), ["a.example"]);
        assert!(value(&headers, "host").is_empty());
    }

    #[test]
    fn https_adds_forwarded_proto_unless_a_proxy_set_it() {
        let direct = forwarded_headers(received(&[("host", "a")]), None, true);
        assert_eq!(value(&direct, "x-forwarded-proto"), ["https"]);
        let proxied = forwarded_headers(received(&[("x-forwarded-proto", "http")]), None, true);
        assert_eq!(value(&proxied, "x-forwarded-proto"), ["http"]);
        let plain = forwarded_headers(received(&[("host", "a")]), None, false);
        assert!(value(&plain, "x-forwarded-proto").is_empty());
    }

    #[test]
    fn non_utf8_header_values_are_decoded_lossily() {
        let headers = forwarded_headers(vec![("x-bin".to_owned(), vec![0x61, 0xff])], None, false);
        assert_eq!(value(&headers, "x-bin"), ["a\u{fffd}"]);
    }

    #[test]
    fn oversized_content_length_is_detected_before_reading() {
        let over = vec![("Content-Length".to_owned(), (MAX_BODY_BYTES + 1).to_string())];
        assert!(declares_oversized_body(&over));
        let at_limit = vec![("content-length".to_owned(), MAX_BODY_BYTES.to_string())];
        assert!(!declares_oversized_body(&at_limit));
        assert!(!declares_oversized_body(&[("content-length".to_owned(), "junk".to_owned())]));
    }

    #[test]
    fn body_buffer_refuses_chunks_past_the_limit() {
        let mut body = BodyBuffer::default();
        assert_eq!(body.push(&vec![0; MAX_BODY_BYTES - 1]), Ok(()));
        assert_eq!(body.push(&[1]), Ok(()));
        assert_eq!(body.push(&[2]), Err(Failure::BodyTooLarge));
        assert_eq!(body.into_bytes().len(), MAX_BODY_BYTES);
    }

    #[test]
    fn failures_render_scim_errors_with_matching_status() {
        let body = String::from_utf8(Failure::BodyTooLarge.body()).expect("utf8");
        assert_eq!(
            body,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"413","detail":"request body too large"}"#
        );
        assert_eq!(Failure::UnreadableBody.status(), 400);
    }
}

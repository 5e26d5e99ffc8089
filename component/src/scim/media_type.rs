//! The media type of a request body (RFC 7644 §3.1, §8.1): `application/scim+json`, or
//! `application/json` (which RFC 7644 asks servers to accept too), each with any parameters
//! (`charset=utf-8`). A body that says it is something else — a form, XML, plain text — is
//! refused with 415 before it is read, rather than parsed as JSON against its own label. A body
//! without a `Content-Type` is read as JSON: some IdP clients omit the header.

use super::error::ScimError;
use crate::http::Request;

/// The media types a body may declare.
pub const ACCEPTED: &[&str] = &["application/scim+json", "application/json"];

/// Refuses a request whose non-empty body declares a media type other than [`ACCEPTED`].
pub fn check(request: &Request) -> Result<(), ScimError> {
    if request.body.is_empty() {
        return Ok(());
    }
    let Some(declared) = request.header("content-type") else {
        return Ok(());
    };
    let essence = declared.split(';').next().unwrap_or_default().trim();
    if ACCEPTED.iter().any(|accepted| accepted.eq_ignore_ascii_case(essence)) {
        return Ok(());
    }
    Err(ScimError {
        status: 415,
        scim_type: None,
        detail: format!("the body must be application/scim+json (or application/json), not {essence:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: Option<&str>, body: &[u8]) -> Request {
        let headers = content_type.map(|t| vec![("Content-Type".to_owned(), t.to_owned())]).unwrap_or_default();
        Request::new("POST", "/scim/v2/c/Users", headers, body.to_vec())
    }

    #[test]
    fn scim_and_plain_json_with_parameters_are_accepted() {
        for t in [
            "application/scim+json",
            "application/json",
            "Application/SCIM+JSON; charset=utf-8",
            "application/json;charset=UTF-8",
        ] {
            check(&request(Some(t), b"{}")).unwrap_or_else(|e| panic!("{t}: {e:?}"));
        }
        check(&request(None, b"{}")).expect("no content type");
        check(&request(Some("text/plain"), b"")).expect("no body, nothing to label");
    }

    #[test]
    fn other_media_types_are_refused_with_415() {
        for t in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/xml",
            "multipart/form-data; boundary=x",
            "",
        ] {
            let e = check(&request(Some(t), b"{}")).expect_err(t);
            assert_eq!((e.status, e.scim_type), (415, None), "{t}");
        }
    }
}

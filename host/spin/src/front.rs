//! The Spin HTTP entry point: reads the request Spin delivers, calls `idplex:scim/handler`
//! and writes its response back. Everything the product does happens in the component.

use futures::StreamExt as _;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam, Scheme};
use spin_sdk::http_component;

use crate::bindings::idplex::scim::handler::{self, Request, Response};
use crate::plumbing::{self, BodyBuffer, Failure};

#[http_component]
async fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    let response = match read_request(request).await {
        Ok(request) => handler::handle(&request),
        Err(failure) => Response { status: failure.status(), headers: failure.headers(), body: failure.body() },
    };
    send(response_out, response).await;
}

/// Converts Spin's request into the handler's record, reading the whole body.
async fn read_request(request: IncomingRequest) -> Result<Request, Failure> {
    let https = matches!(request.scheme(), Some(Scheme::Https));
    let headers = plumbing::forwarded_headers(request.headers().entries(), request.authority().as_deref(), https);
    if plumbing::declares_oversized_body(&headers) {
        return Err(Failure::BodyTooLarge);
    }
    let method = request.method().to_string();
    let path_with_query = request.path_with_query().unwrap_or_else(|| "/".to_owned());
    let mut body = BodyBuffer::default();
    let mut chunks = request.into_body_stream();
    while let Some(chunk) = chunks.next().await {
        body.push(&chunk.map_err(|_| Failure::UnreadableBody)?)?;
    }
    Ok(Request { method, path_with_query, headers, body: body.into_bytes() })
}

/// Writes the handler's response. A header Spin refuses to forward (e.g. hop-by-hop headers)
/// is left out rather than failing the whole response.
async fn send(response_out: ResponseOutparam, response: Response) {
    let headers = Fields::new();
    for (name, value) in &response.headers {
        if headers.append(name, value.as_bytes()).is_err() {
            eprintln!("idplex-spin: response header `{name}` refused by the host; left out");
        }
    }
    let outgoing = OutgoingResponse::new(headers);
    if outgoing.set_status_code(response.status).is_err() {
        eprintln!("idplex-spin: invalid status code {}; sending 500", response.status);
        let _ = outgoing.set_status_code(500);
    }
    if let Err(e) = response_out.set_with_body(outgoing, response.body).await {
        eprintln!("idplex-spin: could not send the response body: {e:?}");
    }
}

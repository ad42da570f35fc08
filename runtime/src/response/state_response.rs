//! What the layer does with a request state's own headers (Clerk's `requestState.headers`, as
//! `clerkMiddleware` uses them): a state with a `Location` is answered at once with a 307 — a
//! handshake, or a development instance's return from one — and any other state's headers (the
//! `Set-Cookie`s of a resolved handshake or a refresh) are added to the handler's response.

use http::header::LOCATION;
use http::{HeaderMap, Response, StatusCode};

use crate::response::auth_headers::SignedOutHeaders;

/// The state's headers hold a `Location`: the layer answers the request itself.
pub(crate) fn is_redirect(headers: &HeaderMap) -> bool {
    headers.contains_key(LOCATION)
}

/// The layer's own answer: 307 with every header of the state and the `x-clerk-auth-*` headers
/// of a state that is not signed in.
pub(crate) fn redirect<B: Default>(headers: HeaderMap, debug: Option<SignedOutHeaders>) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    *response.headers_mut() = headers;
    if let Some(debug) = debug {
        debug.add_to(response.headers_mut());
    }
    response
}

/// Appends the state's headers to the handler's response (a handler's own cookies are kept).
pub(crate) fn add_state_headers(headers: HeaderMap, response: &mut HeaderMap) {
    let mut name = None;
    for (next, value) in headers {
        name = next.or(name);
        if let Some(name) = &name {
            let _ = response.try_append(name.clone(), value);
        }
    }
}

/// The layer's 404 for a response produced without an authorization decision under
/// `RequireDecision::Deny` (empty body, like axum's own).
pub(crate) fn not_found<B: Default>() -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

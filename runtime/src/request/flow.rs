//! Clerk's `authenticateRequest` decisions (clerk-semantics §5.3 with the HEAD deltas of §5.4)
//! as pure functions of what a request says, the instance, and the time: no network, no cache,
//! no state. [`before_verification`] reads the method, URL, `Authorization` and cookies and ends
//! the request, or names the token to verify and where it came from; [`after_verification`]
//! turns a verification failure into Clerk's reason.
//!
//! Where Clerk would start a handshake (a page load with a session that needs refreshing), the
//! decision is [`Decision::Handshake`], which ends signed-out with the same reason until the
//! handshake itself is built.

use http::{HeaderMap, HeaderName, Method, Uri};
use std::borrow::Cow;

use crate::config::InstanceFacts;
use crate::error::{Reason, TokenCarrier, TokenError};
use crate::request::authorization::{header_token, HeaderToken};
use crate::request::cookies::Cookies;
use crate::request::info::query_value;
use crate::request::suffix::{session_cookies, SessionCookies};
use crate::verify::jwt::Peek;

pub(crate) const SESSION: &str = "__session";
pub(crate) const CLIENT_UAT: &str = "__client_uat";
pub(crate) const DEV_BROWSER: &str = "__clerk_db_jwt";
const REDIRECT_URL: &str = "__clerk_redirect_url";

const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");

/// What the decisions read of one request, and when.
#[derive(Clone, Copy)]
pub(crate) struct Input<'r> {
    pub(crate) method: &'r Method,
    pub(crate) uri: &'r Uri,
    pub(crate) headers: &'r HeaderMap,
    pub(crate) now_ms: i64,
    /// Reads a cookie token's routing claims: [`jwt::peek`], or the same claims kept for a token
    /// that verified before (a token's claims are the same however they are read).
    pub(crate) peek: &'r (dyn Fn(&str) -> Result<Peek, TokenError> + Sync),
}

/// Why a request is signed out, in Clerk's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignedOut {
    pub(crate) reason: Reason,
    /// Clerk's message (`""` for the cookie-flow reasons).
    pub(crate) message: String,
    /// Signed out only because no verification key could be had.
    pub(crate) infrastructure: bool,
}

/// A request that does not end signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    SignedOut(SignedOut),
    /// Clerk would answer with a handshake redirect here; the request ends signed-out with the
    /// same reason and message.
    Handshake(SignedOut),
}

impl Decision {
    pub(crate) fn into_signed_out(self) -> SignedOut {
        match self {
            Self::SignedOut(out) | Self::Handshake(out) => out,
        }
    }
}

/// What [`before_verification`] decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step<'r> {
    Done(Decision),
    /// Verify this session token; [`after_verification`] reads a failure.
    Verify {
        token: Cow<'r, str>,
        carrier: TokenCarrier,
    },
}

fn signed_out(reason: Reason, message: impl Into<String>) -> Decision {
    Decision::SignedOut(SignedOut { reason, message: message.into(), infrastructure: false })
}

/// Every decision that comes before verifying a token, in Clerk's order.
pub(crate) fn before_verification<'r>(input: &Input<'r>, instance: &InstanceFacts) -> Step<'r> {
    match header_token(input.headers) {
        HeaderToken::Absent => cookie_path(input, instance),
        HeaderToken::Unusable(why) => {
            Step::Done(token_error(input, TokenError::new(Reason::TokenInvalid, why), TokenCarrier::Header))
        }
        HeaderToken::Token(bytes) => match std::str::from_utf8(bytes) {
            Err(_) => {
                let err = TokenError::new(Reason::TokenInvalid, "The Authorization header is not valid UTF-8.");
                Step::Done(token_error(input, err, TokenCarrier::Header))
            }
            // Opaque machine tokens (API keys, M2M, OAuth) are not session tokens (§5.4).
            Ok(token) if ["ak_", "mt_", "oat_"].iter().any(|p| token.starts_with(p)) => {
                Step::Done(signed_out(Reason::TokenTypeMismatch, ""))
            }
            Ok(token) => Step::Verify { token: Cow::Borrowed(token), carrier: TokenCarrier::Header },
        },
    }
}

fn cookie_path<'r>(input: &Input<'r>, instance: &InstanceFacts) -> Step<'r> {
    let cookies = Cookies::parse(input.headers);
    let SessionCookies { session, client_uat, dev_browser, peeked } = if cookies.is_empty() {
        SessionCookies::default()
    } else {
        session_cookies(&cookies, instance, input.now_ms, input.peek)
    };
    let done = |reason| Step::Done(maybe_handshake(input, reason, String::new()));
    if instance.development {
        if query_value(input.uri, REDIRECT_URL).is_some_and(|url| !url.is_empty()) {
            return done(Reason::PrimaryRespondsToSyncing);
        }
        if query_value(input.uri, DEV_BROWSER).is_some() {
            return done(Reason::DevBrowserSync);
        }
        if !dev_browser {
            return done(Reason::DevBrowserMissing);
        }
    }
    let session = match (client_uat, session) {
        (0, None) => return Step::Done(signed_out(Reason::SessionTokenAndUatMissing, "")),
        (0, Some(_)) => return done(Reason::SessionTokenButNoClientUat),
        (_, None) => return done(Reason::ClientUatButNoSessionToken),
        (_, Some(session)) => session,
    };
    let peek = match peeked.unwrap_or_else(|| (input.peek)(&session)) {
        Ok(peek) => peek,
        Err(err) => return Step::Done(token_error(input, err, TokenCarrier::Cookie)),
    };
    if peek.not_a_session_token {
        return Step::Done(signed_out(Reason::TokenTypeMismatch, ""));
    }
    // `payload.iat < clientUat`: a token without a numeric `iat` is not before anything.
    if peek.iat.is_some_and(|iat| iat < client_uat as f64) {
        return done(Reason::SessionTokenIatBeforeClientUat);
    }
    Step::Verify { token: session, carrier: TokenCarrier::Cookie }
}

/// `handleSessionTokenError` (HEAD): the time failures are handshake-class reasons — an expired
/// token's says why no refresh was possible —, a token of another class is a type mismatch, and
/// every other failure is signed-out with its own reason and Clerk's full message.
pub(crate) fn after_verification(input: &Input<'_>, err: TokenError, carrier: TokenCarrier) -> Decision {
    token_error(input, err, carrier)
}

fn token_error(input: &Input<'_>, err: TokenError, carrier: TokenCarrier) -> Decision {
    let err = err.with_carrier(carrier);
    let handshake_reason = match err.reason() {
        // Refreshing needs a GET; the refresh cookie is not read yet, so a GET has none.
        Reason::TokenExpired if input.method != Method::GET => Reason::SessionTokenExpiredNonGet,
        Reason::TokenExpired => Reason::SessionTokenExpiredNoRefreshCookie,
        Reason::TokenNotActiveYet => Reason::SessionTokenNbf,
        Reason::TokenIatInTheFuture => Reason::SessionTokenIatInTheFuture,
        Reason::TokenTypeMismatch => return signed_out(Reason::TokenTypeMismatch, ""),
        reason => {
            let infrastructure = err.is_infrastructure();
            return Decision::SignedOut(SignedOut { reason, message: err.full_message(), infrastructure });
        }
    };
    maybe_handshake(input, handshake_reason, err.full_message())
}

/// `handleMaybeHandshakeStatus`: a handshake for a request that can follow one, else signed out.
fn maybe_handshake(input: &Input<'_>, reason: Reason, message: String) -> Decision {
    let out = SignedOut { reason, message, infrastructure: false };
    if eligible_for_handshake(input) {
        Decision::Handshake(out)
    } else {
        Decision::SignedOut(out)
    }
}

/// `isRequestEligibleForHandshake` (HEAD): a GET whose `Sec-Fetch-Dest` is `document` or
/// `iframe`, or, without `Sec-Fetch-Dest`, whose `Accept` starts with `text/html`.
fn eligible_for_handshake(input: &Input<'_>) -> bool {
    if input.method != Method::GET {
        return false;
    }
    match input.headers.get(SEC_FETCH_DEST) {
        Some(dest) => matches!(dest.as_bytes(), b"document" | b"iframe"),
        None => input.headers.get(http::header::ACCEPT).is_some_and(|a| a.as_bytes().starts_with(b"text/html")),
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;

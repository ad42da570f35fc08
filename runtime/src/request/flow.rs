//! Clerk's `authenticateRequest` decisions (clerk-semantics §5.3 with the HEAD deltas of §5.4)
//! as pure functions of what a request says, the instance, and the time: no network, no cache,
//! no state. [`before_verification`] reads the method, URL, `Authorization` and cookies and ends
//! the request, or names the token to verify and where it came from; [`after_verification`]
//! turns a verification failure into Clerk's reason, or asks for a refresh first;
//! [`refresh_failed`] says what a failed refresh leads to.
//!
//! Where Clerk starts a handshake (a page load whose session needs refreshing), the decision is
//! [`Decision::Handshake`]; the caller builds the redirect (`request::handshake`). A handshake
//! payload the request brings back is found by `request::handshake::payload`, before this flow.

use http::{HeaderName, Method};
use std::borrow::Cow;

use crate::config::InstanceFacts;
use crate::error::{Reason, TokenCarrier, TokenError};
use crate::request::authorization::{header_token, HeaderToken};
use crate::request::cookies::{Cookies, DEV_BROWSER};
use crate::request::handshake::{has_query_param, MAX_REDIRECTS, REDIRECT_COUNT};
use crate::request::info::query_value;
use crate::request::suffix::{session_cookies, SessionCookies};
use crate::request::Input;
use crate::verify::token_type::{classify, Form, TokenType};

const REDIRECT_URL: &str = "__clerk_redirect_url";

const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");

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
    /// A handshake redirect, for this reason and message (an eligible request, below the
    /// redirect-loop limit).
    Handshake(SignedOut),
}

/// What a verification failure leads to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    Decided(Decision),
    /// An expired token with a refresh cookie on a GET: try Clerk's refresh first, then
    /// [`refresh_failed`] if it fails.
    Refresh(TokenError),
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
    /// Verify this machine token (from `Authorization`); a failure is signed out with its reason.
    VerifyMachine {
        token: &'r str,
        kind: TokenType,
        form: Form,
    },
}

fn signed_out(reason: Reason, message: impl Into<String>) -> Decision {
    Decision::SignedOut(SignedOut { reason, message: message.into(), infrastructure: false })
}

/// Every decision that comes before verifying a token, in Clerk's order.
pub(crate) fn before_verification<'r>(input: &Input<'r>, instance: &InstanceFacts) -> Step<'r> {
    match header_token(input.headers) {
        // Machine tokens come in the header only: without one, and without session tokens
        // accepted, there is nothing to verify (Clerk's reason, verbatim).
        HeaderToken::Absent if !input.accepts.accepts(TokenType::SessionToken) => {
            Step::Done(signed_out(Reason::NoTokenInHeader, ""))
        }
        HeaderToken::Absent => cookie_path(input, instance),
        HeaderToken::Unusable(why) => Step::Done(token_error(
            input,
            TokenError::new(Reason::TokenInvalid, why).with_carrier(TokenCarrier::Header),
            None,
        )),
        HeaderToken::Token(bytes) => match std::str::from_utf8(bytes) {
            Err(_) => {
                let err = TokenError::new(Reason::TokenInvalid, "The Authorization header is not valid UTF-8.");
                Step::Done(token_error(input, err.with_carrier(TokenCarrier::Header), None))
            }
            Ok(token) => header_step(input, token),
        },
    }
}

/// A token in `Authorization`: verified as the type it is, if that type is accepted, else
/// `token-type-mismatch` (§5.4). With only session tokens accepted (the default), an opaque
/// machine token is refused by its prefix and a JWT goes to the session verifier, which refuses
/// machine and template JWTs itself — no decoding here.
fn header_step<'r>(input: &Input<'r>, token: &'r str) -> Step<'r> {
    let mismatch = || Step::Done(signed_out(Reason::TokenTypeMismatch, ""));
    let opaque = ["ak_", "mt_", "oat_"].iter().any(|p| token.starts_with(p));
    if !input.accepts.any_machine() {
        return if opaque || !input.accepts.accepts(TokenType::SessionToken) {
            mismatch()
        } else {
            Step::Verify { token: Cow::Borrowed(token), carrier: TokenCarrier::Header }
        };
    }
    // A session token seen before is known by its cached claims; anything else is classified.
    let known_session = !opaque && (input.peek)(token).is_ok_and(|peek| !peek.not_a_session_token);
    let (kind, form) = if known_session { (TokenType::SessionToken, Form::Jwt) } else { classify(token) };
    match kind {
        _ if !input.accepts.accepts(kind) => mismatch(),
        TokenType::SessionToken => Step::Verify { token: Cow::Borrowed(token), carrier: TokenCarrier::Header },
        kind => Step::VerifyMachine { token, kind, form },
    }
}

fn cookie_path<'r>(input: &Input<'r>, instance: &InstanceFacts) -> Step<'r> {
    let cookies = Cookies::parse(input.headers);
    let SessionCookies { session, client_uat, dev_browser, peeked, .. } = if cookies.is_empty() {
        SessionCookies::default()
    } else {
        session_cookies(&cookies, instance, input.now_ms, input.peek)
    };
    let done = |reason| Step::Done(maybe_handshake(input, reason, String::new()));
    if instance.development {
        if query_value(input.uri, REDIRECT_URL).is_some_and(|url| !url.is_empty()) {
            // Clerk answers a satellite's sync by redirecting to `__clerk_redirect_url` with the
            // dev-browser token appended: any URL, so a link could send the token anywhere. We
            // run no satellite sync, so the request ends signed out with Clerk's reason.
            return Step::Done(signed_out(Reason::PrimaryRespondsToSyncing, ""));
        }
        if has_query_param(input.uri, DEV_BROWSER) {
            return done(Reason::DevBrowserSync);
        }
        if dev_browser.is_none() {
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
        Err(err) => return Step::Done(token_error(input, err.with_carrier(TokenCarrier::Cookie), None)),
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

/// `primary-domain-cross-origin-sync` (HEAD): a cookie session that verified, on a GET document
/// navigation whose `Referer` is another origin than the application's (`origin`, read only when
/// needed) and not this instance's Frontend API or Account Portal, goes through a handshake once
/// (no handshake yet in this burst), so that a session changed on another domain is picked up.
pub(crate) fn cross_origin_sync(
    input: &Input<'_>,
    instance: &InstanceFacts,
    origin: impl FnOnce() -> Option<url::Url>,
) -> Option<Decision> {
    let referrer = input.headers.get(http::header::REFERER)?;
    if input.method != Method::GET || input.headers.get(SEC_FETCH_DEST)?.as_bytes() != b"document" {
        return None;
    }
    let referrer = url::Url::parse(referrer.to_str().ok()?).ok()?;
    let origin = origin()?;
    if referrer.origin() == origin.origin() || is_known_clerk_referrer(&referrer, instance) {
        return None;
    }
    let count = Cookies::parse(input.headers).get(REDIRECT_COUNT);
    if count.is_some_and(|count| crate::request::handshake::redirect_count(&count) != 0) {
        return None;
    }
    let message = "Cross-origin request from satellite domain requires handshake".to_owned();
    Some(maybe_handshake(input, Reason::PrimaryDomainCrossOriginSync, message))
}

/// `isKnownClerkReferrer`: the Frontend API's host, a development Account Portal (not on a
/// production instance), or the Account Portal derived from the Frontend API.
fn is_known_clerk_referrer(referrer: &url::Url, instance: &InstanceFacts) -> bool {
    let host = referrer.host_str().unwrap_or_default();
    if instance.handshake_url.as_ref().and_then(url::Url::host_str) == Some(host) && !host.is_empty() {
        return true;
    }
    let legacy_dev = host.starts_with("accounts.")
        && [".lcl.dev", ".lclstage.dev", ".lclclerk.com"].iter().any(|s| host.ends_with(s));
    let current_dev = [".accounts.dev", ".accountsstage.dev", ".accounts.lclclerk.com"]
        .iter()
        .any(|s| host.ends_with(s) && !host.ends_with(&format!(".clerk{s}")));
    if !instance.production && (legacy_dev || current_dev) {
        return true;
    }
    instance.accounts_origin.as_deref() == Some(referrer.origin().ascii_serialization().as_str())
}

/// `handleSessionTokenError` (HEAD): an expired token with a refresh cookie on a GET is
/// refreshed first (`isRequestEligibleForRefresh`); otherwise see [`token_error`].
pub(crate) fn after_verification(
    input: &Input<'_>,
    err: TokenError,
    carrier: TokenCarrier,
    instance: &InstanceFacts,
) -> AfterFailure {
    let err = err.with_carrier(carrier);
    if err.reason() == Reason::TokenExpired && input.method == Method::GET && has_refresh_cookie(input, instance) {
        return AfterFailure::Refresh(err);
    }
    AfterFailure::Decided(token_error(input, err, None))
}

/// After a failed refresh of `err` (expired), for `reason`
/// (`session-token-expired-refresh-<why>`): a handshake if the request can follow one.
pub(crate) fn refresh_failed(input: &Input<'_>, err: TokenError, reason: Reason) -> Decision {
    token_error(input, err, Some(reason))
}

/// `__refresh_<suffix>` was sent, non-empty.
fn has_refresh_cookie(input: &Input<'_>, instance: &InstanceFacts) -> bool {
    instance
        .suffixed
        .as_ref()
        .is_some_and(|names| Cookies::parse(input.headers).get(&names.refresh).is_some_and(|value| !value.is_empty()))
}

/// The time failures are handshake-class reasons — an expired token's says why no refresh was
/// possible (`refreshed`: the failed refresh's reason) —, a token of another class is a type
/// mismatch, and every other failure is signed-out with its own reason and Clerk's full message.
fn token_error(input: &Input<'_>, err: TokenError, refreshed: Option<Reason>) -> Decision {
    let handshake_reason = match err.reason() {
        Reason::TokenExpired if input.method != Method::GET => Reason::SessionTokenExpiredNonGet,
        Reason::TokenExpired => refreshed.unwrap_or(Reason::SessionTokenExpiredNoRefreshCookie),
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

/// `handleMaybeHandshakeStatus`: a handshake for a request that can follow one, else signed out;
/// signed out too once [`MAX_REDIRECTS`] handshakes ran within two seconds (`__clerk_redirect_count`),
/// which stops a loop when the Frontend API cannot produce a session this app accepts.
fn maybe_handshake(input: &Input<'_>, reason: Reason, message: String) -> Decision {
    let out = SignedOut { reason, message, infrastructure: false };
    if !eligible_for_handshake(input) {
        return Decision::SignedOut(out);
    }
    let count = Cookies::parse(input.headers).get(REDIRECT_COUNT);
    if count.is_some_and(|count| crate::request::handshake::redirect_count(&count) >= MAX_REDIRECTS) {
        tracing::warn!(
            reason = reason.as_str(),
            "Clerk: Refreshing the session token resulted in an infinite redirect loop. This usually means that your \
             Clerk instance keys do not match - make sure to copy the correct publishable and secret keys from the \
             Clerk dashboard."
        );
        return Decision::SignedOut(out);
    }
    Decision::Handshake(out)
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

//! Authenticating a request: token source, the cookie-flow decisions (the cookie flavour is chosen
//! in `session_cookies`) and the mapping of errors to Clerk's reasons (clerk-semantics §5.2–§5.4,
//! HEAD). Where Clerk would start a handshake, the request ends signed-out with the same reason.

use http::header::Entry;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use std::borrow::Cow;

use crate::auth::{Auth, DataHandle};
use crate::clerk::Clerk;
use crate::context::RequestContext;
use crate::cookies::{header_token, text, until_space, HeaderToken};
use crate::error::{Reason, TokenCarrier, TokenError};
use crate::headers::RequestHeaders;
use crate::jwt;
use crate::publishable_key::InstanceType;
use crate::session_cookies::{SessionCookies, DEV_BROWSER};

/// `signed-in` or `signed-out` (Clerk's `AuthStatus`; `handshake` is not produced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStatus {
    /// A verified session token was presented.
    SignedIn,
    /// No token, or one that failed verification.
    SignedOut,
}

impl AuthStatus {
    /// `"signed-in"` or `"signed-out"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed-in",
            Self::SignedOut => "signed-out",
        }
    }
}

/// Header names of the signed-out debug headers (§5.8).
pub const AUTH_STATUS_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-status");
/// `x-clerk-auth-reason`
pub const AUTH_REASON_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-reason");
/// `x-clerk-auth-message`
pub const AUTH_MESSAGE_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-message");

/// The outcome of authenticating one request: Clerk's `RequestState`.
#[derive(Debug, Clone)]
pub struct RequestState {
    outcome: Outcome,
    auth: Auth,
}

/// Everything a [`RequestState`] says but its `Auth`.
#[derive(Debug, Clone)]
struct Outcome {
    status: AuthStatus,
    reason: Option<Reason>,
    message: String,
    infrastructure: bool,
}

/// A request state before it is tied to a request: the token's data, not yet an `Auth`, so that
/// the layer builds each request's `Auth` once, with its context, in one step (building it empty
/// and adding the context moved the ~300-byte block twice more per request).
pub(crate) struct Decided {
    outcome: Outcome,
    data: DataHandle,
}

impl Decided {
    fn signed_in(data: DataHandle) -> Self {
        let outcome =
            Outcome { status: AuthStatus::SignedIn, reason: None, message: String::new(), infrastructure: false };
        Self { outcome, data }
    }

    fn signed_out(reason: Reason, message: impl Into<String>) -> Self {
        let outcome = Outcome {
            status: AuthStatus::SignedOut,
            reason: Some(reason),
            message: message.into(),
            infrastructure: false,
        };
        Self { outcome, data: DataHandle::default() }
    }

    fn from_error(err: &TokenError, reason: Reason) -> Self {
        let mut decided = Self::signed_out(reason, err.full_message());
        decided.outcome.infrastructure = err.is_infrastructure();
        decided
    }

    /// Signed out only because no key could be had (see [`RequestState::is_infrastructure_failure`]).
    pub(crate) fn is_infrastructure_failure(&self) -> bool {
        self.outcome.infrastructure
    }

    /// The request state, its `Auth` carrying `ctx`.
    pub(crate) fn into_state(self, ctx: Option<RequestContext>) -> RequestState {
        RequestState { auth: Auth::new(self.data, ctx), outcome: self.outcome }
    }

    /// The `Auth`, carrying `ctx`, and the debug headers of a signed-out request: what the
    /// layer keeps of a request state.
    #[inline]
    pub(crate) fn into_auth(self, ctx: RequestContext) -> (Auth, Option<SignedOutHeaders>) {
        (Auth::new(self.data, Some(ctx)), self.outcome.into_signed_out_headers())
    }
}

impl RequestState {
    /// Signed in or out.
    #[must_use]
    pub fn status(&self) -> AuthStatus {
        self.outcome.status
    }

    /// Why the request is signed out (`None` when signed in).
    #[must_use]
    pub fn reason(&self) -> Option<Reason> {
        self.outcome.reason
    }

    /// Clerk's message for a signed-out request (`""` when there is none).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.outcome.message
    }

    /// The auth object (signed out unless the token verified and the session is active).
    #[must_use]
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Takes the auth object.
    #[must_use]
    pub fn into_auth(self) -> Auth {
        self.auth
    }

    /// True when the request is signed out only because no key could be had (JWKS endpoint down
    /// or unusable with nothing cached). Such a request must get a 503, not a sign-in redirect.
    #[must_use]
    pub fn is_infrastructure_failure(&self) -> bool {
        self.outcome.infrastructure
    }

    /// The `x-clerk-auth-status`, `-reason` and `-message` headers Clerk's middleware puts on
    /// signed-out responses; none when signed in. Values that cannot be header values are left out.
    #[must_use]
    pub fn debug_headers(&self) -> HeaderMap {
        self.outcome.debug_headers()
    }
}

impl Outcome {
    fn debug_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(signed_out) = self.clone().into_signed_out_headers() {
            signed_out.add_to(&mut headers);
        }
        headers
    }

    /// Clerk's debug headers, for a signed-out outcome only. The message moves into its header
    /// value (one that is not a valid header value is not sent).
    fn into_signed_out_headers(self) -> Option<SignedOutHeaders> {
        (self.status == AuthStatus::SignedOut).then(|| SignedOutHeaders {
            reason: self.reason,
            message: Some(self.message)
                .filter(|m| !m.is_empty())
                .and_then(|m| HeaderValue::try_from(m).ok())
                .map(Box::new),
        })
    }
}

/// The `x-clerk-auth-*` headers of a signed-out request (§5.8). The status and reason values are
/// made at compile time; only a message is made per request (and boxed, so that the response
/// future every request moves around stays small).
#[derive(Debug)]
pub(crate) struct SignedOutHeaders {
    reason: Option<Reason>,
    message: Option<Box<HeaderValue>>,
}

impl SignedOutHeaders {
    /// Adds the message, reason and status (in Clerk's order) to `headers`, each unless `headers`
    /// already has it (a handler's own value is kept).
    pub(crate) fn add_to(self, headers: &mut HeaderMap) {
        const SIGNED_OUT: HeaderValue = HeaderValue::from_static(AuthStatus::SignedOut.as_str());
        if let Some(message) = self.message {
            add_unless_present(headers, AUTH_MESSAGE_HEADER, *message);
        }
        if let Some(reason) = self.reason {
            add_unless_present(headers, AUTH_REASON_HEADER, reason.header_value());
        }
        add_unless_present(headers, AUTH_STATUS_HEADER, SIGNED_OUT);
    }
}

/// One lookup of `name`, and an insert if it is missing. A map at its size limit is left as it is.
fn add_unless_present(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    if let Ok(Entry::Vacant(slot)) = headers.try_entry(name) {
        let _ = slot.try_insert(value);
    }
}

/// A token the request's authentication still has to verify (see `Clerk::authenticate_now`).
#[derive(Debug)]
pub(crate) struct Pending {
    token: String,
    carrier: TokenCarrier,
    now_ms: i64,
}

/// The outcome of the decisions that need no key.
enum Next<'h> {
    /// The request state is known.
    Done(Decided),
    /// This token must be verified (it is not in the verified-token cache).
    Verify(Cow<'h, str>, TokenCarrier),
}

impl Clerk {
    /// Authenticates a request from its method, URI and headers (§5.3, HEAD, without handshake).
    pub(crate) async fn authenticate_parts(&self, _method: &Method, uri: &Uri, headers: &HeaderMap) -> RequestState {
        let decided = match self.authenticate_now(uri, &RequestHeaders::read(headers)) {
            Ok(decided) => decided,
            Err(pending) => self.finish(pending).await,
        };
        decided.into_state(None)
    }

    /// The request state when it is known without waiting: a token verified before (a
    /// verified-token cache hit) or a decision that needs no key. Otherwise the token that must
    /// be verified, which may wait for the JWKS: pass it to [`Self::finish`]. The clock is read
    /// once, here, for the whole request.
    pub(crate) fn authenticate_now(&self, uri: &Uri, headers: &RequestHeaders<'_>) -> Result<Decided, Pending> {
        let now_ms = self.config().clock.now_ms();
        match self.decide(uri, headers, now_ms) {
            Next::Done(state) => Ok(state),
            Next::Verify(token, carrier) => Err(Pending { token: token.into_owned(), carrier, now_ms }),
        }
    }

    /// Verifies the token [`Self::authenticate_now`] could not decide on.
    pub(crate) async fn finish(&self, pending: Pending) -> Decided {
        self.authenticate_token_at(&pending.token, pending.carrier, pending.now_ms).await
    }

    /// Every decision of §5.3 that needs no key, in Clerk's order.
    fn decide<'h>(&self, uri: &Uri, headers: &RequestHeaders<'h>, now_ms: i64) -> Next<'h> {
        match header_token(headers) {
            HeaderToken::Bearer(rest) => {
                // Most requests repeat a token verified before. A cached token has no space (see
                // `VerifiedCache::insert`), so a hit on the whole rest is exactly the token
                // `split(' ', 2)` gives; anything else is cut at its first space and decided as
                // any header token.
                if let Some(hit) = self.cached_auth_at(rest, now_ms) {
                    return Next::Done(Self::verified_state(Ok(hit), TokenCarrier::Header));
                }
                let token = until_space(rest);
                return if token.len() < rest.len() {
                    self.decide_header_token(token, now_ms)
                } else {
                    Self::decide_uncached_header_token(token)
                };
            }
            HeaderToken::Token(token) => return self.decide_header_token(token, now_ms),
            HeaderToken::Unusable(why) => {
                let err = TokenError::new(Reason::TokenInvalid, why).with_carrier(TokenCarrier::Header);
                return Next::Done(Decided::from_error(&err, Reason::TokenInvalid));
            }
            HeaderToken::Absent => {}
        }
        let development =
            self.config().publishable_key().map(|pk| pk.instance_type()) == Some(InstanceType::Development);
        let SessionCookies { session, client_uat, dev_browser, looked_up } =
            self.session_cookies(headers, development, now_ms);
        let query_has =
            |name: &str| uri.query().is_some_and(|q| q.split('&').any(|kv| kv.split('=').next() == Some(name)));
        let done = |reason| Next::Done(Decided::signed_out(reason, ""));
        if development {
            if query_has(DEV_BROWSER) {
                return done(Reason::DevBrowserSync);
            }
            if query_has("__clerk_redirect_url") {
                return done(Reason::PrimaryRespondsToSyncing);
            }
            if !dev_browser {
                return done(Reason::DevBrowserMissing);
            }
        }
        let session = match (client_uat, session) {
            (0, None) => return done(Reason::SessionTokenAndUatMissing),
            (0, Some(_)) => return done(Reason::SessionTokenButNoClientUat),
            (_, None) => return done(Reason::ClientUatButNoSessionToken),
            (_, Some(session)) => session,
        };
        // `iat` before `__client_uat` is decided before verification, as Clerk does; a token
        // verified before is not decoded again, nor read as text.
        let iat_before_uat = |iat: Option<f64>| iat.unwrap_or(0.0) < client_uat as f64;
        if let Some(hit) = looked_up.unwrap_or_else(|| self.cached_auth_at(&session, now_ms)) {
            if iat_before_uat(hit.0.routing().iat) {
                return done(Reason::SessionTokenIatBeforeClientUat);
            }
            return Next::Done(Self::verified_state(Ok(hit), TokenCarrier::Cookie));
        }
        let Some(session) = text(session) else {
            let err = TokenError::new(Reason::TokenInvalid, "The session cookie is not valid UTF-8.");
            return Next::Done(token_error_state(err.with_carrier(TokenCarrier::Cookie)));
        };
        let iat = match jwt::decode(&session) {
            Ok(decoded) => decoded.payload_number("iat"),
            Err(err) => return Next::Done(token_error_state(err.with_carrier(TokenCarrier::Cookie))),
        };
        if iat_before_uat(iat) {
            return done(Reason::SessionTokenIatBeforeClientUat);
        }
        Next::Verify(session, TokenCarrier::Cookie)
    }

    /// A token from `Authorization`: a token verified before is matched byte for byte (so it is
    /// UTF-8); any other must be UTF-8 before it is decoded.
    fn decide_header_token<'h>(&self, token: &'h [u8], now_ms: i64) -> Next<'h> {
        if let Some(hit) = self.cached_auth_at(token, now_ms) {
            return Next::Done(Self::verified_state(Ok(hit), TokenCarrier::Header));
        }
        Self::decide_uncached_header_token(token)
    }

    /// A header token that is not in the verified-token cache: a machine token, a token to
    /// verify, or not UTF-8.
    fn decide_uncached_header_token(token: &[u8]) -> Next<'_> {
        match std::str::from_utf8(token) {
            Ok(token) => match machine_token(token) {
                Some(state) => Next::Done(state),
                None => Next::Verify(Cow::Borrowed(token), TokenCarrier::Header),
            },
            Err(_) => {
                let err = TokenError::new(Reason::TokenInvalid, "The Authorization header is not valid UTF-8.")
                    .with_carrier(TokenCarrier::Header);
                Next::Done(Decided::from_error(&err, Reason::TokenInvalid))
            }
        }
    }

    async fn authenticate_token_at(&self, token: &str, carrier: TokenCarrier, now_ms: i64) -> Decided {
        if let Some(state) = machine_token(token) {
            return state;
        }
        Self::verified_state(self.verified_auth_at(token, now_ms).await, carrier)
    }

    /// The request state of a verification result.
    fn verified_state(result: Result<(DataHandle, bool), TokenError>, carrier: TokenCarrier) -> Decided {
        match result {
            Ok((_, false)) => Decided::signed_out(Reason::TokenTypeMismatch, ""),
            Ok((auth, true)) => {
                if carrier == TokenCarrier::Cookie && auth.lacks_azp() {
                    warn_cookie_token_without_azp();
                }
                Decided::signed_in(auth)
            }
            Err(err) => token_error_state(err.with_carrier(carrier)),
        }
    }
}

/// Clerk warns once when a cookie token has no `azp`: with no authorized parties configured, it
/// is accepted, but `azp` is the defence against tokens leaked from sibling subdomains.
fn warn_cookie_token_without_azp() {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    static WARNED: AtomicBool = AtomicBool::new(false);
    // Read before writing: a swap on every such request would move this line between the cores.
    if !WARNED.load(Relaxed) && !WARNED.swap(true, Relaxed) {
        tracing::warn!(
            "a session cookie token without `azp` was accepted; set CLERK_AUTHORIZED_PARTIES to refuse tokens \
             from other origins"
        );
    }
}

/// Opaque machine and API-key tokens are not session tokens (§5.4): signed out with
/// `token-type-mismatch`, without fetching keys. (M2M and JWT-template JWTs are recognised after
/// verification, so no token is decoded twice.)
fn machine_token(token: &str) -> Option<Decided> {
    ["ak_", "mt_", "oat_"]
        .iter()
        .any(|p| token.starts_with(p))
        .then(|| Decided::signed_out(Reason::TokenTypeMismatch, ""))
}

/// `handleSessionTokenError` (HEAD): time-related failures use the handshake-class reasons, every
/// other failure its own reason; the message is the error's full message.
fn token_error_state(err: TokenError) -> Decided {
    let reason = match err.reason() {
        Reason::TokenExpired => Reason::SessionTokenExpiredNoRefreshCookie,
        Reason::TokenNotActiveYet => Reason::SessionTokenNbf,
        Reason::TokenIatInTheFuture => Reason::SessionTokenIatInTheFuture,
        other => other,
    };
    Decided::from_error(&err, reason)
}

//! Authenticating a request: token source, the cookie-flow decisions and the mapping of errors to
//! Clerk's reasons (clerk-semantics §5.2–§5.4, HEAD). Where Clerk would start a handshake, the
//! request ends signed-out with the same reason.

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use std::borrow::Cow;
use std::cell::OnceCell;

use crate::auth::{Auth, DataHandle};
use crate::claims::RoutingClaims;
use crate::clerk::{Clerk, SuffixedCookieNames};
use crate::context::RequestContext;
use crate::cookies::{header_token, js_parse_int, text, until_space, Cookies, HeaderToken};
use crate::error::{Reason, TokenCarrier, TokenError};
use crate::headers::RequestHeaders;
use crate::jwt;
use crate::publishable_key::InstanceType;

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

    /// Clerk's debug headers, for a signed-out request only (see [`RequestState::debug_headers`]).
    pub(crate) fn signed_out_debug_headers(&self) -> Option<HeaderMap> {
        (self.outcome.status == AuthStatus::SignedOut).then(|| self.outcome.debug_headers())
    }

    /// The request state, its `Auth` carrying `ctx`.
    pub(crate) fn into_state(self, ctx: Option<RequestContext>) -> RequestState {
        RequestState { auth: Auth::new(self.data, ctx), outcome: self.outcome }
    }

    /// Only the `Auth`, carrying `ctx` (what the layer keeps of a request state).
    #[inline]
    pub(crate) fn into_auth(self, ctx: RequestContext) -> Auth {
        Auth::new(self.data, Some(ctx))
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
        if self.status == AuthStatus::SignedIn {
            return headers;
        }
        let mut set = |name: HeaderName, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        if !self.message.is_empty() {
            set(AUTH_MESSAGE_HEADER, &self.message);
        }
        if let Some(reason) = self.reason {
            set(AUTH_REASON_HEADER, reason.as_str());
        }
        set(AUTH_STATUS_HEADER, self.status.as_str());
        headers
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

const SESSION: &str = "__session";
const CLIENT_UAT: &str = "__client_uat";
const DEV_BROWSER: &str = "__clerk_db_jwt";

/// The cookies Clerk's rules read (§5.2), found in one walk over the `Cookie` header.
struct ClerkCookies<'h> {
    /// `[session, client_uat, dev_browser]`, unsuffixed (0) and suffixed (1; none without a
    /// publishable key), as bytes: a session token verified before is never read as text.
    flavours: [[Option<Cow<'h, [u8]>>; 3]; 2],
    /// The verified-token cache's answer for each flavour's session token, looked up at most
    /// once: the suffixed-cookie rules read their claims up to three times, and the decision
    /// reads the chosen one again.
    cached: [OnceCell<Option<(DataHandle, bool)>>; 2],
}

impl<'h> ClerkCookies<'h> {
    /// The dev-browser cookies are read only for a development instance, the one case the rules
    /// look at them; the walk stops once every cookie asked for has been seen.
    fn read(found: &RequestHeaders<'h>, suffixed: Option<&SuffixedCookieNames>, development: bool) -> Self {
        let cookies = Cookies::from_lines(found);
        let flavours = match (suffixed, development) {
            (Some(n), true) => {
                let [session, uat, dev, sfx_session, sfx_uat, sfx_dev] =
                    cookies.get_many([SESSION, CLIENT_UAT, DEV_BROWSER, &n.session, &n.client_uat, &n.dev_browser]);
                [[session, uat, dev], [sfx_session, sfx_uat, sfx_dev]]
            }
            (Some(n), false) => {
                let [session, uat, sfx_session, sfx_uat] =
                    cookies.get_many([SESSION, CLIENT_UAT, &n.session, &n.client_uat]);
                [[session, uat, None], [sfx_session, sfx_uat, None]]
            }
            (None, true) => [cookies.get_many([SESSION, CLIENT_UAT, DEV_BROWSER]), [None, None, None]],
            (None, false) => {
                let [session, uat] = cookies.get_many([SESSION, CLIENT_UAT]);
                [[session, uat, None], [None, None, None]]
            }
        };
        Self { flavours, cached: [OnceCell::new(), OnceCell::new()] }
    }

    /// One flavour's cookie (`0` session, `1` client UAT, `2` dev browser).
    fn cookie(&self, suffixed: bool, which: usize) -> Option<&[u8]> {
        self.flavours[usize::from(suffixed)][which].as_deref()
    }

    /// What the cache knows of one flavour's session token, looked up on first ask. Clerk's front
    /// end writes the same token to both flavours: the suffixed one then has the other's answer.
    fn cached(&self, clerk: &Clerk, suffixed: bool, now_ms: i64) -> Option<&(DataHandle, bool)> {
        let token = self.cookie(suffixed, 0).unwrap_or_default();
        self.cached[usize::from(suffixed)]
            .get_or_init(|| {
                if suffixed && self.cookie(false, 0) == Some(token) {
                    return self.cached(clerk, false, now_ms).cloned();
                }
                clerk.cached_auth_at(token, now_ms)
            })
            .as_ref()
    }

    /// What the rules read from one flavour's session token before verifying it: kept with a
    /// token verified before, else decoded (unverified: for routing only; nothing for a token
    /// that does not decode).
    fn routing_claims(&self, clerk: &Clerk, suffixed: bool, now_ms: i64) -> Cow<'_, RoutingClaims> {
        if let Some((data, _)) = self.cached(clerk, suffixed, now_ms) {
            return Cow::Borrowed(data.routing());
        }
        let token = std::str::from_utf8(self.cookie(suffixed, 0).unwrap_or_default());
        let decoded = token.ok().and_then(|token| jwt::decode(token).ok());
        Cow::Owned(decoded.map(|d| RoutingClaims::of(&d.payload)).unwrap_or_default())
    }
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
        let mut cookies = ClerkCookies::read(headers, self.suffixed_cookie_names(), development);
        let use_suffixed = self.suffixed_cookie_names().is_some() && self.uses_suffixed_cookies(&cookies, now_ms);
        let chosen = usize::from(use_suffixed);
        // The chosen token's cache answer, if the rules above already looked it up.
        let looked_up = cookies.cached[chosen].take();
        let [session, client_uat, dev_browser] = std::mem::take(&mut cookies.flavours[chosen]);
        let session = session.filter(|s| !s.is_empty());
        let client_uat = client_uat.and_then(text).map_or(0, |v| js_parse_int(&v));
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
            if dev_browser.is_none() {
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

    /// `usesSuffixedCookies` (§5.2, HEAD, rules in Clerk's order).
    fn uses_suffixed_cookies(&self, cookies: &ClerkCookies<'_>, now_ms: i64) -> bool {
        const ZERO: &[u8] = b"0";
        let (sfx_uat, uat) = (cookies.cookie(true, 1), cookies.cookie(false, 1));
        let sfx_session = cookies.cookie(true, 0).unwrap_or_default();
        let session = cookies.cookie(false, 0).unwrap_or_default();
        let claims = |suffixed: bool| cookies.routing_claims(self, suffixed, now_ms);
        if !session.is_empty() {
            let fapi = self.config().publishable_key().map(|pk| pk.frontend_api());
            // No `iss`: malformed, use the unsuffixed cookie; else is it another instance's?
            let other_instance = claims(false).iss.as_deref().map(|iss| {
                let host = iss.strip_prefix("https://").or_else(|| iss.strip_prefix("http://")).unwrap_or(iss);
                Some(host) != fapi
            });
            match other_instance {
                None => return false,
                Some(true) => return true,
                Some(false) => {}
            }
        }
        if sfx_uat.is_none() && sfx_session.is_empty() {
            return false;
        }
        if sfx_uat != Some(ZERO)
            && uat != Some(ZERO)
            && claims(false).iat.unwrap_or(0.0) > claims(true).iat.unwrap_or(0.0)
        {
            return false;
        }
        if sfx_uat == Some(ZERO) && uat != Some(ZERO) {
            return false;
        }
        let now_secs = (now_ms / 1000) as f64;
        if self.config().publishable_key().map(|pk| pk.instance_type()) != Some(InstanceType::Production)
            && sfx_uat != Some(ZERO)
            && uat == Some(ZERO)
            && claims(true).exp.unwrap_or(0.0) <= now_secs
        {
            return false;
        }
        if sfx_uat.is_none() && !sfx_session.is_empty() {
            return false;
        }
        true
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

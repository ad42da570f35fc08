//! The steps of Clerk's browser flow that reach beyond the request (`@clerk/backend`
//! `tokens/handshake.ts` and `tokens/request.ts`, HEAD): resolving a handshake payload the
//! browser brings back, refreshing an expired session with the refresh cookie, and starting a
//! handshake. Each returns a [`RequestState`] whose headers the layer sends.
//!
//! Only cookie directives from a payload whose signature verified, or that the Backend API gave
//! for a nonce or a refresh, are ever turned into `Set-Cookie` headers.

use http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use serde_json::{json, Map, Value};

use super::Clerk;
use crate::auth::state::RequestState;
use crate::auth::{AuthContext, AuthData};
use crate::backend::BackendError;
use crate::error::{Reason, TokenCarrier, TokenError};
use crate::request::flow::SignedOut;
use crate::request::handshake::{self, BrowserState, Directives, Payload};
use crate::request::info::{app_origin, current_url};
use crate::request::Input;
use crate::verify::jwt;

/// Clerk's development clock-skew retry allows a day.
const DEVELOPMENT_CLOCK_SKEW_MS: i64 = 86_400_000;

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

fn signed_out(reason: Reason, message: impl Into<String>) -> SignedOut {
    SignedOut { reason, message: message.into(), infrastructure: false }
}

impl Clerk {
    /// Clerk's `clerkUrl` for this request: `CLERK_APP_ORIGIN` or the forwarded headers, then
    /// the path and query. `None` when no origin can be had.
    fn clerk_url(&self, ctx: &AuthContext) -> Option<url::Url> {
        let info = ctx.request.as_ref()?;
        current_url(&app_origin(self.config(), Some(info))?, info)
    }

    /// `resolveHandshake`: the payload's cookies go on the response and its session token is
    /// verified. `None` when the payload cannot be used; the flow then goes on without it, as
    /// Clerk's does (on a production instance another app on the same site may have left its
    /// handshake cookie). On a development instance a handshake token that does not verify ends
    /// signed out with Clerk's message, where Clerk throws, so that no redirect loop starts.
    pub(super) async fn resolve_handshake(
        &self,
        input: &Input<'_>,
        payload: Payload,
        ctx: &AuthContext,
    ) -> Option<RequestState> {
        let development = self.config().instance.development;
        let directives = match payload {
            Payload::Nonce(nonce) => match self.0.backend.handshake_payload(&nonce).await {
                Ok(directives) => directives,
                Err(err) => {
                    tracing::error!(
                        "Clerk: HandshakeService: error getting handshake payload: {}",
                        backend_error(&err)
                    );
                    Vec::new()
                }
            },
            Payload::Token(token) => match self.0.verifier.verify_handshake(&token).await {
                Ok(directives) => directives,
                Err(err) if development => return Some(handshake_token_refused(err, ctx.clone())),
                Err(err) => {
                    tracing::error!("Clerk: unable to resolve handshake: {}", err.full_message());
                    return None;
                }
            },
        };
        let Directives { set_cookies, session_token } = handshake::directives(&directives).unwrap_or_else(|why| {
            tracing::error!("Clerk: a handshake payload was refused whole: {why}");
            Directives::default()
        });
        let mut headers = HeaderMap::new();
        for cookie in set_cookies {
            headers.append(SET_COOKIE, cookie);
        }
        if development {
            if let Some(url) = self.clerk_url(ctx) {
                let back = handshake::after_resolution_url(&url);
                if let Ok(location) = HeaderValue::try_from(back.as_str()) {
                    headers.insert(LOCATION, location);
                    headers.insert(CACHE_CONTROL, NO_STORE);
                }
            }
        }
        let Some(token) = session_token else {
            let state = RequestState::signed_out(signed_out(Reason::SessionTokenMissing, ""), ctx.clone());
            return Some(state.with_headers(headers));
        };
        let data = match self.session(&token, input.now_ms).await {
            Ok(data) => data,
            Err(err) if development && is_time_failure(&err) => {
                tracing::error!(
                    "Clerk: Clock skew detected. This usually means that your system clock is inaccurate. Clerk will \
                     attempt to account for the clock skew in development.\n\nTo resolve this issue, make sure your \
                     system's clock is set to the correct time (e.g. turn off and on automatic time \
                     synchronization).\n\n---\n\n{}",
                    err.with_carrier(TokenCarrier::Cookie).full_message()
                );
                // Not cached: it verified only with the day of skew.
                let verifier = &self.0.verifier;
                match verifier.verify_with_skew(&token, input.now_ms, DEVELOPMENT_CLOCK_SKEW_MS).await {
                    Ok(claims) => AuthData::from_verified_claims(claims, &token, self.config().pending_is_signed_in),
                    Err(err) => {
                        tracing::error!("Clerk: unable to resolve handshake: {}", err.message());
                        return None;
                    }
                }
            }
            Err(err) => {
                tracing::error!("Clerk: unable to resolve handshake: {}", err.message());
                return None;
            }
        };
        Some(RequestState::verified(data, ctx.clone()).with_headers(headers))
    }

    /// `attemptRefresh`: asks the Backend API for a new session with the refresh cookie and the
    /// expired token, verifies the new token, and signs the request in with the new cookies.
    /// Fails with Clerk's `session-token-expired-refresh-<why>` reason.
    pub(super) async fn refresh(&self, input: &Input<'_>, ctx: &AuthContext) -> Result<RequestState, Reason> {
        let config = self.config();
        if config.secret_key.is_none() {
            return Err(Reason::SessionTokenExpiredRefreshMissingApiClient);
        }
        let browser = BrowserState::read(input, &config.instance);
        let (Some(expired), Some(refresh_token)) = (&browser.session_token, &browser.refresh_token) else {
            return Err(Reason::SessionTokenExpiredRefreshUnexpectedSdkError);
        };
        let decoded = jwt::decode(expired).map_err(|_| Reason::SessionTokenExpiredRefreshDecodeFailed)?;
        let Some(sid) = decoded.payload.get("sid").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
            return Err(Reason::SessionTokenExpiredRefreshMissingSidClaim);
        };
        let origin = self.clerk_url(ctx).map(|url| url.origin().ascii_serialization()).unwrap_or_default();
        let body = json!({
            "format": "cookie",
            "expired_token": expired,
            "refresh_token": refresh_token,
            "request_origin": origin,
            "request_headers": request_headers(input),
        });
        let cookies = match self.0.backend.refresh_session(sid, browser.suffixed, &body).await {
            Ok(cookies) => cookies,
            Err(err) => {
                tracing::warn!("Clerk: the session refresh failed: {}", backend_error(&err));
                return Err(match err {
                    BackendError::Api { code, .. } if code == "unexpected_error" => {
                        Reason::SessionTokenExpiredRefreshFetchError
                    }
                    BackendError::Api { status: 200, .. } => Reason::SessionTokenExpiredRefreshUnexpectedSdkError,
                    BackendError::NoSecretKey => Reason::SessionTokenExpiredRefreshMissingApiClient,
                    BackendError::Api { .. } | BackendError::Unreachable(_) => {
                        Reason::SessionTokenExpiredRefreshUnexpectedBapiError
                    }
                });
            }
        };
        if cookies.is_empty() {
            return Err(Reason::SessionTokenExpiredRefreshUnexpectedSdkError);
        }
        let directives = handshake::directives(&cookies).map_err(|why| {
            tracing::warn!("Clerk: the refreshed cookies were refused: {why}");
            Reason::SessionTokenExpiredRefreshUnexpectedBapiError
        })?;
        let token = directives.session_token.ok_or(Reason::SessionTokenExpiredRefreshInvalidSessionToken)?;
        let data = self
            .session(&token, input.now_ms)
            .await
            .map_err(|_| Reason::SessionTokenExpiredRefreshInvalidSessionToken)?;
        let mut headers = HeaderMap::new();
        for cookie in directives.set_cookies {
            headers.append(SET_COOKIE, cookie);
        }
        Ok(RequestState::verified(data, ctx.clone()).with_headers(headers))
    }

    /// `handleMaybeHandshakeStatus` once the flow chose a handshake: the redirect to the Frontend
    /// API's handshake endpoint, `Cache-Control: no-store`, and the redirect counter. Without a
    /// publishable key (no Frontend API) or an origin to come back to, the request stays signed
    /// out with the same reason.
    pub(super) fn start_handshake(&self, input: &Input<'_>, out: SignedOut, ctx: AuthContext) -> RequestState {
        let instance = &self.config().instance;
        let (Some(endpoint), Some(clerk_url)) = (&instance.handshake_url, self.clerk_url(&ctx)) else {
            return RequestState::signed_out(out, ctx);
        };
        let browser = BrowserState::read(input, instance);
        let location =
            handshake::handshake_location(endpoint, &clerk_url, out.reason.as_str(), &browser, instance.development);
        let Ok(location) = HeaderValue::try_from(location.as_str()) else {
            return RequestState::signed_out(out, ctx);
        };
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, location);
        headers.insert(CACHE_CONTROL, NO_STORE);
        headers.append(SET_COOKIE, handshake::redirect_count_cookie(browser.redirect_count));
        RequestState::handshake(out, ctx, headers)
    }
}

/// A development instance's handshake token that does not verify: Clerk throws (an error page);
/// we end signed out with Clerk's message instead, and start no handshake.
fn handshake_token_refused(err: TokenError, ctx: AuthContext) -> RequestState {
    let message = if err.reason() == Reason::TokenInvalidSignature {
        "Clerk: Handshake token verification failed due to an invalid signature. If you have switched Clerk keys \
         locally, clear your cookies and try again."
            .to_owned()
    } else {
        format!("Clerk: Handshake token verification failed: {}.", err.full_message())
    };
    tracing::error!("{message}");
    let out = SignedOut { reason: err.reason(), message, infrastructure: err.is_infrastructure() };
    RequestState::signed_out(out, ctx)
}

/// `token-expired`, `token-not-active-yet`, `token-iat-in-the-future`.
fn is_time_failure(err: &TokenError) -> bool {
    matches!(err.reason(), Reason::TokenExpired | Reason::TokenNotActiveYet | Reason::TokenIatInTheFuture)
}

/// The request's headers as the refresh endpoint takes them: each name with its values (a
/// repeated header joined with `, `, as `Headers.entries()` gives it), values that are not
/// text left out.
fn request_headers(input: &Input<'_>) -> Value {
    let mut out = Map::new();
    for name in input.headers.keys() {
        let values: Vec<&str> = input.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        if !values.is_empty() {
            out.insert(name.as_str().to_owned(), json!([values.join(", ")]));
        }
    }
    Value::Object(out)
}

fn backend_error(err: &BackendError) -> String {
    match err {
        BackendError::Unreachable(why) => format!("unreachable: {why}"),
        BackendError::Api { status, code, message } => format!("{status} {code}: {message}"),
        BackendError::NoSecretKey => "no secret key is configured".to_owned(),
    }
}

//! `Clerk`: one configured instance — its configuration and HTTP client, its verifier and its
//! verified-token cache — and the authentication of a request, top to bottom. The steps that
//! talk to the browser's session at Clerk (resolving a handshake, refreshing, starting a
//! handshake) are in [`browser`].

mod browser;
mod machine;

use http::{HeaderMap, Method, Request, Uri};
use std::fmt;
use std::sync::Arc;

use crate::auth::state::RequestState;
use crate::auth::{Auth, AuthContext, AuthData};
use crate::backend::Backend;
use crate::config::{ClerkConfig, ConfigError};
use crate::error::{TokenCarrier, TokenError};
use crate::request::flow::{self, AfterFailure, Decision, Step};
use crate::request::handshake;
use crate::request::info::{app_origin, RequestInfo};
use crate::request::Input;
use crate::verify::cache::{Lifetime, VerifiedCache};
use crate::verify::jwks::{JwksCache, JwksEndpoint};
use crate::verify::jwt;
use crate::verify::token_type::AcceptsToken;
use crate::verify::verifier::{KeySource, Verifier};

/// A configured Clerk instance. Cheap to clone; clones share the JWKS and verified-token caches,
/// and the last one dropped frees them.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use axum_clerk::{Clerk, ClerkConfig};
/// let clerk = Clerk::new(ClerkConfig::from_env()?)?;
/// let request = http::Request::get("/").header("authorization", "Bearer eyJ…").body(())?;
/// let state = clerk.authenticate(&request).await;
/// println!("{:?} {:?}", state.status(), state.auth().user_id());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Clerk(Arc<Inner>);

struct Inner {
    backend: Arc<Backend>,
    verifier: Verifier,
    cache: VerifiedCache<Arc<AuthData>>,
    /// Opaque machine tokens the Backend API verified, for a short time.
    machine_cache: VerifiedCache<Arc<AuthData>>,
}

impl Clerk {
    /// Builds the instance: picks the key source (`CLERK_JWT_KEY` PEM, else `CLERK_JWKS_URL`,
    /// else the Backend API JWKS with the secret key) and the HTTP client for it.
    ///
    /// # Errors
    /// A [`ConfigError`] when the HTTP client cannot be built.
    pub fn new(config: ClerkConfig) -> Result<Self, ConfigError> {
        let backend = Arc::new(Backend::new(config)?);
        let config = &backend.config;
        let keys = if let Some(key) = &config.jwt_key {
            KeySource::Pem(Arc::clone(key))
        } else {
            let endpoint = match (&config.jwks_url, &config.secret_key) {
                (Some(url), _) => JwksEndpoint { url: url.clone(), bearer: None },
                (None, Some(secret)) => {
                    let url = backend
                        .api_url(["jwks"])
                        .ok_or_else(|| ConfigError::new("CLERK_API_URL", "cannot hold a path"))?;
                    JwksEndpoint { url, bearer: Some(secret.clone()) }
                }
                (None, None) => return Err(ConfigError::new("CLERK_SECRET_KEY", "no key source is configured")),
            };
            KeySource::Jwks(JwksCache::new(endpoint, config.jwks.clone(), backend.http.clone()))
        };
        let verifier = Verifier {
            keys,
            authorized_parties: config.authorized_parties.clone(),
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            clock_skew_ms: i64::try_from(config.clock_skew.as_millis()).unwrap_or(i64::MAX),
            provider: crate::crypto_provider(),
        };
        let cache = VerifiedCache::new(config.verified_token_cache);
        let machine_cache = VerifiedCache::new(config.verified_token_cache);
        Ok(Self(Arc::new(Inner { backend, verifier, cache, machine_cache })))
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ClerkConfig {
        &self.0.backend.config
    }

    /// Authenticates a request: reads the token from `Authorization` (wins) or the session cookie,
    /// verifies it, and returns Clerk's request state. Never fails and never panics: any doubt
    /// is signed-out with a reason.
    pub async fn authenticate<B>(&self, request: &Request<B>) -> RequestState {
        self.authenticate_parts(request.method(), request.uri(), request.headers(), AcceptsToken::default()).await
    }

    /// [`Self::authenticate`] accepting the token types `accepts` (Clerk's `acceptsToken`):
    /// machine tokens are read from `Authorization` only, and a token of a type not accepted is
    /// signed out with `token-type-mismatch`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum_clerk::{AcceptsToken, Clerk, ClerkConfig, TokenType};
    /// let clerk = Clerk::new(ClerkConfig::from_env()?)?;
    /// let request = http::Request::get("/").header("authorization", "Bearer ak_…").body(())?;
    /// let state = clerk.authenticate_accepting(&request, AcceptsToken::only(TokenType::ApiKey)).await;
    /// println!("{:?}", state.auth().machine().map(|m| m.subject().to_owned()));
    /// # Ok(()) }
    /// ```
    pub async fn authenticate_accepting<B>(&self, request: &Request<B>, accepts: AcceptsToken) -> RequestState {
        self.authenticate_parts(request.method(), request.uri(), request.headers(), accepts).await
    }

    /// [`Self::authenticate`] from a request's parts: Clerk's decisions (`request::flow`), the
    /// session token's verification, and the state with its `Auth`. The clock is read once.
    pub(crate) async fn authenticate_parts(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        accepts: AcceptsToken,
    ) -> RequestState {
        let state = self.decide(method, uri, headers, accepts).await;
        // The outcome on the caller's span (`ClerkLayer`'s `clerk` span declares these fields),
        // and a debug event for every request that is not signed in.
        let span = tracing::Span::current();
        span.record("clerk.status", state.status().as_str());
        if let Some(reason) = state.reason() {
            span.record("clerk.reason", reason.as_str());
            tracing::debug!(
                status = state.status().as_str(),
                reason = reason.as_str(),
                detail = state.message(),
                "clerk: not signed in"
            );
        }
        if let Some(user) = state.auth().user_id() {
            span.record("enduser.id", user);
        }
        if let Some(org) = state.auth().org_id() {
            span.record("clerk.org_id", org);
        }
        state
    }

    async fn decide(&self, method: &Method, uri: &Uri, headers: &HeaderMap, accepts: AcceptsToken) -> RequestState {
        let config = self.config();
        let now_ms = config.clock.now_ms();
        let peek =
            |token: &str| self.cached(token, now_ms).map_or_else(|| jwt::peek(token), |data| Ok(data.routing.clone()));
        let input = Input { method, uri, headers, now_ms, peek: &peek, accepts };
        let request = RequestInfo::read(uri, headers, config.instance.development);
        let ctx = AuthContext {
            backend: Arc::clone(&self.0.backend),
            request: Some(request),
            infrastructure: false,
            failed_machine: None,
        };
        if let Some(payload) = handshake::payload(&input) {
            // A payload that cannot be used is logged and the flow goes on, as in Clerk.
            if let Some(state) = self.resolve_handshake(&input, payload, &ctx).await {
                return state;
            }
        }
        let step = flow::before_verification(&input, &config.instance);
        let span = tracing::Span::current();
        match &step {
            Step::Verify { carrier, .. } => {
                span.record("clerk.token_carrier", carrier.as_str());
            }
            Step::VerifyMachine { kind, .. } => {
                span.record("clerk.token_carrier", TokenCarrier::Header.as_str());
                span.record("clerk.token_type", kind.as_str());
            }
            Step::Done(_) => {}
        }
        let decision = match step {
            Step::Done(decision) => decision,
            Step::VerifyMachine { token, kind, form } => match self.machine(token, kind, form, now_ms).await {
                Ok(data) => return RequestState::verified(data, ctx),
                Err(out) => return RequestState::signed_out(out, AuthContext { failed_machine: Some(kind), ..ctx }),
            },
            Step::Verify { token, carrier } => match self.session(&token, input.now_ms).await {
                Ok(data) if carrier == TokenCarrier::Header => return RequestState::verified(data, ctx),
                Ok(data) => {
                    if data.lacks_azp() {
                        warn_cookie_token_without_azp();
                    }
                    let origin = || app_origin(config, ctx.request.as_ref());
                    match flow::cross_origin_sync(&input, &config.instance, origin) {
                        Some(decision) => decision,
                        None => return RequestState::verified(data, ctx),
                    }
                }
                Err(err) => match flow::after_verification(&input, err, carrier, &config.instance) {
                    AfterFailure::Decided(decision) => decision,
                    AfterFailure::Refresh(err) => match self.refresh(&input, &ctx).await {
                        Ok(state) => return state,
                        Err(reason) => flow::refresh_failed(&input, err, reason),
                    },
                },
            },
        };
        match decision {
            Decision::SignedOut(out) => RequestState::signed_out(out, ctx),
            Decision::Handshake(out) => self.start_handshake(&input, out, ctx),
        }
    }

    /// Verifies one session token (no cookie-flow rules) and builds its [`Auth`]. A token of
    /// another class — JWT template, M2M, OAuth — is refused with `token-type-mismatch`.
    ///
    /// # Errors
    /// A [`TokenError`] with Clerk's reason when any check fails.
    pub async fn verify_token(&self, token: &str) -> Result<Auth, TokenError> {
        let data = self.session(token, self.config().clock.now_ms()).await?;
        let ctx = AuthContext {
            backend: Arc::clone(&self.0.backend),
            request: None,
            infrastructure: false,
            failed_machine: None,
        };
        Ok(Auth::new(data, Some(ctx)))
    }

    /// What a session token says: from the verified-token cache when this exact token passed
    /// before (still within its lifetime, under the current key set), else verified in full and
    /// cached.
    async fn session(&self, token: &str, now_ms: i64) -> Result<Arc<AuthData>, TokenError> {
        let Inner { backend, verifier, cache, .. } = &*self.0;
        let generation = verifier.keys.generation();
        if let Some(hit) = self.cached(token, now_ms) {
            // A hit vouches for the token only under the current key set: keys past their TTL
            // are refreshed first, and a key gone from the JWKS sends the token to verification.
            if verifier.keys.current_generation().await == generation {
                return Ok(hit);
            }
        }
        let generation = verifier.keys.generation();
        let claims = verifier.verify(token, now_ms).await?;
        let time = |name: &str, default: f64| {
            claims.get(name).and_then(serde_json::Value::as_f64).map_or(default, |v| v * 1000.0)
        };
        let lifetime =
            Lifetime { exp_ms: time("exp", 0.0), nbf_ms: time("nbf", f64::MIN), iat_ms: time("iat", f64::MIN) };
        let data = AuthData::from_verified_claims(claims, token, backend.config.pending_is_signed_in);
        // Cached only if the key set did not change while verifying: a key revoked meanwhile
        // must not keep this token alive.
        if verifier.keys.generation() == generation {
            cache.insert(token, Arc::clone(&data), lifetime, generation, now_ms as f64);
        }
        Ok(data)
    }

    /// What the verified-token cache holds for `token` under the current key set, without
    /// refreshing keys (see [`Self::session`]).
    fn cached(&self, token: &str, now_ms: i64) -> Option<Arc<AuthData>> {
        let Inner { verifier, cache, .. } = &*self.0;
        cache.get(token.as_bytes(), now_ms as f64, verifier.clock_skew_ms as f64, verifier.keys.generation())
    }

    /// The JWS layer of verification alone (see [`crate::testing::verify_jws_signature`]).
    #[cfg(feature = "testing")]
    pub(crate) async fn verify_jws(&self, token: &str) -> Result<Vec<u8>, TokenError> {
        self.0.verifier.verify_jws(token).await
    }

    /// How many verified tokens are cached (`testing::cached_tokens`).
    #[cfg(feature = "testing")]
    pub(crate) fn cached_tokens(&self) -> usize {
        self.0.cache.len()
    }

    /// Fetches the JWKS now (for start-up warming); a no-op with a PEM key.
    ///
    /// # Errors
    /// The fetch error, e.g. `jwk-remote-failed-to-load`. Verification still works later, once
    /// the endpoint answers.
    pub async fn prefetch_keys(&self) -> Result<(), TokenError> {
        match &self.0.verifier.keys {
            KeySource::Pem(_) => Ok(()),
            KeySource::Jwks(cache) => cache.prefetch().await,
        }
    }
}

impl fmt::Debug for Clerk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clerk").field("config", self.config()).finish_non_exhaustive()
    }
}

/// Clerk warns once per process when a cookie token has no `azp`: with no authorized parties
/// configured it is accepted, but `azp` is the defence against tokens leaked from sibling
/// subdomains.
fn warn_cookie_token_without_azp() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            "a session cookie token without `azp` was accepted; set CLERK_AUTHORIZED_PARTIES to refuse tokens \
             from other origins"
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_every_handle_frees_the_instance() {
        use tower_layer::Layer as _;
        use tower_service::Service as _;
        let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_local").build().unwrap()).unwrap();
        let weak = Arc::downgrade(&clerk.0);
        // A request served through the layer, as axum serves it, then every handle dropped.
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let mut service = crate::ClerkLayer::new(clerk).layer(router);
        std::future::poll_fn(|cx| tower_service::Service::<Request<axum::body::Body>>::poll_ready(&mut service, cx))
            .await
            .unwrap();
        let request = Request::get("/").body(axum::body::Body::empty()).unwrap();
        let response = service.call(request).await.unwrap();
        assert_eq!(response.headers()["x-clerk-auth-status"], "signed-out");
        drop(service);
        assert!(weak.upgrade().is_none(), "no thread or table outlives the application's handles");
    }
}

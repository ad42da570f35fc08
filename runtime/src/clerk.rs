//! `Clerk`: one configured instance — its key store, verifier and request authentication.

use http::Request;
use std::fmt;
use std::sync::Arc;

use crate::auth::{Auth, AuthData, DataHandle};
use crate::cache::{Lifetime, VerifiedCache};
use crate::config::{ClerkConfig, ConfigError};
use crate::context::RequestContext;
use crate::error::TokenError;
use crate::jwks::{JwksCache, JwksEndpoint};
use crate::request::RequestState;
use crate::verify::{KeySource, Verifier};

/// The suffixed cookie names of an instance (§5.2), computed once.
#[derive(Debug)]
pub(crate) struct SuffixedCookieNames {
    pub(crate) session: String,
    pub(crate) client_uat: String,
    pub(crate) dev_browser: String,
}

/// A configured Clerk instance. Cheap to clone; clones share the JWKS cache.
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

/// Aligned to 128 bytes so that the `Arc`'s reference counts — written on every request by the
/// service clones axum makes and by each request's context — do not share a cache line (or an
/// adjacent-line prefetch pair) with the configuration every request reads: with two worker
/// threads, that line travelled between the cores several times per request.
#[repr(align(128))]
struct Inner {
    suffixed_cookies: Option<SuffixedCookieNames>,
    config: ClerkConfig,
    verifier: Verifier,
    cache: VerifiedCache,
    http: reqwest::Client,
}

impl Clerk {
    /// Builds the instance: picks the key source (`CLERK_JWT_KEY` PEM, else `CLERK_JWKS_URL`,
    /// else the Backend API JWKS with the secret key) and the HTTP client for it.
    ///
    /// # Errors
    /// A [`ConfigError`] when the HTTP client cannot be built.
    pub fn new(config: ClerkConfig) -> Result<Self, ConfigError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.jwks.timeout.min(std::time::Duration::from_secs(2)))
            .user_agent(concat!("axum-clerk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::new("CLERK_API_URL", format!("cannot build the HTTP client: {e}")))?;
        let keys = if let Some(key) = &config.jwt_key {
            KeySource::Pem(Arc::clone(key))
        } else {
            let endpoint = match (&config.jwks_url, &config.secret_key) {
                (Some(url), _) => JwksEndpoint { url: url.clone(), bearer: None },
                (None, Some(secret)) => {
                    let base = config.api_url.as_str().trim_end_matches('/');
                    let url = url::Url::parse(&format!("{base}/{}/jwks", config.api_version))
                        .map_err(|e| ConfigError::new("CLERK_API_URL", e.to_string()))?;
                    JwksEndpoint { url, bearer: Some(secret.clone()) }
                }
                (None, None) => return Err(ConfigError::new("CLERK_SECRET_KEY", "no key source is configured")),
            };
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.jwks.timeout.min(std::time::Duration::from_secs(2)))
                .user_agent(concat!("axum-clerk/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| ConfigError::new("CLERK_API_URL", format!("cannot build the HTTP client: {e}")))?;
            KeySource::Jwks(JwksCache::new(endpoint, config.jwks.clone(), client))
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
        let suffixed_cookies = config.publishable_key.as_ref().map(|pk| {
            let suffix = pk.cookie_suffix();
            SuffixedCookieNames {
                session: format!("__session_{suffix}"),
                client_uat: format!("__client_uat_{suffix}"),
                dev_browser: format!("__clerk_db_jwt_{suffix}"),
            }
        });
        Ok(Self(Arc::new(Inner { suffixed_cookies, config, verifier, cache, http })))
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ClerkConfig {
        &self.0.config
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// Authenticates a request: reads the token from `Authorization` (wins) or the session cookie,
    /// verifies it, and returns Clerk's request state. Never fails and never panics: any doubt
    /// is signed-out with a reason.
    pub async fn authenticate<B>(&self, request: &Request<B>) -> RequestState {
        self.authenticate_parts(request.method(), request.uri(), request.headers()).await
    }

    /// Verifies one session token (no cookie-flow rules) and builds its [`Auth`].
    ///
    /// # Errors
    /// A [`TokenError`] with Clerk's reason when any check fails.
    pub async fn verify_token(&self, token: &str) -> Result<Auth, TokenError> {
        let (data, _) = self.verified_auth(token).await?;
        let ctx = RequestContext { clerk: self.clone(), request: None, infrastructure: false };
        Ok(Auth::from_data(data).with_context(ctx))
    }

    /// What a verified token says: from the verified-token cache when this exact token passed
    /// before (and is still within its lifetime and key set), else verified in full and cached.
    pub(crate) async fn verified_auth(&self, token: &str) -> Result<(DataHandle, bool), TokenError> {
        self.verified_auth_at(token, self.0.config.clock.now_ms()).await
    }

    /// [`Self::verified_auth`] at a time the caller read.
    pub(crate) async fn verified_auth_at(&self, token: &str, now_ms: i64) -> Result<(DataHandle, bool), TokenError> {
        let inner = &self.0;
        let skew_ms = inner.verifier.clock_skew_ms as f64;
        let generation = inner.verifier.keys.generation();
        if let Some(hit) = inner.cache.get(token.as_bytes(), now_ms as f64, skew_ms, generation) {
            return Ok(hit);
        }
        let verified = inner.verifier.verify(token, now_ms).await?;
        let time = |name: &str, default: f64| {
            verified.claims.get(name).and_then(serde_json::Value::as_f64).map_or(default, |v| v * 1000.0)
        };
        let lifetime =
            Lifetime { exp_ms: time("exp", 0.0), nbf_ms: time("nbf", f64::MIN), iat_ms: time("iat", f64::MIN) };
        let session_token = verified.session_token;
        let auth =
            DataHandle::new(AuthData::from_verified_claims(verified.claims, token, inner.config.pending_is_signed_in));
        // Cached only if the key set did not change while verifying: a key revoked meanwhile
        // must not keep this token alive.
        if inner.verifier.keys.generation() == generation {
            inner.cache.insert(token, &auth, session_token, lifetime, generation, now_ms as f64);
        }
        Ok((auth, session_token))
    }

    /// The JWS layer of verification alone (see [`crate::testing::verify_jws_signature`]).
    #[cfg(feature = "testing")]
    pub(crate) async fn verify_jws(&self, token: &str) -> Result<Vec<u8>, TokenError> {
        self.0.verifier.verify_jws(token).await
    }

    /// What the cached `token` says at `now_ms`, if it passed before and is still within its
    /// lifetime.
    pub(crate) fn cached_auth_at(&self, token: &[u8], now_ms: i64) -> Option<(DataHandle, bool)> {
        let inner = &self.0;
        inner.cache.get(token, now_ms as f64, inner.verifier.clock_skew_ms as f64, inner.verifier.keys.generation())
    }

    /// `__session_<suffix>` and friends, computed once from the publishable key.
    pub(crate) fn suffixed_cookie_names(&self) -> Option<&SuffixedCookieNames> {
        self.0.suffixed_cookies.as_ref()
    }

    /// How many verified tokens are cached (for metrics).
    #[must_use]
    pub fn cached_tokens(&self) -> usize {
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
        f.debug_struct("Clerk").field("config", &self.0.config).finish_non_exhaustive()
    }
}

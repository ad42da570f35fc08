//! `Clerk`: one configured instance — its key store, verifier and request authentication.

use http::Request;
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::auth::{Auth, AuthData, DataHandle};
use crate::cache::{Lifetime, VerifiedCache};
use crate::config::{ClerkConfig, ConfigError};
use crate::context::RequestContext;
use crate::error::TokenError;
use crate::jwks::{JwksCache, JwksEndpoint};
use crate::publishable_key::InstanceType;
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
/// Each thread that serves requests through [`ClerkLayer`](crate::ClerkLayer) keeps a handle on
/// the instance (so that requests do not all count references on one cache line): an instance
/// dropped by the application stays alive until those threads end or use four other instances.
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

/// Aligned to 128 bytes so that the `Arc`'s reference counts do not share a cache line (or an
/// adjacent-line prefetch pair) with the configuration every request reads. (Requests do not
/// write these counts: see [`LocalClerk`].)
#[repr(align(128))]
struct Inner {
    suffixed_cookies: Option<SuffixedCookieNames>,
    /// A development instance (its redirects carry the dev-browser token), known once.
    development: bool,
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
        let development = config.instance_type() == Some(InstanceType::Development);
        Ok(Self(Arc::new(Inner { suffixed_cookies, development, config, verifier, cache, http })))
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
        let ctx = RequestContext { clerk: LocalClerk::of(self), request: None, infrastructure: false };
        Ok(Auth::new(data, Some(ctx)))
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

    /// Names this instance in per-thread tables (never reused, unlike an address).
    pub(crate) fn instance_id(&self) -> u64 {
        self.0.cache.id()
    }

    /// `__session_<suffix>` and friends, computed once from the publishable key.
    pub(crate) fn suffixed_cookie_names(&self) -> Option<&SuffixedCookieNames> {
        self.0.suffixed_cookies.as_ref()
    }

    /// A development instance (`pk_test_`, or a test secret key without a publishable key).
    pub(crate) fn is_development(&self) -> bool {
        self.0.development
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

/// A handle on a [`Clerk`] counted by one thread. Every request clones the instance twice — axum
/// clones the layered service, and the request's context keeps one — and with the one shared
/// count of `Clerk` every request on every core wrote the same cache line (on two cores it moved
/// between them several times per request). Each thread instead keeps a handle of its own in a
/// small table, and clones made on that thread count there.
///
/// The table keeps each instance a thread used alive until another instance takes its slot
/// ([`LOCAL_SLOTS`], chosen by address) or the thread ends — a bounded retention, for processes
/// that drop and rebuild their `Clerk`.
pub(crate) struct LocalClerk(Arc<Clerk>);

/// Instances each thread keeps a handle on.
const LOCAL_SLOTS: usize = 4;

thread_local! {
    static LOCAL_CLERKS: RefCell<[Option<LocalClerk>; LOCAL_SLOTS]> = const { RefCell::new([const { None }; LOCAL_SLOTS]) };
}

impl LocalClerk {
    /// This thread's handle on `clerk`.
    pub(crate) fn of(clerk: &Clerk) -> Self {
        let address = Arc::as_ptr(&clerk.0) as usize;
        // `Inner` is 128-byte aligned: the bits above the alignment pick the slot.
        let slot = (address >> 7) % LOCAL_SLOTS;
        // `try_with`: during thread teardown the table is gone and the handle is a fresh one.
        let released = LOCAL_CLERKS.try_with(|table| {
            let mut table = table.borrow_mut();
            // The table holds the instance, so its address cannot belong to another meanwhile.
            if let Some(local) = table[slot].as_ref().filter(|local| Arc::ptr_eq(&local.0 .0, &clerk.0)) {
                return Ok(Self(Arc::clone(&local.0)));
            }
            let local = Arc::new(clerk.clone());
            // The instance it replaces is dropped after the table is released.
            Err((Self(Arc::clone(&local)), table[slot].replace(Self(local))))
        });
        match released {
            Ok(Ok(local)) => local,
            Ok(Err((local, replaced))) => {
                drop(replaced);
                local
            }
            Err(_) => Self(Arc::new(clerk.clone())),
        }
    }
}

impl LocalClerk {
    /// Another handle counted where `self` is counted (no table lookup): for a handle this thread
    /// has just made, such as the one in the service axum cloned for the request being served.
    pub(crate) fn share(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl Clone for LocalClerk {
    /// A handle counted by the thread that clones (which may not be the one that made `self`).
    fn clone(&self) -> Self {
        Self::of(&self.0)
    }
}

impl Deref for LocalClerk {
    type Target = Clerk;

    fn deref(&self) -> &Clerk {
        &self.0
    }
}

impl fmt::Debug for LocalClerk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Weak;

    fn clerk() -> Clerk {
        Clerk::new(ClerkConfig::builder().secret_key("sk_test_local").build().unwrap()).unwrap()
    }

    fn shared_count(clerk: &Clerk) -> usize {
        Arc::strong_count(&clerk.0)
    }

    #[test]
    fn handles_made_on_one_thread_count_in_that_threads_handle_not_the_shared_count() {
        let clerk = clerk();
        let first = LocalClerk::of(&clerk);
        let before = shared_count(&clerk);
        let handles: Vec<LocalClerk> =
            (0..100).map(|_| first.clone()).chain((0..100).map(|_| LocalClerk::of(&clerk))).collect();
        assert_eq!(shared_count(&clerk), before, "no handle of this thread wrote the shared count");
        assert!(handles.iter().all(|h| Arc::ptr_eq(&h.0, &first.0)));
        let shared = first.share();
        assert!(Arc::ptr_eq(&shared.0, &first.0), "share counts where the handle it shares is counted");
        assert_eq!(shared_count(&clerk), before);
        assert_eq!(handles[0].config().secret_key.as_deref(), Some("sk_test_local"));
    }

    #[test]
    fn a_clone_made_on_another_thread_is_counted_by_that_thread() {
        let clerk = clerk();
        let mine = LocalClerk::of(&clerk);
        let mine_before = Arc::strong_count(&mine.0);
        let (theirs_is_mine, mine_count_seen) = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let theirs = mine.clone();
                    (Arc::ptr_eq(&theirs.0, &mine.0), Arc::strong_count(&mine.0))
                })
                .join()
                .unwrap()
        });
        assert!(!theirs_is_mine);
        assert_eq!(mine_count_seen, mine_before, "the other thread did not write this thread's count");
        assert!(Arc::ptr_eq(&(*mine).0, &clerk.0), "both are handles on the same instance");
    }

    #[test]
    fn a_thread_keeps_at_most_local_slots_dropped_instances_alive_and_none_after_it_ends() {
        std::thread::spawn(|| {
            let dropped: Vec<Weak<Inner>> = (0..4 * LOCAL_SLOTS)
                .map(|_| {
                    let clerk = clerk();
                    drop(LocalClerk::of(&clerk));
                    Arc::downgrade(&clerk.0)
                })
                .collect();
            let alive = dropped.iter().filter(|w| w.upgrade().is_some()).count();
            assert!((1..=LOCAL_SLOTS).contains(&alive), "{alive} instances kept alive");
            dropped
        })
        .join()
        .map(|dropped| assert!(dropped.iter().all(|w| w.upgrade().is_none()), "the thread's table let go"))
        .unwrap();
    }
}

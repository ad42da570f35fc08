//! The JWKS key store: fetch over HTTP, cache with a TTL, refetch on an unknown `kid` at most
//! once per interval, single-flight, stale-on-error, timeouts and retries (security §5.2).
//!
//! Readers take an `Arc` snapshot under a short synchronous lock and never wait on the network
//! while holding it. A refresh runs in its own task; every caller that needs it awaits the same
//! shared future, so N concurrent misses make one fetch.

use futures_util::future::{BoxFuture, FutureExt as _, Shared};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::time::Instant;

use crate::error::{Action, Reason, TokenError};
use crate::verify::keys::PublicKey;

/// A generation no verified-token cache entry has: keys too stale to vouch for anything.
pub(crate) const UNUSABLE: u64 = u64::MAX;

/// Largest JWKS body read, in bytes.
const MAX_BODY: usize = 64 * 1024;
/// Most keys taken from one JWKS.
const MAX_KEYS: usize = 32;

/// How the JWKS cache behaves. The defaults suit Clerk.
///
/// ```
/// use axum_clerk::JwksOptions;
/// use std::time::Duration;
/// let options = JwksOptions { ttl: Duration::from_secs(600), ..JwksOptions::default() };
/// assert_eq!(options.min_refresh_interval, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksOptions {
    /// How long fetched keys are fresh. Default 5 minutes (Clerk's `MAX_CACHE_LAST_UPDATED_AT_SECONDS`).
    pub ttl: Duration,
    /// Least time between two fetches caused by unknown `kid`s. Default 30 s: a flood of random
    /// `kid`s makes at most one fetch per interval.
    pub min_refresh_interval: Duration,
    /// Least time between fetch attempts after one failed. Default 5 s.
    pub failure_backoff: Duration,
    /// How long past its TTL a key is still used while the endpoint fails. Default 1 hour.
    pub max_stale: Duration,
    /// Time limit of one HTTP attempt (connect, headers and body). Default 5 s.
    pub timeout: Duration,
    /// Attempts per fetch, retrying transport errors, 429 and 5xx with exponential backoff
    /// from 125 ms. Default 3.
    pub max_attempts: u32,
}

impl Default for JwksOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            min_refresh_interval: Duration::from_secs(30),
            failure_backoff: Duration::from_secs(5),
            max_stale: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
            max_attempts: 3,
        }
    }
}

/// Where the JWKS comes from.
#[derive(Debug, Clone)]
pub(crate) struct JwksEndpoint {
    pub(crate) url: url::Url,
    /// `Authorization: Bearer <secret key>` for Clerk's Backend API.
    pub(crate) bearer: Option<String>,
}

#[derive(Debug, Default)]
struct Snapshot {
    keys: HashMap<String, Arc<PublicKey>>,
    /// When the keys were last fetched successfully.
    fetched_at: Option<Instant>,
    /// No fetch may start before this instant.
    next_attempt_at: Option<Instant>,
    /// The error of the last attempt, when it failed.
    last_error: Option<TokenError>,
}

type Refresh = Shared<BoxFuture<'static, ()>>;

/// One key store per configured issuer: never a process-global `kid → key` map (Clerk #9394).
#[derive(Debug)]
pub(crate) struct JwksCache {
    endpoint: JwksEndpoint,
    options: JwksOptions,
    client: reqwest::Client,
    snapshot: RwLock<Arc<Snapshot>>,
    inflight: Mutex<Option<Refresh>>,
    /// Bumped whenever a fetch brings a different key set; verified-token cache entries of an
    /// older generation are not used.
    generation: AtomicU64,
}

impl JwksCache {
    pub(crate) fn new(endpoint: JwksEndpoint, options: JwksOptions, client: reqwest::Client) -> Arc<Self> {
        Arc::new(Self {
            endpoint,
            options,
            client,
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            inflight: Mutex::new(None),
            generation: AtomicU64::new(0),
        })
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The generation a verified-token cache hit is checked against. Keys fetched within their
    /// TTL answer at once. Older keys are refreshed first, inline (one fetch, joined by every
    /// request that needs it, at most once per refresh interval): a key the JWKS no longer lists
    /// changes the generation, and the tokens it verified are verified again — and refused.
    /// While the endpoint fails, the last good keys keep answering for `max_stale`; past that no
    /// cache entry answers ([`UNUSABLE`]) and verification reports the outage.
    pub(crate) async fn current_generation(self: &Arc<Self>) -> u64 {
        let fresh = {
            let snapshot = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
            snapshot.fetched_at.is_some_and(|at| at.elapsed() < self.options.ttl)
        };
        if fresh {
            return self.generation();
        }
        let snapshot = self.refresh().await;
        let usable = snapshot.fetched_at.is_some_and(|at| at.elapsed() < self.options.ttl + self.options.max_stale);
        if usable {
            self.generation()
        } else {
            UNUSABLE
        }
    }

    fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Fetches the keys now unless a fetch is not yet allowed; for start-up warming.
    pub(crate) async fn prefetch(self: &Arc<Self>) -> Result<(), TokenError> {
        let snapshot = self.refresh().await;
        match (&snapshot.last_error, snapshot.keys.is_empty()) {
            (Some(err), _) => Err(err.clone()),
            (None, true) => Err(no_signing_keys()),
            (None, false) => Ok(()),
        }
    }

    /// The key for `kid`, fetching when the cache is cold, stale, or lacks the `kid`.
    pub(crate) async fn key(self: &Arc<Self>, kid: Option<&str>) -> Result<Arc<PublicKey>, TokenError> {
        let Some(kid) = kid else {
            return Err(kid_mismatch("undefined"));
        };
        let now = Instant::now();
        let snapshot = self.current();
        let fresh = snapshot.fetched_at.is_some_and(|at| now.duration_since(at) < self.options.ttl);
        if fresh {
            if let Some(key) = snapshot.keys.get(kid) {
                return Ok(Arc::clone(key));
            }
        }
        let snapshot = self.refresh().await;
        if let Some(key) = snapshot.keys.get(kid) {
            let usable = snapshot
                .fetched_at
                .is_some_and(|at| Instant::now().duration_since(at) < self.options.ttl + self.options.max_stale);
            if usable {
                if snapshot.last_error.is_some() {
                    tracing::warn!(url = %self.endpoint.url, "JWKS refresh failed; using last good keys");
                }
                return Ok(Arc::clone(key));
            }
        }
        match &snapshot.last_error {
            // The endpoint is failing, so whether the key exists cannot be known: infrastructure,
            // not the token (and never a sign-in redirect).
            Some(err) => Err(err.clone()),
            None => Err(kid_mismatch(kid)),
        }
    }

    /// Runs (or joins) a refresh if one is allowed now, and returns the snapshot after it.
    async fn refresh(self: &Arc<Self>) -> Arc<Snapshot> {
        let shared = {
            let mut inflight = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
            match inflight.as_ref() {
                Some(running) => running.clone(),
                None => {
                    let allowed = self.current().next_attempt_at.is_none_or(|at| Instant::now() >= at);
                    if !allowed {
                        return self.current();
                    }
                    let this = Arc::clone(self);
                    let task = tokio::spawn(async move { this.fetch_and_store().await });
                    let shared = async move {
                        // A panicking fetch task leaves the snapshot as it was.
                        let _ = task.await;
                    }
                    .boxed()
                    .shared();
                    *inflight = Some(shared.clone());
                    shared
                }
            }
        };
        shared.await;
        self.current()
    }

    async fn fetch_and_store(self: Arc<Self>) {
        let started = Instant::now();
        let result = self.fetch_with_retries().await;
        let now = Instant::now();
        tracing::debug!(
            url = %self.endpoint.url,
            outcome = if result.is_ok() { "ok" } else { "failed" },
            keys = result.as_ref().map_or(0, HashMap::len),
            elapsed_ms = now.duration_since(started).as_millis() as u64,
            "clerk: JWKS fetched"
        );
        {
            let mut slot = self.snapshot.write().unwrap_or_else(PoisonError::into_inner);
            if let Ok(keys) = &result {
                let same = keys.len() == slot.keys.len()
                    && keys.iter().all(|(kid, key)| slot.keys.get(kid).is_some_and(|old| old == key));
                if !same {
                    self.generation.fetch_add(1, Ordering::AcqRel);
                }
            }
            let next = match &result {
                Ok(keys) => Snapshot {
                    keys: keys.clone(),
                    fetched_at: Some(now),
                    // Unknown kids may trigger a refetch once per interval; a stale cache (TTL
                    // shorter than the interval) may always refresh.
                    next_attempt_at: Some(now + self.options.min_refresh_interval.min(self.options.ttl)),
                    last_error: None,
                },
                Err(err) => {
                    tracing::warn!(url = %self.endpoint.url, error = %err, "JWKS fetch failed");
                    Snapshot {
                        keys: slot.keys.clone(),
                        fetched_at: slot.fetched_at,
                        next_attempt_at: Some(now + self.options.failure_backoff),
                        last_error: Some(err.clone()),
                    }
                }
            };
            *slot = Arc::new(next);
        }
        *self.inflight.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    async fn fetch_with_retries(&self) -> Result<HashMap<String, Arc<PublicKey>>, TokenError> {
        let attempts = self.options.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.fetch_once().await {
                Ok(keys) => return Ok(keys),
                Err(Fetch::Final(err)) => return Err(err),
                Err(Fetch::Retryable(err)) if attempt >= attempts => return Err(err),
                Err(Fetch::Retryable(_)) => tokio::time::sleep(backoff(attempt)).await,
            }
        }
    }

    async fn fetch_once(&self) -> Result<HashMap<String, Arc<PublicKey>>, Fetch> {
        let url = &self.endpoint.url;
        let failed = |detail: String| {
            TokenError::new(Reason::RemoteJwkFailedToLoad, format!("Error loading Clerk JWKS from {url}: {detail}"))
                .with_action(Action::ContactSupport)
                .infrastructure()
        };
        let mut request = self.client.get(url.clone()).header(http::header::ACCEPT, "application/json");
        if let Some(secret) = &self.endpoint.bearer {
            request = request.bearer_auth(secret);
        }
        let body = async {
            let mut response = request.send().await?;
            let status = response.status();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if body.len() + chunk.len() > MAX_BODY {
                    return Ok((status, None));
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>((status, Some(body)))
        };
        let (status, body) = match tokio::time::timeout(self.options.timeout, body).await {
            Err(_) => {
                return Err(Fetch::Retryable(failed(format!(
                    "timed out after {} ms",
                    self.options.timeout.as_millis()
                ))))
            }
            Ok(Err(err)) => return Err(Fetch::Retryable(failed(err.without_url().to_string()))),
            Ok(Ok(parts)) => parts,
        };
        let Some(body) = body else {
            return Err(Fetch::Final(failed(format!("the response is larger than {MAX_BODY} bytes"))));
        };
        if !status.is_success() {
            if let Some(message) = invalid_secret_key_message(&body) {
                return Err(Fetch::Final(
                    TokenError::new(Reason::SecretKeyInvalid, message)
                        .with_action(Action::ContactSupport)
                        .infrastructure(),
                ));
            }
            let err = TokenError::new(
                Reason::RemoteJwkFailedToLoad,
                format!("Error loading Clerk JWKS from {url} with code={}", status.as_u16()),
            )
            .with_action(Action::ContactSupport)
            .infrastructure();
            let retry = status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS;
            return Err(if retry { Fetch::Retryable(err) } else { Fetch::Final(err) });
        }
        let keys = parse_jwks(&body).map_err(|detail| Fetch::Final(failed(detail)))?;
        if keys.is_empty() {
            return Err(Fetch::Final(no_signing_keys()));
        }
        Ok(keys)
    }
}

enum Fetch {
    Retryable(TokenError),
    Final(TokenError),
}

/// 125 ms · 2^(attempt-1), with up to 100% jitter taken from the clock's sub-second noise.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(125).saturating_mul(1 << (attempt - 1).min(6));
    let noise = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    base + base.mul_f64(f64::from(noise % 1000) / 1000.0)
}

fn no_signing_keys() -> TokenError {
    TokenError::new(
        Reason::RemoteJwkFailedToLoad,
        "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.",
    )
    .with_action(Action::ContactSupport)
    .infrastructure()
}

pub(crate) fn kid_mismatch(kid: &str) -> TokenError {
    TokenError::new(
        Reason::JwkKidMismatch,
        format!(
            "Unable to find a signing key in JWKS that matches the kid='{kid}' of the provided session token. \
             Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
        ),
    )
}

/// Parses a JWK Set, keeping the keys that pass the policy. A `kid` published twice is dropped
/// entirely: which of the two is meant cannot be known.
fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<PublicKey>>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|_| "the response is not JSON".to_owned())?;
    let Some(entries) = value.get("keys").and_then(Value::as_array) else {
        // Clerk treats `{}` as "no signing keys".
        return if value.is_object() { Ok(HashMap::new()) } else { Err("the response is not a JWK Set".to_owned()) };
    };
    let mut keys: HashMap<String, Arc<PublicKey>> = HashMap::new();
    let mut duplicates = Vec::new();
    for entry in entries.iter().take(MAX_KEYS) {
        let Some(jwk) = entry.as_object() else {
            continue;
        };
        match PublicKey::from_jwk(jwk) {
            Ok(key) => {
                let kid = key.kid().unwrap_or_default().to_owned();
                if keys.insert(kid.clone(), Arc::new(key)).is_some() {
                    duplicates.push(kid);
                }
            }
            Err(err) => {
                let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or("?");
                tracing::warn!(kid, error = %err, "ignoring JWKS key");
            }
        }
    }
    for kid in duplicates {
        tracing::warn!(kid = %kid, "ignoring JWKS kid published more than once");
        keys.remove(&kid);
    }
    Ok(keys)
}

/// Clerk's Backend API answers a bad secret key with `errors[].code == "clerk_key_invalid"`.
fn invalid_secret_key_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error = value
        .get("errors")?
        .as_array()?
        .iter()
        .find(|e| e.get("code").and_then(Value::as_str) == Some("clerk_key_invalid"))?;
    let message = error.get("long_message").or_else(|| error.get("message")).and_then(Value::as_str);
    Some(message.unwrap_or("The secret key is invalid.").to_owned())
}

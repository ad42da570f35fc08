//! Standard Webhooks verification, as Svix delivers Clerk's webhooks: HMAC-SHA256 over
//! `{id}.{timestamp}.{body}` with the secret after `whsec_` (base64), a signature header of
//! space-separated `v1,<base64>` entries, and five minutes of tolerance on the timestamp.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use std::fmt;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};

/// How far a webhook's timestamp may be from now (Standard Webhooks: five minutes).
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is missing (`svix-id`, `svix-timestamp`, `svix-signature`, or their
    /// `webhook-*` names).
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// A header was sent more than once, or is not text.
    #[error("the `{0}` header is repeated or not text")]
    InvalidHeader(&'static str),
    /// The timestamp is not a whole number of seconds.
    #[error("the timestamp is not a number of seconds")]
    InvalidTimestamp,
    /// The timestamp is more than five minutes from now (stale, or in the future).
    #[error("the timestamp is more than five minutes from now")]
    StaleTimestamp,
    /// No `v1` signature matches the body under any of the secrets.
    #[error("no signature matches")]
    BadSignature,
    /// The body is larger than the limit.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// The body is not the expected JSON (after the signature was verified).
    #[error("the payload does not match the event type: {0}")]
    Payload(String),
    /// A signing secret is malformed (configuration, not the request).
    #[error("a webhook signing secret must be `whsec_` followed by base64")]
    InvalidSecret,
    /// No `WebhookVerifier` was given to the route (configuration, not the request).
    #[error("no WebhookVerifier for this route: add `.layer(Extension(WebhookVerifier::from_env()?))`")]
    NotConfigured,
}

/// Verifies Clerk's (Svix's) webhook signatures with one or more secrets — several during a
/// secret rotation — and an injectable clock.
///
/// ```
/// use axum_clerk::WebhookVerifier;
/// let verifier = WebhookVerifier::new(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).unwrap();
/// assert!(WebhookVerifier::new(["not-a-secret"]).is_err());
/// # let _ = verifier;
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Arc<[Vec<u8>]>,
    clock: Arc<dyn Clock>,
    max_body: usize,
}

impl fmt::Debug for WebhookVerifier {
    // The secrets never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secrets", &self.secrets.len())
            .field("max_body", &self.max_body)
            .finish()
    }
}

/// The bytes of a `whsec_…` secret.
fn decode_secret(secret: &str) -> Result<Vec<u8>, WebhookError> {
    let encoded = secret.trim().strip_prefix("whsec_").ok_or(WebhookError::InvalidSecret)?;
    let key = STANDARD.decode(encoded).map_err(|_| WebhookError::InvalidSecret)?;
    if key.is_empty() {
        return Err(WebhookError::InvalidSecret);
    }
    Ok(key)
}

impl WebhookVerifier {
    /// A verifier accepting a signature by any of `secrets` (`whsec_…`, as the Clerk dashboard
    /// shows them).
    ///
    /// # Errors
    /// [`WebhookError::InvalidSecret`] when a secret is not `whsec_` + base64, or none is given.
    pub fn new<I, S>(secrets: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let secrets: Vec<Vec<u8>> = secrets.into_iter().map(|s| decode_secret(s.as_ref())).collect::<Result<_, _>>()?;
        if secrets.is_empty() {
            return Err(WebhookError::InvalidSecret);
        }
        Ok(Self { secrets: secrets.into(), clock: Arc::new(SystemClock), max_body: 1024 * 1024 })
    }

    /// Reads `CLERK_WEBHOOK_SIGNING_SECRET` (Clerk's name); several secrets may be given
    /// separated by spaces, for a rotation.
    ///
    /// # Errors
    /// [`WebhookError::InvalidSecret`] when the variable is unset or malformed.
    pub fn from_env() -> Result<Self, WebhookError> {
        let value = std::env::var("CLERK_WEBHOOK_SIGNING_SECRET").map_err(|_| WebhookError::InvalidSecret)?;
        Self::new(value.split_whitespace())
    }

    /// The clock timestamps are checked against (tests pin it).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The largest body read (default 1 MiB); a larger one is refused unread.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    pub(crate) fn body_limit(&self) -> usize {
        self.max_body
    }

    /// Verifies `body` against the request's webhook headers and returns the message ID (the
    /// `svix-id`), for de-duplication. Nothing of the body is read before the signature holds.
    ///
    /// # Errors
    /// The [`WebhookError`] saying what is wrong.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<String, WebhookError> {
        let id = header(headers, "svix-id", "webhook-id")?;
        let timestamp = header(headers, "svix-timestamp", "webhook-timestamp")?;
        let signatures = header(headers, "svix-signature", "webhook-signature")?;
        let seconds: i64 = timestamp.trim().parse().map_err(|_| WebhookError::InvalidTimestamp)?;
        let now = self.clock.now_ms() / 1000;
        if now.saturating_sub(seconds).abs() > WEBHOOK_TOLERANCE_SECS {
            return Err(WebhookError::StaleTimestamp);
        }
        let expected: Vec<Vec<u8>> = signatures
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, signature)| STANDARD.decode(signature).ok())
            .collect();
        for secret in self.secrets.iter() {
            for signature in &expected {
                let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { continue };
                mac.update(id.as_bytes());
                mac.update(b".");
                mac.update(timestamp.as_bytes());
                mac.update(b".");
                mac.update(body);
                // `verify_slice` compares in constant time.
                if mac.verify_slice(signature).is_ok() {
                    return Ok(id.to_owned());
                }
            }
        }
        Err(WebhookError::BadSignature)
    }
}

/// A header by its Svix name or its Standard Webhooks name; exactly one value.
fn header<'h>(headers: &'h HeaderMap, svix: &'static str, standard: &'static str) -> Result<&'h str, WebhookError> {
    let name = if headers.contains_key(svix) { svix } else { standard };
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(WebhookError::MissingHeader(svix))?;
    if values.next().is_some() {
        return Err(WebhookError::InvalidHeader(svix));
    }
    value.to_str().map_err(|_| WebhookError::InvalidHeader(svix))
}

#[cfg(feature = "testing")]
/// Signs `body` as Svix would, with the first secret: the `svix-id`, `svix-timestamp` and
/// `svix-signature` headers (for the development issuer and tests).
pub(crate) fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<HeaderMap, WebhookError> {
    let key = decode_secret(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| WebhookError::InvalidSecret)?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("svix-id", id.to_owned()),
        ("svix-timestamp", timestamp.to_string()),
        ("svix-signature", format!("v1,{signature}")),
    ] {
        let value = http::HeaderValue::try_from(value).map_err(|_| WebhookError::InvalidHeader("svix-id"))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

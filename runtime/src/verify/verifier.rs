//! Verifying a session token (clerk-semantics §5.5, HEAD order): header `typ` and `alg`, key by
//! `kid`, signature, then `sub`, `aud`, `azp`, `exp`, `nbf`, `iat` with clock skew.
//!
//! The signature is checked before any claim so that claim errors never act as an oracle for
//! forged tokens (Clerk #8332). `typ` and `alg` are checked before the key is looked up, so a
//! token that could never verify never causes a JWKS fetch.

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use std::sync::Arc;

use crate::clock::utc_string;
use crate::error::{Action, Reason, TokenError};
use crate::verify::jwks::JwksCache;
use crate::verify::jwt::{self, js_stringify};
use crate::verify::keys::PublicKey;
use crate::verify::token_type::TokenType;

/// Where verification keys come from.
#[derive(Debug, Clone)]
pub(crate) enum KeySource {
    /// A networkless PEM key (`CLERK_JWT_KEY`): used for every `kid`.
    Pem(Arc<PublicKey>),
    /// A JWKS endpoint (Clerk's Backend API or any URL).
    Jwks(Arc<JwksCache>),
}

impl KeySource {
    /// Changes whenever the set of keys changes (never for a PEM key). A JWKS older than its
    /// TTL is refreshed first (single-flight, rate-limited like any refresh), so that a key
    /// removed from the JWKS stops vouching for the tokens it verified; see
    /// [`JwksCache::current_generation`].
    pub(crate) async fn current_generation(&self) -> u64 {
        match self {
            Self::Pem(_) => 0,
            Self::Jwks(cache) => cache.current_generation().await,
        }
    }

    /// The generation as it is now, without refreshing.
    pub(crate) fn generation(&self) -> u64 {
        match self {
            Self::Pem(_) => 0,
            Self::Jwks(cache) => cache.generation(),
        }
    }

    async fn key(&self, kid: Option<&str>) -> Result<Arc<PublicKey>, TokenError> {
        match self {
            Self::Pem(key) => Ok(Arc::clone(key)),
            Self::Jwks(cache) => cache.key(kid).await,
        }
    }
}

/// The checks of one configuration.
#[derive(Debug)]
pub(crate) struct Verifier {
    pub(crate) keys: KeySource,
    pub(crate) authorized_parties: Vec<String>,
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) clock_skew_ms: i64,
    pub(crate) provider: &'static CryptoProvider,
}

/// The `typ` values of a session token (absent is accepted too).
const SESSION_TYPS: &[&str] = &["JWT"];
/// The `cat` header of M2M tokens.
const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// Which claims beyond `sub` and the times are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Session,
    Machine,
}

/// The longest `kid` we use as a map key or print in a message (security §1.1.6).
const MAX_KID_LEN: usize = 128;

impl Verifier {
    /// Verifies `token` as a session token at `now_ms` (read once by the caller, so a request
    /// sees one time) and returns its claims. A token of another class — an OAuth access token,
    /// an M2M token, a JWT-template token (§5.4) — is refused with `token-type-mismatch` before
    /// any key is fetched, as Clerk's `authenticateRequest` refuses it before `verifyToken`.
    pub(crate) async fn verify(&self, token: &str, now_ms: i64) -> Result<Map<String, Value>, TokenError> {
        self.verify_with_skew(token, now_ms, self.clock_skew_ms).await
    }

    /// [`Self::verify`] with another clock skew (Clerk's development clock-skew retry).
    pub(crate) async fn verify_with_skew(
        &self,
        token: &str,
        now_ms: i64,
        skew_ms: i64,
    ) -> Result<Map<String, Value>, TokenError> {
        let decoded = jwt::decode(token)?;
        if !jwt::is_session_token(&decoded) {
            return Err(TokenError::new(Reason::TokenTypeMismatch, ""));
        }
        self.check_signature(&decoded.header, decoded.signing_input, &decoded.signature, SESSION_TYPS).await?;
        self.check_claims(&decoded.payload, now_ms, skew_ms, Class::Session)?;
        Ok(decoded.payload)
    }

    /// Verifies a JWT machine token (`verifyM2MJwt` / `verifyOAuthJwt`, HEAD): an M2M token must
    /// carry the M2M category or none, an OAuth access token `typ: at+jwt`; then the same key,
    /// signature, `sub` and time checks as a session token. A session's audience, issuer and
    /// authorized parties are not applied (Clerk's machine checks have none). Every failure is
    /// `token-verification-failed` with its message (an unreachable key set stays an outage).
    pub(crate) async fn verify_machine_jwt(
        &self,
        token: &str,
        kind: TokenType,
        now_ms: i64,
    ) -> Result<Map<String, Value>, TokenError> {
        let failed = |err: TokenError| {
            if err.is_infrastructure() {
                err
            } else {
                TokenError::new(Reason::TokenVerificationFailed, err.message().to_owned())
            }
        };
        let decoded = jwt::decode(token).map_err(|e| TokenError::new(Reason::TokenInvalid, e.message().to_owned()))?;
        let typs: &[&str] = match kind {
            TokenType::M2mToken => {
                if decoded.header.get("cat").is_some_and(|cat| cat != M2M_CATEGORY) {
                    return Err(TokenError::new(Reason::TokenInvalid, "Invalid M2M JWT category."));
                }
                SESSION_TYPS
            }
            TokenType::OAuthToken => &["at+jwt", "application/at+jwt"],
            TokenType::SessionToken | TokenType::ApiKey => {
                return Err(TokenError::new(Reason::TokenTypeMismatch, ""));
            }
        };
        self.check_signature(&decoded.header, decoded.signing_input, &decoded.signature, typs).await.map_err(failed)?;
        self.check_claims(&decoded.payload, now_ms, self.clock_skew_ms, Class::Machine).map_err(failed)?;
        Ok(decoded.payload)
    }

    /// Verifies a handshake token (`verifyHandshakeToken`, HEAD): `typ`, `alg`, key and signature
    /// as for a session token, no time claims; a token of another class (a JWT template, whose
    /// claims its author controls) is refused. Returns the `handshake` claim: the `Set-Cookie`
    /// directives, or none when the claim is not an array of strings.
    pub(crate) async fn verify_handshake(&self, token: &str) -> Result<Vec<String>, TokenError> {
        let decoded = jwt::decode(token)?;
        if !jwt::is_session_token(&decoded) {
            return Err(TokenError::new(Reason::TokenInvalid, "Invalid handshake token category.")
                .with_action(Action::EnsureClerkJwt));
        }
        self.check_signature(&decoded.header, decoded.signing_input, &decoded.signature, SESSION_TYPS).await.map_err(
            |err| {
                if err.reason() == Reason::TokenInvalidSignature {
                    TokenError::new(Reason::TokenInvalidSignature, "Handshake signature is invalid.")
                } else {
                    err
                }
            },
        )?;
        let directives = match decoded.payload.get("handshake") {
            Some(Value::Array(items)) => items.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Some(Vec::new()),
        };
        directives.ok_or_else(|| TokenError::new(Reason::TokenInvalid, "The handshake claim holds a non-string."))
    }

    /// The JWS layer alone: header, key and signature checks of [`Self::verify`], no claims.
    /// Returns the payload bytes. For conformance suites whose payloads are not claim sets.
    #[cfg(feature = "testing")]
    pub(crate) async fn verify_jws(&self, token: &str) -> Result<Vec<u8>, TokenError> {
        let jws = jwt::split(token)?;
        self.check_signature(&jws.header, jws.signing_input, &jws.signature, SESSION_TYPS).await?;
        Ok(jws.payload)
    }

    /// `typ`, `alg`, `crit` and `kid` of the header, then the key, then the signature.
    #[allow(clippy::ptr_arg)] // see `signature_is_valid`
    async fn check_signature(
        &self,
        header: &Map<String, Value>,
        signing_input: &str,
        signature: &Vec<u8>,
        typs: &[&str],
    ) -> Result<(), TokenError> {
        match header.get("typ") {
            // A session (or M2M) token may leave `typ` out; an OAuth access token may not.
            None if typs == SESSION_TYPS => {}
            Some(Value::String(typ)) if typs.contains(&typ.as_str()) => {}
            other => {
                let expected = typs.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
                return Err(TokenError::new(
                    Reason::TokenInvalid,
                    format!("Invalid JWT type {}. Expected {expected}.", js_stringify(other)),
                )
                .with_action(Action::EnsureClerkJwt));
            }
        }
        let algorithm = match header.get("alg").and_then(Value::as_str) {
            Some("RS256") => Algorithm::RS256,
            Some("RS384") => Algorithm::RS384,
            Some("RS512") => Algorithm::RS512,
            _ => {
                return Err(TokenError::new(
                    Reason::TokenInvalidAlgorithm,
                    format!("Invalid JWT algorithm {}. Supported: RS256,RS384,RS512.", js_stringify(header.get("alg"))),
                )
                .with_action(Action::EnsureClerkJwt));
            }
        };
        if let Some(crit) = header.get("crit") {
            // We implement no JWS extension, so any `crit` must be refused (RFC 7515 §4.1.11).
            return Err(TokenError::new(
                Reason::TokenInvalid,
                format!("Unsupported critical JWT header extensions (crit) {crit}."),
            ));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) if kid.len() <= MAX_KID_LEN && kid.bytes().all(|b| b.is_ascii_graphic()) => {
                Some(kid.as_str())
            }
            Some(_) => {
                return Err(TokenError::new(Reason::TokenInvalid, "Invalid JWT key ID (kid)."));
            }
        };
        let key = self.keys.key(kid).await?;
        if key.algorithm() != algorithm {
            return Err(TokenError::new(
                Reason::TokenVerificationFailed,
                format!(
                    "Error verifying JWT signature. The key is for {:?} but the token header says {algorithm:?}.",
                    key.algorithm()
                ),
            )
            .with_action(Action::EnsureClerkJwt));
        }
        if !signature_is_valid(self.provider, &key, signing_input.as_bytes(), signature) {
            return Err(TokenError::new(Reason::TokenInvalidSignature, "JWT signature is invalid."));
        }
        Ok(())
    }

    fn check_claims(
        &self,
        claims: &Map<String, Value>,
        now_ms: i64,
        skew_ms: i64,
        class: Class,
    ) -> Result<(), TokenError> {
        if !claims.get("sub").is_some_and(Value::is_string) {
            return Err(TokenError::new(
                Reason::TokenVerificationFailed,
                format!(
                    "Subject claim (sub) is required and must be a string. Received {}.",
                    js_stringify(claims.get("sub"))
                ),
            )
            .with_action(Action::EnsureClerkJwt));
        }
        if class == Class::Session {
            self.check_session_claims(claims)?;
        }
        check_times(claims, now_ms, skew_ms)
    }

    /// A session's own claims: audience, issuer and authorized party, as configured.
    fn check_session_claims(&self, claims: &Map<String, Value>) -> Result<(), TokenError> {
        check_audience(claims.get("aud"), &self.audience)?;
        if let Some(issuer) = &self.issuer {
            if claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
                return Err(TokenError::new(
                    Reason::TokenVerificationFailed,
                    format!(
                        "Invalid JWT issuer claim (iss) {}. Expected \"{issuer}\".",
                        js_stringify(claims.get("iss"))
                    ),
                )
                .with_action(Action::EnsureClerkJwt));
            }
        }
        check_authorized_party(claims.get("azp"), &self.authorized_parties)
    }
}

/// `exp` (required), `nbf` and `iat` against `now_ms` with `skew_ms` of leeway.
fn check_times(claims: &Map<String, Value>, now_ms: i64, skew_ms: i64) -> Result<(), TokenError> {
    let now = now_ms as f64;
    let skew = skew_ms as f64;
    let exp = number_claim(claims, "exp", "expiry date")?.ok_or_else(|| wrong_type("exp", "expiry date", None))?;
    if exp * 1000.0 <= now - skew {
        return Err(TokenError::new(
            Reason::TokenExpired,
            format!("JWT is expired. Expiry date: {}, Current date: {}.", utc_string(exp * 1000.0), utc_string(now)),
        ));
    }
    if let Some(nbf) = number_claim(claims, "nbf", "not before date")? {
        if nbf * 1000.0 > now + skew {
            return Err(TokenError::new(
                Reason::TokenNotActiveYet,
                format!(
                    "JWT cannot be used prior to not before date claim (nbf). Not before date: {}; Current date: {};",
                    utc_string(nbf * 1000.0),
                    utc_string(now)
                ),
            ));
        }
    }
    if let Some(iat) = number_claim(claims, "iat", "issued at date")? {
        if iat * 1000.0 > now + skew {
            return Err(TokenError::new(
                Reason::TokenIatInTheFuture,
                format!(
                    "JWT issued at date claim (iat) is in the future. Issued at date: {}; Current date: {};",
                    utc_string(iat * 1000.0),
                    utc_string(now)
                ),
            ));
        }
    }
    Ok(())
}

/// Largest time value accepted: JavaScript's safe-integer range, far beyond any real date.
const MAX_TIME: f64 = 9_007_199_254_740_991.0;

/// A time claim: absent is `None`; present but not a number (or a number no clock reaches, such
/// as `1e300`, which would make a token immortal) is an error.
fn number_claim(claims: &Map<String, Value>, name: &str, what: &str) -> Result<Option<f64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            n.as_f64().filter(|v| v.abs() <= MAX_TIME).map(Some).ok_or_else(|| wrong_type(name, what, claims.get(name)))
        }
        Some(other) => Err(wrong_type(name, what, Some(other))),
    }
}

fn wrong_type(name: &str, what: &str, value: Option<&Value>) -> TokenError {
    TokenError::new(
        Reason::TokenVerificationFailed,
        format!("Invalid JWT {what} claim ({name}) {}. Expected number.", js_stringify(value)),
    )
    .with_action(Action::EnsureClerkJwt)
}

/// `aud`: checked only when an audience is configured. Then, unlike Clerk (which skips a token
/// without `aud`), the claim is required: a string in the list, or an array of strings with at
/// least one in the list. Any other type is refused (security §1.4.10, §1.4.6).
fn check_audience(aud: Option<&Value>, audience: &[String]) -> Result<(), TokenError> {
    if audience.is_empty() {
        return Ok(());
    }
    let expected = serde_json::to_string(audience).unwrap_or_default();
    let ok = match aud {
        Some(Value::String(one)) => audience.iter().any(|a| a == one),
        Some(Value::Array(many)) => {
            many.iter().all(Value::is_string)
                && many.iter().any(|v| audience.iter().any(|a| Some(a.as_str()) == v.as_str()))
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let message = match aud {
        Some(Value::Array(_)) => {
            format!("Invalid JWT audience claim array (aud) {}. Is not included in \"{expected}\".", js_stringify(aud))
        }
        _ => format!("Invalid JWT audience claim (aud) {}. Is not included in \"{expected}\".", js_stringify(aud)),
    };
    Err(TokenError::new(Reason::TokenVerificationFailed, message).with_action(Action::EnsureClerkJwt))
}

/// `azp`: when authorized parties are configured it must be present and equal one of them
/// (Clerk HEAD, #8877).
fn check_authorized_party(azp: Option<&Value>, parties: &[String]) -> Result<(), TokenError> {
    if parties.is_empty() {
        return Ok(());
    }
    if let Some(Value::String(azp)) = azp {
        if !azp.is_empty() && parties.iter().any(|p| p == azp) {
            return Ok(());
        }
    }
    Err(TokenError::new(
        Reason::TokenInvalidAuthorizedParties,
        format!("Invalid JWT Authorized party claim (azp) {}. Expected \"{}\".", js_stringify(azp), parties.join(",")),
    ))
}

/// RSASSA-PKCS1-v1_5 verification of `signature` over `message` with the key's own algorithm.
/// A key the backend cannot use counts as a failed signature (the key policy already refused
/// anything malformed at ingest).
#[allow(clippy::ptr_arg)] // jsonwebtoken's verifier takes `&Vec<u8>`; borrowing ours avoids a copy.
pub(crate) fn signature_is_valid(
    provider: &CryptoProvider,
    key: &PublicKey,
    message: &[u8],
    signature: &Vec<u8>,
) -> bool {
    (provider.verifier_factory)(&key.algorithm(), key.decoding_key())
        .is_ok_and(|verifier| verifier.verify(message, signature).is_ok())
}

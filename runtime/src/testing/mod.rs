//! A development issuer (feature `testing`): mints Clerk-shaped session tokens with its own RSA
//! key and plays the Backend API endpoints the runtime calls — `GET /v1/jwks` and
//! `POST /v1/sessions/{sid}/tokens/{template}` — over real HTTP, and the Frontend API's part of
//! Clerk's browser flow (the handshake, its payload, session refresh: `frontend_api.rs`). For demos
//! and integration tests, the way Clerk users use testing tokens; never for production.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use axum_clerk::testing::TestIssuer;
//! use axum_clerk::Clerk;
//!
//! let issuer = TestIssuer::new();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let api = format!("http://{}", listener.local_addr().unwrap());
//! let router = issuer.router();
//! tokio::spawn(async move { axum::serve(listener, router).await });
//!
//! let clerk = Clerk::new(issuer.config(&api).build().unwrap()).unwrap();
//! let token = issuer.session("user_1").org("org_1", "acme", "org:admin").permissions(["org:team_settings:manage"]).mint();
//! let auth = clerk.verify_token(&token).await.unwrap();
//! assert_eq!(auth.org_role(), Some("org:admin"));
//! # }
//! ```

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs1v15::SigningKey;
use rsa::rand_core::{OsRng, RngCore as _};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::clerk::Clerk;
use crate::clock::{Clock, SystemClock};
use crate::config::{ClerkConfig, ClerkConfigBuilder};
use crate::error::TokenError;

/// Mints Clerk-shaped session tokens and serves the matching JWKS. Cheap to clone.
#[derive(Clone)]
pub struct TestIssuer(Arc<Inner>);

struct Inner {
    signer: SigningKey<Sha256>,
    jwk: Value,
    public_pem: String,
    kid: String,
    secret_key: String,
    issuer: String,
    clock: Arc<dyn Clock>,
    /// Claims of every session minted, by `sid`, for template tokens.
    sessions: Mutex<HashMap<String, Map<String, Value>>>,
    /// A development instance (`pk_test_`), else production (`pk_live_`).
    development: bool,
    /// How long new session tokens live, in seconds (Clerk: 60).
    token_lifetime: std::sync::atomic::AtomicI64,
    /// The browsers the Frontend API knows.
    browsers: Mutex<frontend_api::Browsers>,
    /// Opaque machine tokens and the Backend API's record of each.
    machine_tokens: Mutex<HashMap<String, Value>>,
    /// The secret webhooks are signed with (`whsec_…`).
    webhook_secret: String,
    /// The instance's organisation roles and permissions.
    organizations: Mutex<(Vec<organizations::OrganizationRole>, Vec<organizations::OrganizationPermission>)>,
}

mod frontend_api;
mod machine_api;
mod matrix;
mod organizations;
mod session;

pub use matrix::{Matrix, MatrixRow, Outcome, Persona, ProtectionMatrix};
pub use organizations::{OrganizationPermission, OrganizationRole};
pub use session::{encode_v2_permissions, SessionBuilder};

/// The Frontend API host the issuer's publishable key names (its tokens' `iss`).
const FRONTEND_API_HOST: &str = "clerk.dev-issuer.local";

pub(super) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0_u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl TestIssuer {
    /// A new issuer with a fresh 2048-bit RSA key, a random `kid` and a random secret key.
    ///
    /// # Panics
    /// Only if the operating system's random source fails.
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(SystemClock)
    }

    /// Like [`TestIssuer::new`], with `iat`/`exp` taken from `clock`.
    ///
    /// # Panics
    /// Only if the operating system's random source fails.
    #[must_use]
    pub fn with_clock(clock: impl Clock) -> Self {
        Self::build(Arc::new(clock), true)
    }

    /// A production instance's issuer (`pk_live_` publishable key, `sk_live_` secret key): its
    /// Frontend API knows a browser by a `__client` cookie instead of a dev-browser token and
    /// hands a handshake back in a cookie.
    ///
    /// # Panics
    /// Only if the operating system's random source fails.
    #[must_use]
    pub fn production(clock: impl Clock) -> Self {
        Self::build(Arc::new(clock), false)
    }

    fn build(clock: Arc<dyn Clock>, development: bool) -> Self {
        let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).expect("RSA key generation with the OS random source");
        let public = key.to_public_key();
        let kid = format!("ins_dev_{}", random_hex(8));
        let jwk = json!({
            "use": "sig", "kty": "RSA", "kid": kid, "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        });
        let public_pem = spki_pem(&public.n().to_bytes_be(), &public.e().to_bytes_be());
        Self(Arc::new(Inner {
            signer: SigningKey::<Sha256>::new(key),
            jwk,
            public_pem,
            kid,
            secret_key: format!("{}_dev_{}", if development { "sk_test" } else { "sk_live" }, random_hex(16)),
            issuer: format!("https://{FRONTEND_API_HOST}"),
            clock,
            sessions: Mutex::default(),
            development,
            token_lifetime: std::sync::atomic::AtomicI64::new(60),
            browsers: Mutex::default(),
            machine_tokens: Mutex::default(),
            organizations: Mutex::new(organizations::defaults()),
            webhook_secret: format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(random_hex(24))),
        }))
    }

    /// The `kid` of the signing key.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.0.kid
    }

    /// The secret key the issuer's Backend API endpoints require as `Bearer`.
    #[must_use]
    pub fn secret_key(&self) -> &str {
        &self.0.secret_key
    }

    /// The JWK Set: `{"keys": [<public key>]}`.
    #[must_use]
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.0.jwk] })
    }

    /// The public key as a PEM, for networkless `CLERK_JWT_KEY` set-ups.
    #[must_use]
    pub fn public_key_pem(&self) -> &str {
        &self.0.public_pem
    }

    /// A configuration that reads this issuer's JWKS from `api_url` (where [`TestIssuer::router`]
    /// is served) with its secret key.
    pub fn config(&self, api_url: &str) -> ClerkConfigBuilder {
        ClerkConfig::builder().secret_key(self.secret_key()).api_url(api_url)
    }

    /// The secret this issuer signs webhooks with (`whsec_…`), as the Clerk dashboard shows an
    /// endpoint's signing secret: give it to a [`WebhookVerifier`](crate::WebhookVerifier).
    #[must_use]
    pub fn webhook_secret(&self) -> &str {
        &self.0.webhook_secret
    }

    /// Signs `body` as Clerk's webhooks are signed (Svix): the `svix-id`, `svix-timestamp`
    /// (now, by the issuer's clock) and `svix-signature` headers to send with it.
    ///
    /// ```
    /// use axum_clerk::testing::TestIssuer;
    /// use axum_clerk::WebhookVerifier;
    /// let issuer = TestIssuer::new();
    /// let body = br#"{"type":"user.deleted","object":"event","data":{"id":"user_1","deleted":true}}"#;
    /// let headers = issuer.sign_webhook(body);
    /// let verifier = WebhookVerifier::new([issuer.webhook_secret()]).unwrap();
    /// assert!(verifier.verify(&headers, body).unwrap().starts_with("msg_"));
    /// ```
    #[must_use]
    pub fn sign_webhook(&self, body: &[u8]) -> HeaderMap {
        self.sign_webhook_at(&format!("msg_{}", random_hex(12)), self.0.clock.now_ms() / 1000, body)
    }

    /// [`Self::sign_webhook`] with a given message ID and timestamp (seconds).
    #[must_use]
    pub fn sign_webhook_at(&self, id: &str, timestamp: i64, body: &[u8]) -> HeaderMap {
        crate::webhook::sign(&self.0.webhook_secret, id, timestamp, body).unwrap_or_default()
    }

    /// The instance's publishable key: `pk_test_` (or `pk_live_` for [`TestIssuer::production`])
    /// naming the issuer's Frontend API host, whose tokens' `iss` it matches. With it the runtime
    /// runs Clerk's whole cookie flow; point `CLERK_PROXY_URL` at where [`TestIssuer::router`]
    /// is served so that handshakes reach this issuer.
    #[must_use]
    pub fn publishable_key(&self) -> String {
        let prefix = if self.0.development { "pk_test_" } else { "pk_live_" };
        format!("{prefix}{}", base64::engine::general_purpose::STANDARD.encode(format!("{FRONTEND_API_HOST}$")))
    }

    /// How long the session tokens started from now on live (default 60 s, Clerk's lifetime),
    /// including those the Frontend API mints at a handshake or a refresh.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
        self.0.token_lifetime.store(secs, std::sync::atomic::Ordering::Relaxed);
    }

    /// Starts a session token for `user_id`; finish it with [`SessionBuilder::mint`].
    pub fn session(&self, user_id: &str) -> SessionBuilder {
        let now = self.0.clock.now_ms() / 1000;
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(user_id));
        claims.insert("sid".into(), json!(format!("sess_dev_{}", random_hex(8))));
        claims.insert("iss".into(), json!(self.0.issuer));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now - 10));
        let lifetime = self.0.token_lifetime.load(std::sync::atomic::Ordering::Relaxed);
        claims.insert("exp".into(), json!(now + lifetime));
        claims.insert("sts".into(), json!("active"));
        SessionBuilder { issuer: self.clone(), claims, org: None, permissions: Vec::new(), v2: false }
    }

    /// Signs arbitrary claims with the issuer's key and `kid` (header `alg: RS256`, `typ: JWT`).
    #[must_use]
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(json!({"alg": "RS256", "kid": self.0.kid, "typ": "JWT"}), claims)
    }

    /// Signs `claims` as a JWT-template token (header `cat: cl_B7d4PD222AAA`), as Clerk signs the
    /// tokens of its JWT templates with the instance key: never accepted as a session.
    #[must_use]
    pub fn sign_template(&self, claims: &Value) -> String {
        self.sign_as(JWT_TEMPLATE, claims)
    }

    /// Signs `claims` as a token of category `cat` (header `cat`, as Clerk stamps the class of
    /// every JWT its instance key signs: `cl_B7d4PD111AAA` session tokens, `cl_B7d4PD222AAA`
    /// JWT-template tokens).
    fn sign_as(&self, cat: &str, claims: &Value) -> String {
        self.sign_with_header(json!({"alg": "RS256", "kid": self.0.kid, "typ": "JWT", "cat": cat}), claims)
    }

    fn sign_with_header(&self, header: Value, claims: &Value) -> String {
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = self.0.signer.sign(input.as_bytes()).to_vec();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The issuer's Backend API: `GET /v1/jwks` and `POST /v1/sessions/{sid}/tokens/{template}`,
    /// both requiring `Authorization: Bearer <secret key>`. Templates: `supabase` (audience and
    /// role `authenticated`) and any other name (the session's subject and organisation).
    ///
    /// Also the browser flow (`frontend_api.rs`): `GET /v1/client/handshake` (Frontend API),
    /// `GET /v1/clients/handshake_payload` and `POST /v1/sessions/{sid}/refresh` (Backend API);
    /// and the verify endpoints of opaque machine tokens (`machine_api.rs`):
    /// `POST /api_keys/verify`, `/m2m_tokens/verify`, `/oauth_applications/access_tokens/verify`.
    pub fn router<S>(&self) -> Router<S> {
        Router::new()
            .route("/v1/jwks", get(serve_jwks))
            .route("/v1/sessions/{sid}/tokens/{template}", post(serve_template))
            .route("/v1/client/handshake", get(frontend_api::handshake))
            .route("/v1/clients/handshake_payload", get(frontend_api::handshake_payload))
            .route("/v1/sessions/{sid}/refresh", post(frontend_api::refresh))
            .route("/v1/organization_roles", get(organizations::roles))
            .route("/v1/organization_permissions", get(organizations::permissions))
            .route("/api_keys/verify", post(machine_api::verify_api_key))
            .route("/m2m_tokens/verify", post(machine_api::verify_m2m_token))
            .route("/oauth_applications/access_tokens/verify", post(machine_api::verify_oauth_token))
            .with_state(self.clone())
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let expected = format!("Bearer {}", self.0.secret_key);
        headers.get(header::AUTHORIZATION).is_some_and(|v| v.as_bytes() == expected.as_bytes())
    }
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer").field("kid", &self.0.kid).finish_non_exhaustive()
    }
}

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], Body::from(body.to_string())).into_response()
}

pub(super) fn clerk_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, &json!({"errors": [{"code": code, "message": message, "long_message": message}]}))
}

async fn serve_jwks(State(issuer): State<TestIssuer>, headers: HeaderMap) -> Response {
    if !issuer.authorized(&headers) {
        return clerk_error(StatusCode::UNAUTHORIZED, "clerk_key_invalid", "The provided secret key is invalid.");
    }
    json_response(StatusCode::OK, &issuer.jwks())
}

async fn serve_template(
    State(issuer): State<TestIssuer>,
    Path((sid, template)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !issuer.authorized(&headers) {
        return clerk_error(StatusCode::UNAUTHORIZED, "clerk_key_invalid", "The provided secret key is invalid.");
    }
    let session = issuer.0.sessions.lock().unwrap_or_else(PoisonError::into_inner).get(&sid).cloned();
    let Some(session) = session else {
        return clerk_error(StatusCode::NOT_FOUND, "resource_not_found", "Session not found.");
    };
    let lifetime = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|b| b.get("expires_in_seconds").and_then(Value::as_i64))
        .unwrap_or(60);
    let now = issuer.0.clock.now_ms() / 1000;
    let mut claims = json!({
        "iss": issuer.0.issuer, "sub": session.get("sub"), "iat": now, "nbf": now - 10, "exp": now + lifetime,
    });
    if template == "supabase" {
        claims["aud"] = json!("authenticated");
        claims["role"] = json!("authenticated");
    } else {
        claims["template"] = json!(template);
        claims["org_id"] = session.get("org_id").or_else(|| session.get("o").and_then(|o| o.get("id"))).cloned().into();
    }
    json_response(StatusCode::OK, &json!({"object": "token", "jwt": issuer.sign_as(JWT_TEMPLATE, &claims)}))
}

/// The `cat` header of session tokens.
pub(super) const SESSION_TOKEN: &str = "cl_B7d4PD111AAA";
/// The `cat` header of JWT-template tokens: never accepted as a session.
const JWT_TEMPLATE: &str = "cl_B7d4PD222AAA";

/// Runs a compact JWS through everything a session token goes through except the claims: the
/// size and form limits, strict base64url, a duplicate-free header, `typ`, `alg`, `crit` and
/// `kid`, the key from `clerk`'s key source (key policy applied at ingest) and the signature.
/// Returns the payload bytes, which need not be JSON. For conformance suites such as Wycheproof's
/// JOSE vectors; a service verifies session tokens with [`Clerk::verify_token`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use axum_clerk::testing::{verify_jws_signature, TestIssuer};
/// use axum_clerk::{ClerkConfig, Clerk};
///
/// let issuer = TestIssuer::new();
/// let clerk = Clerk::new(ClerkConfig::builder().jwt_key(issuer.public_key_pem()).build().unwrap()).unwrap();
/// let token = issuer.sign(&serde_json::json!({"sub": "user_1"}));
/// let payload = verify_jws_signature(&clerk, &token).await.unwrap();
/// assert_eq!(payload, br#"{"sub":"user_1"}"#);
///
/// let forged = format!("{}x", &token[..token.len() - 1]);
/// assert!(verify_jws_signature(&clerk, &forged).await.is_err());
/// # }
/// ```
///
/// # Errors
/// The [`TokenError`] of the first check that fails, with Clerk's reason.
pub async fn verify_jws_signature(clerk: &Clerk, token: &str) -> Result<Vec<u8>, TokenError> {
    clerk.verify_jws(token).await
}

/// DER of an RSA SubjectPublicKeyInfo, as PEM.
fn spki_pem(n: &[u8], e: &[u8]) -> String {
    fn len(out: &mut Vec<u8>, n: usize) {
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
    }
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        len(&mut out, body.len());
        out.extend_from_slice(body);
        out
    }
    fn integer(be: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(be.len() + 1);
        if be.first().is_some_and(|b| b & 0x80 != 0) {
            body.push(0);
        }
        body.extend_from_slice(be);
        tlv(0x02, &body)
    }
    let rsa_key = tlv(0x30, &[integer(n), integer(e)].concat());
    let mut bit_string = vec![0_u8];
    bit_string.extend(rsa_key);
    // SEQUENCE { OID rsaEncryption, NULL }
    let algorithm = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
    let der = tlv(0x30, &[algorithm.to_vec(), tlv(0x03, &bit_string)].concat());
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
}

/// Fuzzing and property-test entry: the `Auth` a verified token with these claims would give.
/// Never call it with unverified data in an application.
pub fn auth_from_verified_claims_json(bytes: &[u8]) -> Option<crate::Auth> {
    match serde_json::from_slice::<serde_json::Value>(bytes).ok()? {
        serde_json::Value::Object(claims) => Some(crate::Auth::from_verified_claims(claims, "fuzz", false)),
        _ => None,
    }
}

/// Test-vector entry (Wycheproof): the RSA PKCS#1 v1.5 verification this crate performs on a
/// token's signing input, applied to `message`. `pem` goes through the same key parsing and
/// policy as `CLERK_JWT_KEY`; `Err` when the key is refused.
pub fn rsa_pkcs1_verify(pem: &str, algorithm: &str, message: &[u8], signature: &[u8]) -> Result<bool, String> {
    use jsonwebtoken::Algorithm;
    let algorithm = match algorithm {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        other => return Err(format!("unsupported algorithm {other}")),
    };
    let key = crate::verify::keys::PublicKey::from_pem(pem).map_err(|e| e.to_string())?.with_algorithm(algorithm);
    Ok(crate::verify::verifier::signature_is_valid(crate::crypto_provider(), &key, message, &signature.to_vec()))
}

/// How many verified tokens `clerk` has cached (for tests of the verified-token cache).
#[must_use]
pub fn cached_tokens(clerk: &Clerk) -> usize {
    clerk.cached_tokens()
}

//! Shared test helpers: the Clerk fixtures (clerk-semantics §6.2), a real JWKS server on
//! 127.0.0.1, and token minting with the fixture private key.
#![allow(dead_code, unreachable_pub)]

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_clerk::{Clerk, ClerkConfig, ClerkConfigBuilder, FixedClock};
use serde_json::{json, Map, Value};

/// Unpadded base64url, as JWT segments are written.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The Clerk fixtures file (tests/data/clerk-fixtures.json).
pub fn fixtures() -> &'static Value {
    static FIXTURES: OnceLock<Value> = OnceLock::new();
    FIXTURES.get_or_init(|| serde_json::from_str(include_str!("../data/clerk-fixtures.json")).unwrap())
}

/// One fixture string, e.g. `fx("mockJwt")`.
pub fn fx(name: &str) -> String {
    fixtures()[name].as_str().unwrap_or_else(|| panic!("fixture {name}")).to_owned()
}

/// Our own generated keys (tests/data/test-keys.json).
pub fn test_key(name: &str, field: &str) -> String {
    static KEYS: OnceLock<Value> = OnceLock::new();
    let keys = KEYS.get_or_init(|| serde_json::from_str(include_str!("../data/test-keys.json")).unwrap());
    keys[name][field].as_str().unwrap_or_else(|| panic!("test key {name}.{field}")).to_owned()
}

pub const KID: &str = "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD";
pub const PINNED_SECS: i64 = 1_666_648_250;

/// The clock of Clerk's tests: `mockJwtPayload.iat` (§6.1).
pub fn pinned_clock() -> FixedClock {
    FixedClock::at_secs(PINNED_SECS)
}

/// `mockJwtPayload` as a JSON object, to extend when minting.
pub fn mock_payload() -> Map<String, Value> {
    fixtures()["mockJwtPayload"].as_object().unwrap().clone()
}

/// Signs `header` + `payload` with a private key PEM (RS256 unless the header says otherwise).
///
/// Minting uses jsonwebtoken's process-wide provider, installed here explicitly: when the suite
/// runs on `aws-lc-rs`, jsonwebtoken has both backends on and would otherwise refuse to choose.
/// (axum-clerk itself never relies on the process-wide provider.)
pub fn sign_with(private_pem: &str, header: &Value, payload: &Value) -> String {
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER);
    let alg = match header["alg"].as_str() {
        Some("RS384") => jsonwebtoken::Algorithm::RS384,
        Some("RS512") => jsonwebtoken::Algorithm::RS512,
        _ => jsonwebtoken::Algorithm::RS256,
    };
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, alg).unwrap();
    format!("{input}.{signature}")
}

/// A token signed with the fixture key (`pemEncodedSignKey`, kid `ins_2GIo…`), header as Clerk's.
pub fn mint(payload: Value) -> String {
    sign_with(&fx("pemEncodedSignKey"), &json!({"alg": "RS256", "kid": KID, "typ": "JWT"}), &payload)
}

/// `mockJwtPayload` with `changes` merged in (`null` removes a claim), signed with the fixture key.
pub fn mint_mock(changes: Value) -> String {
    let mut payload = mock_payload();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            payload.remove(k);
        } else {
            payload.insert(k.clone(), v.clone());
        }
    }
    mint(Value::Object(payload))
}

/// A config with the fixture PEM public key and the pinned clock.
pub fn pem_config() -> ClerkConfigBuilder {
    ClerkConfig::builder().jwt_key(fx("pemEncodedPublicKey")).clock(pinned_clock())
}

pub fn clerk(builder: ClerkConfigBuilder) -> Clerk {
    Clerk::new(builder.build().unwrap()).unwrap()
}

/// How the JWKS server answers.
#[derive(Clone, Debug)]
pub struct Behaviour {
    pub status: StatusCode,
    pub body: String,
    pub delay: Duration,
}

/// A real HTTP server on 127.0.0.1 playing Clerk's Backend API `GET /v1/jwks`, counting hits.
#[derive(Clone, Debug)]
pub struct JwksServer {
    pub url: String,
    hits: Arc<AtomicUsize>,
    behaviour: Arc<Mutex<Behaviour>>,
    last_authorization: Arc<Mutex<Option<String>>>,
}

#[derive(Clone)]
struct ServerState {
    hits: Arc<AtomicUsize>,
    behaviour: Arc<Mutex<Behaviour>>,
    last_authorization: Arc<Mutex<Option<String>>>,
}

async fn serve_jwks(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    *state.last_authorization.lock().unwrap() =
        headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let behaviour = state.behaviour.lock().unwrap().clone();
    if !behaviour.delay.is_zero() {
        tokio::time::sleep(behaviour.delay).await;
    }
    (behaviour.status, [("content-type", "application/json")], behaviour.body).into_response()
}

impl JwksServer {
    /// Starts serving `body` with 200 at `http://127.0.0.1:<port>/v1/jwks`.
    pub async fn start(body: Value) -> Self {
        let behaviour =
            Arc::new(Mutex::new(Behaviour { status: StatusCode::OK, body: body.to_string(), delay: Duration::ZERO }));
        let state = ServerState {
            hits: Arc::new(AtomicUsize::new(0)),
            behaviour: Arc::clone(&behaviour),
            last_authorization: Arc::new(Mutex::new(None)),
        };
        let app = Router::new().route("/v1/jwks", get(serve_jwks)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{addr}"),
            hits: state.hits,
            behaviour,
            last_authorization: state.last_authorization,
        }
    }

    /// The fixture JWKS (`mockJwks`).
    pub async fn clerk_fixture() -> Self {
        Self::start(fixtures()["mockJwks"].clone()).await
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn last_authorization(&self) -> Option<String> {
        self.last_authorization.lock().unwrap().clone()
    }

    pub fn set_body(&self, body: Value) {
        let mut b = self.behaviour.lock().unwrap();
        b.status = StatusCode::OK;
        b.body = body.to_string();
    }

    pub fn set_raw(&self, status: StatusCode, body: &str) {
        let mut b = self.behaviour.lock().unwrap();
        b.status = status;
        b.body = body.to_owned();
    }

    pub fn set_delay(&self, delay: Duration) {
        self.behaviour.lock().unwrap().delay = delay;
    }

    /// A config reading this server's JWKS through the Backend API path with a secret key.
    pub fn config(&self) -> ClerkConfigBuilder {
        ClerkConfig::builder().secret_key("sk_test_deadbeef").api_url(&self.url).clock(pinned_clock())
    }
}

/// A JWK (public) for one of our generated test keys.
pub fn test_jwk(name: &str, kid: &str) -> Value {
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": test_key(name, "n"), "e": "AQAB"})
}

fn merged(base: &Value, changes: &Value) -> Value {
    let mut out = base.as_object().unwrap().clone();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            out.remove(k);
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Clerk's `createJwt` (§6.2): mock header and payload with changes, and the fixed (invalid)
/// `mockJwtSignature`. For checks that run before the signature.
pub fn create_jwt(header: Value, payload: Value) -> String {
    let header = merged(&fixtures()["mockJwtHeader"], &header);
    let payload = merged(&fixtures()["mockJwtPayload"], &payload);
    let signature = fx("mockMalformedJwt").rsplit('.').next().unwrap().to_owned();
    format!("{}.{}.{signature}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()))
}

/// Mock header with `header` changes and mock payload with `payload` changes, properly signed.
pub fn mint_with_header(header: Value, payload: Value) -> String {
    let header = merged(&fixtures()["mockJwtHeader"], &header);
    let payload = merged(&fixtures()["mockJwtPayload"], &payload);
    sign_with(&fx("pemEncodedSignKey"), &header, &payload)
}

/// Verifies `token` and returns the error's reason and message, panicking if it verified.
pub async fn refusal(clerk: &Clerk, token: &str) -> (String, String) {
    match clerk.verify_token(token).await {
        Ok(auth) => panic!("token verified unexpectedly: {auth:?}"),
        Err(err) => (err.reason().to_string(), err.message().to_owned()),
    }
}

/// A response read whole: status, headers, body text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request through `app` with `tower::ServiceExt::oneshot`.
pub async fn send(app: &Router, method: &str, uri: &str, headers: &[(&str, &str)]) -> Reply {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let response = app.clone().oneshot(builder.body(axum::body::Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

/// Headers of a browser navigation (Clerk's page request).
pub const PAGE: (&str, &str) = ("sec-fetch-dest", "document");

/// `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

/// Serves `app` on 127.0.0.1 (a free port) for the rest of the test; its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

//! The issuer's part of Clerk's browser flow, over real HTTP:
//!
//! - `GET /v1/client/handshake` — the Frontend API's handshake endpoint. It knows the browser by
//!   its dev-browser token (`__clerk_db_jwt` query parameter, development) or its `__client`
//!   cookie (production), mints a fresh session token when that browser is signed in, keeps the
//!   cookie directives under a nonce, and sends the browser back to `redirect_url` with the nonce
//!   (as a query parameter on a development instance, as a cookie on a production one).
//! - `GET /v1/clients/handshake_payload?nonce=…` — the Backend API's answer for a nonce.
//! - `POST /v1/sessions/{sid}/refresh` — the Backend API's refresh with a refresh token.
//!
//! The application signs a browser in or out with [`TestIssuer::sign_in_client`] and
//! [`TestIssuer::sign_out_client`] (a sign-in page of its own, as the demo has).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::PoisonError;

use super::{clerk_error, json_response, random_hex, SessionBuilder, TestIssuer, SESSION_TOKEN};
use crate::publishable_key::PublishableKey;
use crate::request::info::query_value;

/// How long a handshake payload can be fetched for its nonce.
const NONCE_LIFETIME_MS: i64 = 60_000;

/// What the Frontend API knows of the browsers.
#[derive(Default)]
pub(super) struct Browsers {
    /// A client (dev browser or `__client` cookie) and its signed-in session.
    clients: HashMap<String, Option<SessionBuilder>>,
    /// Handshake payloads by nonce, with when they stop being served.
    nonces: HashMap<String, (Vec<String>, i64)>,
    /// Refresh tokens and their client.
    refresh_tokens: HashMap<String, String>,
    /// A broken instance: handshakes set no session (to show the redirect-loop guard).
    handshake_without_session: bool,
    /// Handshakes served so far.
    handshakes: usize,
}

impl TestIssuer {
    fn browsers(&self) -> std::sync::MutexGuard<'_, Browsers> {
        self.0.browsers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new client — on a development instance its dev-browser token (`__clerk_db_jwt`) — not
    /// signed in.
    #[must_use]
    pub fn new_client(&self) -> String {
        let id = format!("{}_{}", if self.0.development { "dvb" } else { "client" }, random_hex(12));
        self.browsers().clients.insert(id.clone(), None);
        id
    }

    /// Signs `client` in with `session` (its lifetime is kept for every token minted later) and
    /// returns the `Set-Cookie` directives of the sign-in response: `__session` and
    /// `__client_uat`, as Clerk's front end writes them.
    ///
    /// ```
    /// use axum_clerk::testing::TestIssuer;
    /// let issuer = TestIssuer::new();
    /// let browser = issuer.new_client(); // a dev browser (`__clerk_db_jwt`)
    /// let cookies = issuer.sign_in_client(&browser, issuer.session("user_1"));
    /// assert!(cookies[0].starts_with("__session=ey") && cookies[1].starts_with("__client_uat="));
    /// // From now on the issuer's `/v1/client/handshake` mints fresh tokens for this browser.
    /// assert!(issuer.publishable_key().starts_with("pk_test_"));
    /// ```
    pub fn sign_in_client(&self, client: &str, session: SessionBuilder) -> Vec<String> {
        self.browsers().clients.insert(client.to_owned(), Some(session.clone()));
        self.session_cookies(Some(&session), false)
    }

    /// Signs `client` out and returns the directives that clear its session cookies.
    pub fn sign_out_client(&self, client: &str) -> Vec<String> {
        let mut browsers = self.browsers();
        browsers.clients.insert(client.to_owned(), None);
        browsers.refresh_tokens.retain(|_, owner| owner != client);
        drop(browsers);
        self.session_cookies(None, false)
    }

    /// A refresh token for `client`'s session, as the `__refresh_<suffix>` directive; `None`
    /// when it is not signed in.
    #[must_use]
    pub fn refresh_cookie(&self, client: &str) -> Option<String> {
        let mut browsers = self.browsers();
        browsers.clients.get(client)?.as_ref()?;
        let token = format!("rt_{}", random_hex(16));
        browsers.refresh_tokens.insert(token.clone(), client.to_owned());
        Some(format!("__refresh_{}={token}; Path=/; HttpOnly; SameSite=Lax", self.cookie_suffix()))
    }

    /// Makes every later handshake come back without a session (as an instance whose keys do not
    /// match the application's would): the application's redirect-loop guard then ends it.
    pub fn set_handshake_without_session(&self, on: bool) {
        self.browsers().handshake_without_session = on;
    }

    /// How many handshakes the Frontend API has served.
    #[must_use]
    pub fn handshake_count(&self) -> usize {
        self.browsers().handshakes
    }

    fn cookie_suffix(&self) -> String {
        PublishableKey::parse(&self.publishable_key()).map(|pk| pk.cookie_suffix()).unwrap_or_default()
    }

    /// `__session` and `__client_uat` for `session` (a fresh token), or cleared; both flavours
    /// when `suffixed`.
    fn session_cookies(&self, session: Option<&SessionBuilder>, suffixed: bool) -> Vec<String> {
        let (token, uat) = match session {
            Some(session) => {
                let session = session.renewed();
                let iat = session.claims()["iat"].as_i64().unwrap_or_default();
                (session.mint(), iat)
            }
            None => (String::new(), 0),
        };
        let mut names = vec![String::new()];
        if suffixed {
            names.push(format!("_{}", self.cookie_suffix()));
        }
        let mut cookies = Vec::new();
        for suffix in names {
            let max_age = if token.is_empty() { "; Max-Age=0" } else { "" };
            cookies.push(format!("__session{suffix}={token}; Path=/; SameSite=Lax{max_age}"));
            cookies.push(format!("__client_uat{suffix}={uat}; Path=/; SameSite=Lax"));
        }
        cookies
    }

    fn keep_payload(&self, directives: Vec<String>) -> String {
        let nonce = format!("nonce_{}", random_hex(16));
        let expires = self.0.clock.now_ms() + NONCE_LIFETIME_MS;
        let mut browsers = self.browsers();
        let now = self.0.clock.now_ms();
        browsers.nonces.retain(|_, (_, until)| *until > now);
        browsers.nonces.insert(nonce.clone(), (directives, expires));
        nonce
    }
}

/// `GET /v1/client/handshake`.
pub(super) async fn handshake(State(issuer): State<TestIssuer>, uri: Uri, headers: HeaderMap) -> Response {
    let param = |name: &str| query_value(&uri, name);
    let Some(mut back) = param("redirect_url").and_then(|u| url::Url::parse(&u).ok()) else {
        return clerk_error(StatusCode::BAD_REQUEST, "form_param_missing", "redirect_url is required.");
    };
    if !matches!(back.scheme(), "http" | "https") || param("format").as_deref() != Some("nonce") {
        return clerk_error(StatusCode::BAD_REQUEST, "form_param_invalid", "redirect_url or format is invalid.");
    }
    let development = issuer.0.development;
    let known = |id: &str| issuer.browsers().clients.contains_key(id);
    let presented = if development {
        param("__clerk_db_jwt")
    } else {
        crate::request::cookies::Cookies::parse(&headers).get("__client").map(|c| c.into_owned())
    };
    let (client, new_client) = match presented.filter(|id| known(id)) {
        Some(id) => (id, false),
        None => (issuer.new_client(), true),
    };
    let (session, without) = {
        let mut browsers = issuer.browsers();
        browsers.handshakes += 1;
        (browsers.clients.get(&client).cloned().flatten(), browsers.handshake_without_session)
    };
    let suffixed = param("suffixed_cookies").as_deref() == Some("true");
    let mut directives = if without { Vec::new() } else { issuer.session_cookies(session.as_ref(), suffixed) };
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    if development {
        directives.push(format!("__clerk_db_jwt={client}; Path=/; SameSite=Lax"));
        let nonce = issuer.keep_payload(directives);
        back.query_pairs_mut().append_pair("__clerk_handshake_nonce", &nonce);
    } else {
        directives.push("__clerk_handshake_nonce=; Path=/; Max-Age=0; SameSite=Lax".to_owned());
        let nonce = issuer.keep_payload(directives);
        let mut cookies = vec![format!("__clerk_handshake_nonce={nonce}; Path=/; Max-Age=60; SameSite=Lax")];
        if new_client {
            cookies.push(format!("__client={client}; Path=/; HttpOnly; SameSite=Lax"));
        }
        for cookie in cookies {
            if let Ok(value) = HeaderValue::try_from(cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }
    if let Ok(location) = HeaderValue::try_from(back.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /v1/clients/handshake_payload?nonce=…` (Backend API, secret key).
pub(super) async fn handshake_payload(State(issuer): State<TestIssuer>, uri: Uri, headers: HeaderMap) -> Response {
    if !issuer.authorized(&headers) {
        return clerk_error(StatusCode::UNAUTHORIZED, "clerk_key_invalid", "The provided secret key is invalid.");
    }
    let now = issuer.0.clock.now_ms();
    let payload = query_value(&uri, "nonce").and_then(|nonce| issuer.browsers().nonces.get(&nonce).cloned());
    match payload {
        Some((directives, until)) if until > now => {
            json_response(StatusCode::OK, &json!({ "object": "handshake_payload", "directives": directives }))
        }
        _ => clerk_error(StatusCode::NOT_FOUND, "resource_not_found", "Handshake payload not found."),
    }
}

/// `POST /v1/sessions/{sid}/refresh?suffixed_cookies=…` (Backend API, secret key): a known
/// refresh token of the session `sid`, and an expired token of that session signed by this
/// issuer, give the session's new cookies.
pub(super) async fn refresh(
    State(issuer): State<TestIssuer>,
    Path(sid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !issuer.authorized(&headers) {
        return clerk_error(StatusCode::UNAUTHORIZED, "clerk_key_invalid", "The provided secret key is invalid.");
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let invalid = || clerk_error(StatusCode::BAD_REQUEST, "refresh_token_invalid", "The refresh token is invalid.");
    if text("format") != "cookie" || !issuer.signed_by_me(&text("expired_token"), &sid) {
        return invalid();
    }
    let session = {
        let browsers = issuer.browsers();
        let client = browsers.refresh_tokens.get(&text("refresh_token")).cloned();
        client.and_then(|c| browsers.clients.get(&c).cloned().flatten())
    };
    match session {
        Some(session) if session.claims().get("sid").and_then(Value::as_str) == Some(sid.as_str()) => {
            let suffixed = query_value(&uri, "suffixed_cookies").is_some_and(|v| v == "true");
            let cookies = issuer.session_cookies(Some(&session), suffixed);
            json_response(StatusCode::OK, &json!({ "object": "cookies", "cookies": cookies }))
        }
        _ => invalid(),
    }
}

impl TestIssuer {
    /// `token` is a session token this issuer signed for session `sid` (expired or not).
    fn signed_by_me(&self, token: &str, sid: &str) -> bool {
        use base64::Engine as _;
        use rsa::signature::{Keypair as _, Verifier as _};
        let Some((signing_input, signature)) = token.rsplit_once('.') else { return false };
        let Some((header, payload)) = signing_input.split_once('.') else { return false };
        let decode = |part: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok();
        let json = |part: &str| decode(part).and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        let (Some(header), Some(claims), Some(signature)) = (json(header), json(payload), decode(signature)) else {
            return false;
        };
        let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature.as_slice()) else { return false };
        header["cat"] == SESSION_TOKEN
            && claims["sid"] == sid
            && self.0.signer.verifying_key().verify(signing_input.as_bytes(), &signature).is_ok()
    }
}

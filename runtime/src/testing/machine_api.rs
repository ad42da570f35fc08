//! The issuer's machine tokens: it mints API keys, M2M tokens and OAuth access tokens — opaque
//! (`ak_…`, `mt_…`, `oat_…`) or as JWTs signed with its key — and plays the Backend API's verify
//! endpoints for the opaque ones (`POST /api_keys/verify`, `/m2m_tokens/verify`,
//! `/oauth_applications/access_tokens/verify`, no version in the path, as Clerk's SDK calls them).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::PoisonError;

use super::{clerk_error, json_response, random_hex, TestIssuer};

/// The `cat` header of M2M JWTs.
const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

impl TestIssuer {
    fn keep_machine_token(&self, token: &str, record: Value) {
        self.0.machine_tokens.lock().unwrap_or_else(PoisonError::into_inner).insert(token.to_owned(), record);
    }

    fn now_secs(&self) -> i64 {
        self.0.clock.now_ms() / 1000
    }

    /// An opaque API key (`ak_…`) for `subject` (a `user_…` or `org_…`), verified by this
    /// issuer's `POST /api_keys/verify`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use axum_clerk::testing::TestIssuer;
    /// use axum_clerk::{AcceptsToken, Clerk};
    ///
    /// let issuer = TestIssuer::new();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let api = format!("http://{}", listener.local_addr().unwrap());
    /// let router = issuer.router();
    /// tokio::spawn(async move { axum::serve(listener, router).await });
    ///
    /// let clerk = Clerk::new(issuer.config(&api).build().unwrap()).unwrap();
    /// let key = issuer.api_key("user_1", "reports script", &["read:reports"]);
    /// let request = http::Request::get("/").header("authorization", format!("Bearer {key}")).body(()).unwrap();
    /// let state = clerk.authenticate_accepting(&request, AcceptsToken::ANY).await;
    /// assert_eq!(state.auth().machine().unwrap().name(), Some("reports script"));
    ///
    /// issuer.revoke(&key); // the Backend API forgets it (the client may trust it a few seconds more)
    /// # }
    /// ```
    #[must_use]
    pub fn api_key(&self, subject: &str, name: &str, scopes: &[&str]) -> String {
        let token = format!("ak_{}", random_hex(16));
        let now = self.0.clock.now_ms();
        self.keep_machine_token(
            &token,
            json!({
                "object": "api_key", "id": format!("ak_id_{}", random_hex(8)), "type": "api_key", "name": name,
                "subject": subject, "scopes": scopes, "claims": null, "revoked": false, "revocation_reason": null,
                "expired": false, "expiration": null, "created_by": null, "description": null, "last_used_at": null,
                "created_at": now, "updated_at": now,
            }),
        );
        token
    }

    /// An opaque M2M token (`mt_…`) issued to machine `machine_id` (`mch_…`), valid an hour.
    #[must_use]
    pub fn m2m_token(&self, machine_id: &str, scopes: &[&str]) -> String {
        let token = format!("mt_{}", random_hex(16));
        let now = self.0.clock.now_ms();
        self.keep_machine_token(
            &token,
            json!({
                "object": "machine_to_machine_token", "id": format!("mt_id_{}", random_hex(8)), "subject": machine_id,
                "scopes": scopes, "claims": null, "revoked": false, "revocation_reason": null, "expired": false,
                "expiration": now + 3_600_000, "created_at": now, "updated_at": now,
            }),
        );
        token
    }

    /// An opaque OAuth access token (`oat_…`) for user `user_id`, issued to `client_id`.
    #[must_use]
    pub fn oauth_token(&self, user_id: &str, client_id: &str, scopes: &[&str]) -> String {
        let token = format!("oat_{}", random_hex(16));
        let now = self.0.clock.now_ms();
        self.keep_machine_token(
            &token,
            json!({
                "object": "clerk_idp_oauth_access_token", "id": format!("oat_id_{}", random_hex(8)),
                "client_id": client_id, "type": "oauth_token", "subject": user_id, "scopes": scopes,
                "revoked": false, "revocation_reason": null, "expired": false, "expiration": now + 3_600_000,
                "created_at": now, "updated_at": now,
            }),
        );
        token
    }

    /// An M2M token in JWT form: `sub` the machine, `scopes` space-separated, the M2M category,
    /// valid an hour.
    #[must_use]
    pub fn m2m_jwt(&self, machine_id: &str, scopes: &[&str]) -> String {
        let now = self.now_secs();
        let claims = json!({
            "iss": self.0.issuer, "sub": machine_id, "jti": format!("mt_{}", random_hex(8)),
            "iat": now, "nbf": now - 10, "exp": now + 3600, "scopes": scopes.join(" "),
        });
        self.sign_as(M2M_CATEGORY, &claims)
    }

    /// An OAuth access token in JWT form (`typ: at+jwt`) for `user_id`, issued to `client_id`.
    #[must_use]
    pub fn oauth_jwt(&self, user_id: &str, client_id: &str, scopes: &[&str]) -> String {
        let now = self.now_secs();
        let header = json!({"alg": "RS256", "kid": self.0.kid, "typ": "at+jwt"});
        let claims = json!({
            "iss": self.0.issuer, "sub": user_id, "client_id": client_id, "jti": format!("oat_{}", random_hex(8)),
            "iat": now, "nbf": now - 10, "exp": now + 3600, "scope": scopes.join(" "),
        });
        self.sign_with_header(header, &claims)
    }

    /// Revokes an opaque machine token: its verify endpoint answers 404 from now on.
    pub fn revoke(&self, token: &str) {
        self.0.machine_tokens.lock().unwrap_or_else(PoisonError::into_inner).remove(token);
    }
}

async fn verify(issuer: &TestIssuer, headers: &HeaderMap, body: &str, field: &str, not_found: &str) -> Response {
    if !issuer.authorized(headers) {
        return clerk_error(StatusCode::UNAUTHORIZED, "clerk_key_invalid", "The provided secret key is invalid.");
    }
    let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let token = body.get(field).and_then(Value::as_str).unwrap_or_default();
    let record = issuer.0.machine_tokens.lock().unwrap_or_else(PoisonError::into_inner).get(token).cloned();
    match record {
        Some(record) => json_response(StatusCode::OK, &record),
        None => clerk_error(StatusCode::NOT_FOUND, "resource_not_found", not_found),
    }
}

/// `POST /api_keys/verify` with `{"secret": …}`.
pub(super) async fn verify_api_key(State(issuer): State<TestIssuer>, headers: HeaderMap, body: String) -> Response {
    verify(&issuer, &headers, &body, "secret", "API key not found").await
}

/// `POST /m2m_tokens/verify` with `{"token": …}`.
pub(super) async fn verify_m2m_token(State(issuer): State<TestIssuer>, headers: HeaderMap, body: String) -> Response {
    verify(&issuer, &headers, &body, "token", "Machine token not found").await
}

/// `POST /oauth_applications/access_tokens/verify` with `{"access_token": …}`.
pub(super) async fn verify_oauth_token(State(issuer): State<TestIssuer>, headers: HeaderMap, body: String) -> Response {
    verify(&issuer, &headers, &body, "access_token", "OAuth token not found").await
}

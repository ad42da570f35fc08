//! The instance's configuration and its one HTTP client: what an [`Auth`](crate::Auth) keeps
//! after its request was authenticated (for redirects and `get_token`), and the Backend API
//! calls made with it.

use serde_json::Value;
use std::time::Duration;

use crate::config::{ClerkConfig, ConfigError};

/// `SUPPORTED_BAPI_VERSION`: the Backend API version Clerk's SDK speaks, sent as
/// `Clerk-API-Version` and as the handshake's `__clerk_api_version`.
pub(crate) const CLERK_API_VERSION: &str = "2026-05-12";

/// Configuration and HTTP client, shared by a [`Clerk`](crate::Clerk), its JWKS cache and every
/// `Auth` it produced.
#[derive(Debug)]
pub(crate) struct Backend {
    pub(crate) config: ClerkConfig,
    pub(crate) http: reqwest::Client,
}

/// A Backend API call that did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BackendError {
    /// The Backend API could not be reached, or timed out.
    Unreachable(String),
    /// It answered with an error (Clerk's `errors[0].code` and message), or with a success
    /// that is not the expected shape (`status` 200, empty `code`).
    Api { status: u16, code: String, message: String },
    /// No secret key is configured, so the Backend API cannot be called.
    NoSecretKey,
}

fn malformed(message: &str) -> BackendError {
    BackendError::Api { status: 200, code: String::new(), message: message.to_owned() }
}

/// A JSON array of strings.
fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    value?.as_array()?.iter().map(|v| v.as_str().map(str::to_owned)).collect()
}

impl Backend {
    /// The configuration and its HTTP client: the one given to the builder, or one made for the
    /// JWKS and the Backend API (no redirects followed: requests carry the secret key).
    pub(crate) fn new(config: ClerkConfig) -> Result<Self, ConfigError> {
        let http = match &config.http_client {
            Some(client) => client.clone(),
            None => reqwest::Client::builder()
                .use_preconfigured_tls(crate::tls_config().map_err(|e| {
                    ConfigError::new("CLERK_API_URL", format!("cannot configure TLS for the HTTP client: {e}"))
                })?)
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.jwks.timeout.min(Duration::from_secs(2)))
                .user_agent(concat!("axum-clerk/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| ConfigError::new("CLERK_API_URL", format!("cannot build the HTTP client: {e}")))?,
        };
        Ok(Self { config, http })
    }

    /// `{CLERK_API_URL}/{version}/{segments…}`, each segment percent-encoded.
    pub(crate) fn api_url<'a>(&self, segments: impl IntoIterator<Item = &'a str>) -> Option<url::Url> {
        let mut url = self.config.api_url.clone();
        url.path_segments_mut().ok()?.pop_if_empty().push(&self.config.api_version).extend(segments);
        Some(url)
    }

    /// `POST {api}/{segments}` with the secret key and an optional JSON body; the JSON answer.
    pub(crate) async fn post(&self, secret: &str, url: url::Url, body: Option<&Value>) -> Result<Value, BackendError> {
        let request = self.http.post(url);
        let request = match body {
            Some(body) => request.header(http::header::CONTENT_TYPE, "application/json").body(body.to_string()),
            None => request.header(http::header::CONTENT_LENGTH, "0"),
        };
        self.send(secret, request).await
    }

    /// `GET {url}` with the secret key; the JSON answer.
    pub(crate) async fn get(&self, secret: &str, url: url::Url) -> Result<Value, BackendError> {
        self.send(secret, self.http.get(url)).await
    }

    async fn send(&self, secret: &str, request: reqwest::RequestBuilder) -> Result<Value, BackendError> {
        let started = std::time::Instant::now();
        let result = self.send_once(secret, request).await;
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(BackendError::Api { status, code, .. }) => format!("{status} {code}"),
            Err(BackendError::Unreachable(_)) => "unreachable".to_owned(),
            Err(BackendError::NoSecretKey) => "no secret key".to_owned(),
        };
        tracing::debug!(outcome, elapsed_ms = started.elapsed().as_millis() as u64, "clerk: Backend API call");
        result
    }

    async fn send_once(&self, secret: &str, request: reqwest::RequestBuilder) -> Result<Value, BackendError> {
        let unreachable = |e: reqwest::Error| BackendError::Unreachable(e.without_url().to_string());
        let request =
            request.bearer_auth(secret).header("Clerk-API-Version", CLERK_API_VERSION).timeout(self.config.api_timeout);
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        let error = json.get("errors").and_then(|e| e.get(0));
        let text = |name: &str| error.and_then(|e| e.get(name)).and_then(Value::as_str).map(str::to_owned);
        Err(BackendError::Api {
            status: status.as_u16(),
            code: text("code").unwrap_or_default(),
            message: text("long_message").or_else(|| text("message")).unwrap_or_else(|| status.to_string()),
        })
    }

    /// `GET /v1/clients/handshake_payload?nonce=…`: the `directives` of a handshake kept by the
    /// Backend API. An answer without a `directives` array of strings is an error.
    pub(crate) async fn handshake_payload(&self, nonce: &str) -> Result<Vec<String>, BackendError> {
        let (secret, mut url) = self.endpoint(["clients", "handshake_payload"])?;
        url.query_pairs_mut().append_pair("nonce", nonce);
        let answer = self.get(secret, url).await?;
        strings(answer.get("directives")).ok_or_else(|| malformed("handshake payload without `directives`"))
    }

    /// `POST /v1/sessions/{sid}/refresh?suffixed_cookies=…` with Clerk's body (`format: cookie`,
    /// the expired and refresh tokens, the request's origin and headers): the new `cookies`.
    pub(crate) async fn refresh_session(
        &self,
        sid: &str,
        suffixed: bool,
        body: &Value,
    ) -> Result<Vec<String>, BackendError> {
        let (secret, mut url) = self.endpoint(["sessions", sid, "refresh"])?;
        url.query_pairs_mut().append_pair("suffixed_cookies", if suffixed { "true" } else { "false" });
        let answer = self.post(secret, url, Some(body)).await?;
        strings(answer.get("cookies")).ok_or_else(|| malformed("refresh answer without `cookies`"))
    }

    /// `POST {CLERK_API_URL}/{segments}` — a machine token's verify endpoint, whose path has no
    /// version, as Clerk's SDK calls it — with `{field: token}` as the body and the secret key
    /// (the machine secret key instead when `machine` and one is configured). The answer's JSON.
    pub(crate) async fn verify_machine(
        &self,
        segments: &[&str],
        field: &str,
        token: &str,
        machine: bool,
    ) -> Result<Value, BackendError> {
        let machine_secret = if machine { self.config.machine_secret_key.as_deref() } else { None };
        let secret = machine_secret.or(self.config.secret_key.as_deref()).ok_or(BackendError::NoSecretKey)?;
        let mut url = self.config.api_url.clone();
        url.path_segments_mut()
            .map_err(|()| malformed("CLERK_API_URL cannot hold a path"))?
            .pop_if_empty()
            .extend(segments);
        self.post(secret, url, Some(&serde_json::json!({ field: token }))).await
    }

    /// The secret key and the URL of a Backend API endpoint.
    fn endpoint<'a>(&self, segments: impl IntoIterator<Item = &'a str>) -> Result<(&str, url::Url), BackendError> {
        let secret = self.config.secret_key.as_deref().ok_or(BackendError::NoSecretKey)?;
        let url = self.api_url(segments).ok_or_else(|| malformed("CLERK_API_URL cannot hold a path"))?;
        Ok((secret, url))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_http_client_gets_tls_from_the_crates_own_backend() {
        let config = crate::tls_config().expect("a TLS configuration");
        assert!(config
            .crypto_provider()
            .cipher_suites
            .iter()
            .any(|s| s.version().version == rustls::ProtocolVersion::TLSv1_3));
        let config = crate::ClerkConfig::builder().secret_key("sk_test_x").build().unwrap();
        assert!(super::Backend::new(config).is_ok(), "no process-wide provider needed");
    }
}

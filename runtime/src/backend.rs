//! The instance's configuration and its one HTTP client: what an [`Auth`](crate::Auth) keeps
//! after its request was authenticated (for redirects and `get_token`), and the Backend API
//! calls made with it.

use serde_json::Value;
use std::time::Duration;

use crate::config::{ClerkConfig, ConfigError};

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
    /// It answered with an error (Clerk's `errors[0].code` and message).
    Api { status: u16, code: String, message: String },
}

impl Backend {
    /// The configuration and its HTTP client: the one given to the builder, or one made for the
    /// JWKS and the Backend API (no redirects followed: requests carry the secret key).
    pub(crate) fn new(config: ClerkConfig) -> Result<Self, ConfigError> {
        let http = match &config.http_client {
            Some(client) => client.clone(),
            None => reqwest::Client::builder()
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
        let unreachable = |e: reqwest::Error| BackendError::Unreachable(e.without_url().to_string());
        let mut request = self.http.post(url).bearer_auth(secret).timeout(self.config.api_timeout);
        request = match body {
            Some(body) => request.header(http::header::CONTENT_TYPE, "application/json").body(body.to_string()),
            None => request.header(http::header::CONTENT_LENGTH, "0"),
        };
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
}

//! `get_token` (clerk-semantics §4): the verified session token, or a JWT-template token minted
//! by Clerk's Backend API.

use serde_json::Value;

use crate::auth::Auth;

/// Options of [`Auth::get_token`].
///
/// ```
/// use axum_clerk::GetToken;
/// let supabase = GetToken::template("supabase").expires_in_seconds(600);
/// # let _ = supabase;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct GetToken {
    template: Option<String>,
    expires_in_seconds: Option<u64>,
}

impl GetToken {
    /// The session token of this request (no network call).
    pub fn session() -> Self {
        Self::default()
    }

    /// A token from the named JWT template (one Backend API call per use; Clerk does not cache).
    pub fn template(name: impl Into<String>) -> Self {
        Self { template: Some(name.into()), expires_in_seconds: None }
    }

    /// Ask the Backend API for a token with this lifetime.
    pub fn expires_in_seconds(mut self, seconds: u64) -> Self {
        self.expires_in_seconds = Some(seconds);
        self
    }
}

/// Why [`Auth::get_token`] could not get a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GetTokenError {
    /// Template tokens need `CLERK_SECRET_KEY`.
    #[error("get_token with a template needs CLERK_SECRET_KEY")]
    NoSecretKey,
    /// The auth object was not produced by `ClerkLayer` or `Clerk`, so there is no instance to ask.
    #[error("get_token with a template needs an Auth produced by ClerkLayer or Clerk")]
    NoInstance,
    /// The Backend API could not be reached or timed out.
    #[error("could not reach the Clerk Backend API: {0}")]
    Unreachable(String),
    /// The Backend API refused (Clerk's error `code` and message).
    #[error("the Clerk Backend API answered {status}: {message} (code={code})")]
    Api {
        /// HTTP status.
        status: u16,
        /// Clerk's error code, e.g. `resource_not_found`.
        code: String,
        /// Clerk's message.
        message: String,
    },
    /// The answer had no `jwt`.
    #[error("the Clerk Backend API answer has no jwt")]
    InvalidResponse,
}

impl Auth {
    /// Clerk's `getToken()`: `None` when signed out; the verified session token of this request
    /// without a template; with a template (or a lifetime), a fresh token from
    /// `POST {CLERK_API_URL}/v1/sessions/{sid}/tokens/{template}`.
    ///
    /// # Errors
    /// [`GetTokenError`] when the Backend API cannot be asked or refuses.
    pub async fn get_token(&self, options: &GetToken) -> Result<Option<String>, GetTokenError> {
        let (Some(session_id), Some(token)) = (self.session_id(), self.token()) else {
            return Ok(None);
        };
        if options.template.is_none() && options.expires_in_seconds.is_none() {
            return Ok(Some(token.to_owned()));
        }
        let clerk = &self.context().ok_or(GetTokenError::NoInstance)?.clerk;
        let config = clerk.config();
        let secret = config.secret_key.as_deref().ok_or(GetTokenError::NoSecretKey)?;
        let mut url = config.api_url.clone();
        {
            let mut segments = url.path_segments_mut().map_err(|()| GetTokenError::NoInstance)?;
            segments.pop_if_empty().extend([config.api_version.as_str(), "sessions", session_id, "tokens"]);
            if let Some(template) = &options.template {
                segments.push(template);
            }
        }
        let mut request = clerk.http().post(url).bearer_auth(secret).timeout(config.api_timeout);
        request = match options.expires_in_seconds {
            Some(seconds) => request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(serde_json::json!({ "expires_in_seconds": seconds }).to_string()),
            None => request.header(http::header::CONTENT_LENGTH, "0"),
        };
        let response = request.send().await.map_err(|e| GetTokenError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| GetTokenError::Unreachable(e.without_url().to_string()))?;
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !status.is_success() {
            let error = json.get("errors").and_then(|e| e.get(0));
            let text = |name: &str| error.and_then(|e| e.get(name)).and_then(Value::as_str).map(str::to_owned);
            return Err(GetTokenError::Api {
                status: status.as_u16(),
                code: text("code").unwrap_or_default(),
                message: text("long_message").or_else(|| text("message")).unwrap_or_else(|| status.to_string()),
            });
        }
        json.get("jwt").and_then(Value::as_str).map(|jwt| Some(jwt.to_owned())).ok_or(GetTokenError::InvalidResponse)
    }
}

//! `get_token` (clerk-semantics §4): the verified session token, or a JWT-template token minted
//! by Clerk's Backend API.

use serde_json::Value;

use crate::auth::Auth;
use crate::backend::BackendError;

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
        let backend = &self.context().ok_or(GetTokenError::NoInstance)?.backend;
        let secret = backend.config.secret_key.as_deref().ok_or(GetTokenError::NoSecretKey)?;
        let template = options.template.as_deref();
        let url = backend
            .api_url(["sessions", session_id, "tokens"].into_iter().chain(template))
            .ok_or(GetTokenError::NoInstance)?;
        let body = options.expires_in_seconds.map(|seconds| serde_json::json!({ "expires_in_seconds": seconds }));
        let json = backend.post(secret, url, body.as_ref()).await.map_err(|err| match err {
            BackendError::Unreachable(why) => GetTokenError::Unreachable(why),
            BackendError::Api { status, code, message } => GetTokenError::Api { status, code, message },
            BackendError::NoSecretKey => GetTokenError::NoSecretKey,
        })?;
        json.get("jwt").and_then(Value::as_str).map(|jwt| Some(jwt.to_owned())).ok_or(GetTokenError::InvalidResponse)
    }
}

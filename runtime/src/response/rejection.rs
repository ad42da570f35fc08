//! Rejections: the one place that decides the HTTP shape of every refusal.

use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, LOCATION, RETRY_AFTER};
use http::{HeaderName, HeaderValue, StatusCode};
use std::fmt;

use crate::auth::has::Reverification;
use crate::webhook::WebhookError;

/// `HX-Redirect`: tells htmx to navigate the whole page.
pub const HX_REDIRECT: HeaderName = HeaderName::from_static("hx-redirect");

/// `ClerkLayer` is not installed in front of a route that reads the auth state.
///
/// Clerk's equivalent: "auth() was called but Clerk can't detect usage of clerkMiddleware()".
/// Answered with 500, never a silent signed-out.
///
/// ```
/// use axum::response::IntoResponse;
/// let response = axum_clerk::MissingClerkLayer.into_response();
/// assert_eq!(response.status(), 500);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MissingClerkLayer;

impl fmt::Display for MissingClerkLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "axum-clerk: the auth state was read but `ClerkLayer` is not installed for this route. \
             Add `.layer(ClerkLayer::new(clerk))` to the Router (after the routes it should cover).",
        )
    }
}

impl std::error::Error for MissingClerkLayer {}

impl IntoResponse for MissingClerkLayer {
    fn into_response(self) -> Response {
        tracing::error!("{self}");
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

/// A redirect decided by `protect` or `redirect_to_sign_in`: `307` with an absolute `Location`
/// and `Cache-Control: no-store`, or — for an htmx request — `200` with `HX-Redirect`.
///
/// ```
/// use axum::response::IntoResponse;
/// use axum_clerk::AuthRedirect;
/// let response = AuthRedirect::to("https://accounts.example.com/sign-in").into_response();
/// assert_eq!(response.status(), 307);
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRedirect {
    location: String,
    htmx: bool,
}

impl AuthRedirect {
    /// A 307 to `location`.
    pub fn to(location: impl Into<String>) -> Self {
        Self { location: location.into(), htmx: false }
    }

    pub(crate) fn for_htmx(mut self, htmx: bool) -> Self {
        self.htmx = htmx;
        self
    }

    /// Where the browser is sent.
    #[must_use]
    pub fn location(&self) -> &str {
        &self.location
    }
}

impl IntoResponse for AuthRedirect {
    fn into_response(self) -> Response {
        let Ok(location) = HeaderValue::from_str(&self.location) else {
            // Unreachable for URLs we built; never emit a header we could not validate.
            tracing::error!(location = %self.location.escape_debug(), "refusing to send an invalid Location");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let no_store = (CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.htmx {
            (StatusCode::OK, [(HX_REDIRECT, location), no_store]).into_response()
        } else {
            (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location), no_store]).into_response()
        }
    }
}

/// Why `protect` refused a request, already decided into a response shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtectRejection {
    /// Sent elsewhere: sign-in, `unauthenticated_url` or `unauthorized_url`.
    Redirect(AuthRedirect),
    /// An API request refused with a bare status: 404 as Clerk, or what
    /// [`api_rejection_status`](crate::ClerkConfigBuilder::api_rejection_status) chose. The body is
    /// empty, like axum's own 404, so the route's existence is not revealed.
    Status(StatusCode),
    /// Signed out only because verification keys could not be had: `503` with `Retry-After` and
    /// `Cache-Control: no-store`, never a sign-in redirect (it would loop).
    Unavailable {
        /// Seconds to wait before retrying.
        retry_after_secs: u64,
    },
    /// A machine context refused (Clerk's `unauthorized()`): 401, with `WWW-Authenticate` when
    /// the request carried an OAuth token.
    Unauthorized {
        /// The `WWW-Authenticate` value, if any.
        www_authenticate: Option<String>,
    },
    /// A signed-in user who must verify again (Clerk's `reverificationErrorResponse`): 403 with
    /// `{"clerk_error": {"type": "forbidden", "reason": "reverification-error", "metadata":
    /// {"reverification": …}}}`, which Clerk's front end reads to open its re-verification modal
    /// and retry. Chosen with [`Protect::reverification_error`](crate::Protect::reverification_error).
    ReverificationRequired(Reverification),
    /// A redirect target given in code is malformed: a server bug, answered with 500.
    Misconfigured(String),
    /// `ClerkLayer` is missing.
    MissingLayer(MissingClerkLayer),
}

impl IntoResponse for ProtectRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(redirect) => redirect.into_response(),
            Self::Status(status) => status.into_response(),
            Self::Unavailable { retry_after_secs } => (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (RETRY_AFTER, HeaderValue::from(retry_after_secs)),
                    (CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                "Authentication is temporarily unavailable. Please retry shortly.",
            )
                .into_response(),
            Self::Unauthorized { www_authenticate } => {
                let mut response = StatusCode::UNAUTHORIZED.into_response();
                if let Some(value) = www_authenticate.and_then(|v| HeaderValue::try_from(v).ok()) {
                    response.headers_mut().insert(http::header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Self::ReverificationRequired(reverification) => {
                let body = serde_json::json!({
                    "clerk_error": {
                        "type": "forbidden",
                        "reason": "reverification-error",
                        "metadata": { "reverification": reverification.metadata() },
                    }
                });
                let json = HeaderValue::from_static("application/json");
                (StatusCode::FORBIDDEN, [(http::header::CONTENT_TYPE, json)], body.to_string()).into_response()
            }
            Self::Misconfigured(problem) => {
                tracing::error!(%problem, "protect is misconfigured");
                (StatusCode::INTERNAL_SERVER_ERROR, format!("axum-clerk: {problem}")).into_response()
            }
            Self::MissingLayer(missing) => missing.into_response(),
        }
    }
}

impl fmt::Display for ProtectRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redirect(redirect) => write!(f, "refused by protect: redirected to {}", redirect.location()),
            Self::Status(status) => write!(f, "refused by protect: {status}"),
            Self::Unauthorized { .. } => f.write_str("refused by protect: 401 Unauthorized (machine context)"),
            Self::ReverificationRequired(reverification) => {
                write!(f, "refused by protect: reverification required ({})", reverification.metadata())
            }
            Self::Unavailable { retry_after_secs } => {
                write!(
                    f,
                    "authentication unavailable (verification keys or the Backend API); retry in {retry_after_secs} s"
                )
            }
            Self::Misconfigured(problem) => write!(f, "protect is misconfigured: {problem}"),
            Self::MissingLayer(missing) => missing.fmt(f),
        }
    }
}

impl std::error::Error for ProtectRejection {}

impl From<MissingClerkLayer> for ProtectRejection {
    fn from(missing: MissingClerkLayer) -> Self {
        Self::MissingLayer(missing)
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::MissingHeader(_) | Self::InvalidHeader(_) | Self::InvalidTimestamp | Self::Payload(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::StaleTimestamp | Self::BadSignature => StatusCode::UNAUTHORIZED,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidSecret | Self::NotConfigured => {
                tracing::error!(error = %self, "clerk: webhook verification is misconfigured");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        tracing::debug!(error = %self, "clerk: webhook refused");
        (status, format!("webhook refused: {self}")).into_response()
    }
}

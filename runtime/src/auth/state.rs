//! The outcome of authenticating one request: Clerk's `RequestState` and `AuthStatus`.

use http::HeaderMap;
use std::sync::Arc;

use crate::auth::{Auth, AuthContext, AuthData};
use crate::error::Reason;
use crate::request::flow::SignedOut;

/// `signed-in`, `signed-out` or `handshake` (Clerk's `AuthStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthStatus {
    /// A verified session token of an active session was presented.
    SignedIn,
    /// No token, one that failed verification, or a session that is not active.
    SignedOut,
    /// The browser must go through Clerk's handshake first: the state's
    /// [`headers`](RequestState::headers) hold the redirect (`Location`). The auth is signed out.
    Handshake,
}

impl AuthStatus {
    /// `"signed-in"` or `"signed-out"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed-in",
            Self::SignedOut => "signed-out",
            Self::Handshake => "handshake",
        }
    }
}

/// The outcome of authenticating one request: Clerk's `RequestState`.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use axum_clerk::{AuthStatus, Clerk, ClerkConfig, Reason};
/// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build()?)?;
/// let state = clerk.authenticate(&http::Request::get("/").body(())?).await;
/// assert_eq!(state.status(), AuthStatus::SignedOut);
/// assert_eq!(state.reason(), Some(Reason::SessionTokenAndUatMissing));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RequestState {
    status: AuthStatus,
    reason: Option<Reason>,
    message: String,
    auth: Auth,
    headers: HeaderMap,
}

impl RequestState {
    /// A request whose token verified. Its status is what its `Auth` says: a pending session
    /// (unless configured signed in) or a token without a user is signed out, with no reason.
    pub(crate) fn verified(data: Arc<AuthData>, ctx: AuthContext) -> Self {
        let auth = Auth::new(data, Some(ctx));
        let status = if auth.is_authenticated() { AuthStatus::SignedIn } else { AuthStatus::SignedOut };
        Self { status, reason: None, message: String::new(), auth, headers: HeaderMap::new() }
    }

    /// A request that ended signed out.
    pub(crate) fn signed_out(out: SignedOut, mut ctx: AuthContext) -> Self {
        ctx.infrastructure = out.infrastructure;
        let auth = Auth::new(Auth::signed_out_data(), Some(ctx));
        Self {
            status: AuthStatus::SignedOut,
            reason: Some(out.reason),
            message: out.message,
            auth,
            headers: HeaderMap::new(),
        }
    }

    /// A request the browser must take through Clerk's handshake; `headers` hold the redirect.
    pub(crate) fn handshake(out: SignedOut, ctx: AuthContext, headers: HeaderMap) -> Self {
        Self { status: AuthStatus::Handshake, headers, ..Self::signed_out(out, ctx) }
    }

    /// The same state with `headers` (a resolved handshake's or a refresh's `Set-Cookie`s, and
    /// on a development instance the `Location` to go back to).
    pub(crate) fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// The headers Clerk's middleware sends with the response (Clerk's `requestState.headers`):
    /// for a handshake, its redirect (`Location`, `Cache-Control`, the redirect counter cookie);
    /// after a handshake was resolved or a session refreshed, the `Set-Cookie`s of the new
    /// session, and on a development instance a `Location` back to the page without the
    /// handshake's parameters. [`ClerkLayer`](crate::ClerkLayer) answers a state with a
    /// `Location` itself (307) and adds the headers of any other state to the handler's response.
    ///
    /// ```
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum_clerk::{Clerk, ClerkConfig};
    /// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build()?)?;
    /// let state = clerk.authenticate(&http::Request::get("/").body(())?).await;
    /// assert!(state.headers().is_empty());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Takes the headers out (see [`Self::headers`]).
    pub(crate) fn take_headers(&mut self) -> HeaderMap {
        std::mem::take(&mut self.headers)
    }

    /// Signed in or out.
    #[must_use]
    pub fn status(&self) -> AuthStatus {
        self.status
    }

    /// Why the request is signed out (`None` when signed in, and for a verified token whose
    /// session is not active).
    #[must_use]
    pub fn reason(&self) -> Option<Reason> {
        self.reason
    }

    /// Clerk's message for a signed-out request (`""` when there is none).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The auth object (signed out unless the token verified and the session is active).
    #[must_use]
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Takes the auth object.
    #[must_use]
    pub fn into_auth(self) -> Auth {
        self.auth
    }

    /// True when the request is signed out only because no verification key could be had (JWKS
    /// endpoint down or unusable with nothing cached). Such a request must get a 503, not a
    /// sign-in redirect.
    #[must_use]
    pub fn is_infrastructure_failure(&self) -> bool {
        self.auth.context().is_some_and(|ctx| ctx.infrastructure)
    }
}

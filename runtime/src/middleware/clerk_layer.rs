//! `ClerkLayer`: Clerk's `clerkMiddleware()` for axum/tower. Authenticates each request once,
//! puts its [`Auth`] in the request's extensions (for the extractors) and in a task-local around
//! the inner service's whole call (for [`auth()`]), and adds Clerk's `x-clerk-auth-*` headers to
//! signed-out responses. A request that must go through Clerk's handshake is answered by the
//! layer itself (307, no handler runs); the cookies of a resolved handshake or a refreshed
//! session are added to the handler's response.

use futures_util::future::BoxFuture;
use http::{Request, Response};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

use crate::audit::RequireDecision;
use crate::auth::Auth;
use crate::clerk::Clerk;
use crate::response::auth_headers::SignedOutHeaders;
use crate::response::rejection::MissingClerkLayer;
use crate::response::state_response;
use crate::verify::token_type::AcceptsToken;

tokio::task_local! {
    static CURRENT_AUTH: Auth;
}

/// The auth state of the request this task is serving: Clerk's `auth()`.
///
/// Works anywhere in the request's task below [`ClerkLayer`] — in a handler, in a helper it
/// calls, in a nested service or middleware. Task-locals do not cross `tokio::spawn`: pass the
/// `Auth` along (the extractors read it from the request itself).
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_clerk::{auth, MissingClerkLayer};
///
/// async fn whoami() -> Result<String, MissingClerkLayer> {
///     Ok(auth()?.user_id().unwrap_or("nobody").to_owned())
/// }
/// # let clerk = axum_clerk::Clerk::new(axum_clerk::ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
/// let app: Router = Router::new().route("/whoami", get(whoami)).layer(axum_clerk::ClerkLayer::new(clerk));
/// ```
///
/// # Errors
/// [`MissingClerkLayer`] when called outside a request served through [`ClerkLayer`].
pub fn auth() -> Result<Auth, MissingClerkLayer> {
    let auth = CURRENT_AUTH.try_with(Clone::clone).map_err(|_| MissingClerkLayer)?;
    auth.mark_decided();
    Ok(auth)
}

/// Authenticates every request with a [`Clerk`] instance. Add it with `Router::layer`, after the
/// routes it covers, or around the whole router.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_clerk::{Auth, Clerk, ClerkConfig, ClerkLayer};
///
/// async fn me(auth: Auth) -> String {
///     auth.user_id().unwrap_or("signed out").to_owned()
/// }
///
/// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
/// let app: Router = Router::new().route("/me", get(me)).layer(ClerkLayer::new(clerk));
/// ```
///
/// The request's [`Auth`] is in its extensions, where the extractors ([`Auth`], `Option<Auth>`,
/// [`SignedIn`](crate::SignedIn), `Extension<Auth>`, `#[protect]`) and
/// [`ProtectLayer`](crate::ProtectLayer) find it, and in a task-local for [`auth()`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClerkLayer {
    clerk: Clerk,
    accepts: AcceptsToken,
    require: Option<RequireDecision>,
}

impl ClerkLayer {
    /// A layer authenticating with `clerk`, session tokens only (Clerk's default).
    pub fn new(clerk: Clerk) -> Self {
        Self { clerk, accepts: AcceptsToken::default(), require: None }
    }

    /// Deny by default: a response produced without any authorization decision on its way — no
    /// `#[public]`, `#[auth]`, `#[protect]`, `Auth`/`SignedIn`/`Option<Auth>` extractor,
    /// `auth()`, `ProtectLayer` or `auth.protect(…)` — is logged with its method and path
    /// ([`RequireDecision::Log`]) or answered 404 instead ([`RequireDecision::Deny`]). A route
    /// someone forgot to annotate shows up in development instead of shipping open.
    /// (`Extension<Auth>` is axum's own extractor and is not seen.)
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use axum_clerk::{public, Clerk, ClerkConfig, ClerkLayer, RequireDecision};
    ///
    /// #[public]
    /// async fn health() -> &'static str { "ok" }
    ///
    /// async fn forgotten() -> &'static str { "oops" } // answered 404 under Deny
    ///
    /// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
    /// let app: Router = Router::new()
    ///     .route("/health", get(health))
    ///     .route("/forgotten", get(forgotten))
    ///     .layer(ClerkLayer::new(clerk).require_decision(RequireDecision::Deny));
    /// ```
    pub fn require_decision(mut self, mode: RequireDecision) -> Self {
        self.require = Some(mode);
        self
    }

    /// The token types this layer verifies (Clerk's `acceptsToken`): for instance
    /// `AcceptsToken::ANY` to let API keys, M2M and OAuth tokens through to the routes that
    /// accept them (`#[protect(token = …)]`). Machine tokens are read from `Authorization` only;
    /// a token of a type not listed is signed out with `token-type-mismatch`.
    ///
    /// ```
    /// use axum_clerk::{AcceptsToken, Clerk, ClerkConfig, ClerkLayer, TokenType};
    /// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
    /// let layer = ClerkLayer::new(clerk).accepts_token(AcceptsToken::only(TokenType::SessionToken).or(TokenType::ApiKey));
    /// ```
    pub fn accepts_token(mut self, accepts: impl Into<AcceptsToken>) -> Self {
        self.accepts = accepts.into();
        self
    }
}

impl<S> Layer<S> for ClerkLayer {
    type Service = ClerkService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClerkService { inner, clerk: self.clerk.clone(), accepts: self.accepts, require: self.require }
    }
}

/// The service [`ClerkLayer`] wraps around the inner service.
#[derive(Debug, Clone)]
pub struct ClerkService<S> {
    inner: S,
    clerk: Clerk,
    accepts: AcceptsToken,
    require: Option<RequireDecision>,
}

impl<S> ClerkService<S> {
    /// Wraps `inner`, session tokens only (see [`ClerkLayer::accepts_token`]).
    pub fn new(inner: S, clerk: Clerk) -> Self {
        Self { inner, clerk, accepts: AcceptsToken::default(), require: None }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B, ResBody> Service<Request<B>> for ClerkService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The service driven to readiness goes with the future (tower's usual swap): it is
        // called once the request is authenticated, which may wait for the JWKS.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (clerk, accepts, require) = (self.clerk.clone(), self.accepts, self.require);
        // Only kept when the decision is checked: a plain request pays nothing for it.
        let route = require.map(|_| (request.method().clone(), request.uri().path().to_owned()));
        // One span per request, filled in once the request is authenticated; the inner service
        // runs inside it, so a handler's events carry the outcome.
        let span = tracing::debug_span!(
            "clerk",
            clerk.status = tracing::field::Empty,
            clerk.reason = tracing::field::Empty,
            clerk.token_carrier = tracing::field::Empty,
            clerk.token_type = tracing::field::Empty,
            enduser.id = tracing::field::Empty,
            clerk.org_id = tracing::field::Empty,
        );
        let future = async move {
            let mut state = clerk.authenticate_parts(request.method(), request.uri(), request.headers(), accepts).await;
            let debug_headers = SignedOutHeaders::of(&state);
            let state_headers = state.take_headers();
            if state_response::is_redirect(&state_headers) {
                return Ok(state_response::redirect(state_headers, debug_headers));
            }
            let auth = state.into_auth();
            let decided = route.as_ref().map(|_| auth.clone());
            request.extensions_mut().insert(auth.clone());
            // `auth()` answers in the inner service's `call` and in its future alike.
            let response = CURRENT_AUTH.sync_scope(auth.clone(), || inner.call(request));
            let mut response = CURRENT_AUTH.scope(auth, response).await?;
            if let Some(headers) = debug_headers {
                headers.add_to(response.headers_mut());
            }
            state_response::add_state_headers(state_headers, response.headers_mut());
            if let (Some(mode), Some(auth), Some((method, path))) = (require, decided, route) {
                if !auth.is_decided() {
                    tracing::warn!(%method, path, "clerk: a response was produced without any authorization decision");
                    if mode == RequireDecision::Deny {
                        return Ok(state_response::not_found());
                    }
                }
            }
            Ok(response)
        };
        ResponseFuture { future: Box::pin(tracing::Instrument::instrument(future, span)) }
    }
}

/// The response future of [`ClerkService`]: authenticates the request, then runs the inner
/// service under the request's `Auth`.
pub struct ResponseFuture<T, E> {
    future: BoxFuture<'static, Result<T, E>>,
}

impl<T, E> Future for ResponseFuture<T, E> {
    type Output = Result<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl<T, E> fmt::Debug for ResponseFuture<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

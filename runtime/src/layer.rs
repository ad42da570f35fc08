//! `ClerkLayer`: Clerk's `clerkMiddleware()` for axum/tower. Authenticates each request once,
//! stores the [`Auth`] in the request extensions and in a task-local for [`auth()`], and adds
//! Clerk's `x-clerk-auth-*` headers to signed-out responses.

use futures_util::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::futures::TaskLocalFuture;
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::Auth;
use crate::clerk::Clerk;
use crate::context::{RequestContext, RequestInfo};
use crate::rejection::MissingClerkLayer;
use crate::request::{AuthStatus, RequestState};

tokio::task_local! {
    static CURRENT_AUTH: Auth;
}

/// The auth state of the request this task is serving: Clerk's `auth()`.
///
/// Works anywhere in the request's task below [`ClerkLayer`] — in a handler, in a helper it
/// calls, in a nested service. (Task-locals do not cross `tokio::spawn`: pass the `Auth` along.)
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
    CURRENT_AUTH.try_with(Clone::clone).map_err(|_| MissingClerkLayer)
}

/// Authenticates every request with a [`Clerk`] instance. Add it with `Router::layer`, after the
/// routes it covers.
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
#[derive(Debug, Clone)]
#[must_use]
pub struct ClerkLayer {
    clerk: Clerk,
}

impl ClerkLayer {
    /// A layer authenticating with `clerk`.
    pub fn new(clerk: Clerk) -> Self {
        Self { clerk }
    }
}

impl<S> Layer<S> for ClerkLayer {
    type Service = ClerkService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClerkService { inner, clerk: self.clerk.clone() }
    }
}

/// The service [`ClerkLayer`] wraps around the inner service.
#[derive(Debug, Clone)]
pub struct ClerkService<S> {
    inner: S,
    clerk: Clerk,
}

impl<S> ClerkService<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, clerk: Clerk) -> Self {
        Self { inner, clerk }
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
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let clerk = self.clerk.clone();
        // Known without waiting (a token verified before, or signed out without needing a key):
        // the service driven to readiness is called right away under the task-local; no clone
        // of it and no boxed future.
        let pending = match clerk.authenticate_now(request.uri(), request.headers()) {
            Ok(state) => {
                let (auth, debug_headers) = attach(clerk, state, &mut request);
                let future = CURRENT_AUTH.sync_scope(auth.clone(), || self.inner.call(request));
                return ResponseFuture {
                    kind: Kind::Ready { future: CURRENT_AUTH.scope(auth, future), debug_headers },
                };
            }
            Err(pending) => pending,
        };
        // Otherwise the future owns the ready service (tower's usual swap) while it verifies.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture {
            kind: Kind::Boxed {
                future: Box::pin(async move {
                    let state = clerk.finish(pending).await;
                    let (auth, debug_headers) = attach(clerk, state, &mut request);
                    let response = CURRENT_AUTH.scope(auth, async move { inner.call(request).await }).await?;
                    Ok(with_debug_headers(response, debug_headers))
                }),
            },
        }
    }
}

/// Puts the request's `Auth` (with the context later decisions need) into its extensions and
/// returns it with the debug headers of the response (none when signed in).
fn attach<B>(clerk: Clerk, state: RequestState, request: &mut Request<B>) -> (Auth, Option<HeaderMap>) {
    let ctx = RequestContext {
        request: Some(RequestInfo::from_request(request.uri(), request.headers())),
        infrastructure: state.is_infrastructure_failure(),
        clerk,
    };
    let debug_headers = (state.status() == AuthStatus::SignedOut).then(|| state.debug_headers());
    let auth = state.into_auth().with_context(ctx);
    request.extensions_mut().insert(auth.clone());
    (auth, debug_headers)
}

/// Clerk's `x-clerk-auth-*` headers on a signed-out response, unless the handler set them.
fn with_debug_headers<ResBody>(mut response: Response<ResBody>, debug_headers: Option<HeaderMap>) -> Response<ResBody> {
    for (name, value) in debug_headers.iter().flatten() {
        if !response.headers().contains_key(name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

pin_project! {
    /// The response future of [`ClerkService`]: the inner service's future under the task-local
    /// when the request was authenticated without waiting, else a boxed future that verifies
    /// the token first.
    pub struct ResponseFuture<F: Future> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProjection]
    enum Kind<F: Future> {
        Ready { #[pin] future: TaskLocalFuture<Auth, F>, debug_headers: Option<HeaderMap> },
        Boxed { future: BoxFuture<'static, F::Output> },
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project().kind.project() {
            KindProjection::Ready { future, debug_headers } => match future.poll(cx) {
                Poll::Ready(Ok(response)) => Poll::Ready(Ok(with_debug_headers(response, debug_headers.take()))),
                other => other,
            },
            KindProjection::Boxed { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F: Future> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

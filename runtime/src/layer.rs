//! `ClerkLayer`: Clerk's `clerkMiddleware()` for axum/tower. Authenticates each request once,
//! keeps the [`Auth`] in a task-local for [`auth()`] and the extractors (and, opted in, in the
//! request extensions), and adds Clerk's `x-clerk-auth-*` headers to signed-out responses.

use futures_util::future::BoxFuture;
use http::{Extensions, Request, Response};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::futures::TaskLocalFuture;
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::Auth;
use crate::clerk::{Clerk, LocalClerk};
use crate::context::{RequestContext, RequestInfo};
use crate::headers::RequestHeaders;
use crate::rejection::MissingClerkLayer;
use crate::request::{Decided, SignedOutHeaders};

tokio::task_local! {
    static CURRENT_AUTH: Auth;
}

/// The auth state of the request this task is serving: Clerk's `auth()`.
///
/// Works anywhere in the request's task below [`ClerkLayer`] — in a handler, in a helper it
/// calls, in the future of a nested service or middleware. (Task-locals do not cross
/// `tokio::spawn`: pass the `Auth` along, or see [`ClerkLayer::auth_in_extensions`]. Nor are they
/// set during the synchronous body of a hand-written `Service::call` below the layer: read it in
/// the future that call returns.)
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

/// The `Auth` of the request being extracted: the task-local of the [`ClerkLayer`] serving it,
/// else — for a request carried out of that task — the one the layer put in its extensions
/// ([`ClerkLayer::auth_in_extensions`]).
pub(crate) fn request_auth(extensions: &Extensions) -> Result<Auth, MissingClerkLayer> {
    CURRENT_AUTH.try_with(Clone::clone).ok().or_else(|| extensions.get::<Auth>().cloned()).ok_or(MissingClerkLayer)
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
///
/// The extractors ([`Auth`], `Option<Auth>`, [`SignedIn`](crate::SignedIn), `#[protect]`),
/// [`ProtectLayer`](crate::ProtectLayer) and [`auth()`] read the request's `Auth` from a
/// task-local the layer sets around the inner service. To also find it in the request extensions
/// (`Extension<Auth>`, or a request handed to another task), opt in with
/// [`auth_in_extensions`](Self::auth_in_extensions).
///
/// `Router::layer` wraps every route once more, which axum charges per request whatever the
/// layer (~1 000 instructions here). Wrapped around the whole router instead, the layer costs
/// only its own work — every route is then authenticated, as with Clerk's middleware:
///
/// ```
/// use axum::{extract::Request, routing::get, Router, ServiceExt};
/// use axum_clerk::{Clerk, ClerkConfig, ClerkLayer};
/// use tower_layer::Layer as _;
///
/// # async fn run() {
/// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
/// let router = Router::new().route("/", get(|| async { "home" }));
/// let app = ClerkLayer::new(clerk).layer(router);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let serve =
/// axum::serve(listener, ServiceExt::<Request>::into_make_service(app));
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClerkLayer {
    clerk: Clerk,
    extensions: bool,
}

impl ClerkLayer {
    /// A layer authenticating with `clerk`.
    pub fn new(clerk: Clerk) -> Self {
        Self { clerk, extensions: false }
    }

    /// Also puts each request's [`Auth`] in its extensions, for `Extension<Auth>`,
    /// `request.extensions().get::<Auth>()`, and extractors run on a request that was moved to
    /// another task (where the task-local is not set).
    ///
    /// Off by default: the insert, and the growth of the extensions map it usually causes, was
    /// the largest part of the layer's cost per request (see `BENCHMARKS.md`).
    ///
    /// ```
    /// use axum::{routing::get, Extension, Router};
    /// use axum_clerk::{Auth, Clerk, ClerkConfig, ClerkLayer};
    ///
    /// async fn me(Extension(auth): Extension<Auth>) -> String {
    ///     auth.user_id().unwrap_or("signed out").to_owned()
    /// }
    ///
    /// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
    /// let app: Router = Router::new().route("/me", get(me)).layer(ClerkLayer::new(clerk).auth_in_extensions());
    /// ```
    pub fn auth_in_extensions(mut self) -> Self {
        self.extensions = true;
        self
    }
}

impl<S> Layer<S> for ClerkLayer {
    type Service = ClerkService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClerkService { inner, clerk: LocalClerk::of(&self.clerk), extensions: self.extensions }
    }
}

/// The service [`ClerkLayer`] wraps around the inner service.
#[derive(Debug, Clone)]
pub struct ClerkService<S> {
    inner: S,
    /// Counted per thread: axum clones the service for every request.
    clerk: LocalClerk,
    extensions: bool,
}

impl<S> ClerkService<S> {
    /// Wraps `inner` (the `Auth` is not put in the request extensions; see
    /// [`ClerkLayer::auth_in_extensions`]).
    pub fn new(inner: S, clerk: Clerk) -> Self {
        Self { inner, clerk: LocalClerk::of(&clerk), extensions: false }
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
        // Counted where the service is: axum and hyper clone the service on the thread serving the
        // request, so this is that thread's handle without a second table lookup.
        let clerk = self.clerk.share();
        // Known without waiting (a token verified before, or signed out without needing a key):
        // the service driven to readiness is called right away and its future runs under the
        // task-local; no clone of it and no boxed future.
        // One walk over the headers serves the decision and the context redirects need.
        let found = RequestHeaders::read(request.headers());
        let info = RequestInfo::from_request(request.uri(), &found, clerk.is_development());
        let pending = match clerk.authenticate_now(request.uri(), &found) {
            Ok(decided) => {
                let (auth, debug_headers) = attach(clerk, decided, info, &mut request, self.extensions);
                let future = self.inner.call(request);
                return ResponseFuture {
                    kind: Kind::Ready { future: CURRENT_AUTH.scope(auth, future), debug_headers },
                };
            }
            Err(pending) => pending,
        };
        // Otherwise the future owns the ready service (tower's usual swap) while it verifies.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let extensions = self.extensions;
        ResponseFuture {
            kind: Kind::Boxed {
                future: Box::pin(async move {
                    let decided = clerk.finish(pending).await;
                    let (auth, debug_headers) = attach(clerk, decided, info, &mut request, extensions);
                    let response = CURRENT_AUTH.scope(auth, async move { inner.call(request).await }).await?;
                    Ok(with_debug_headers(response, debug_headers))
                }),
            },
        }
    }
}

/// The request's `Auth` (with the context later decisions need), put in its extensions when
/// asked, and the debug headers of the response (none when signed in).
fn attach<B>(
    clerk: LocalClerk,
    decided: Decided,
    info: RequestInfo,
    request: &mut Request<B>,
    extensions: bool,
) -> (Auth, Option<SignedOutHeaders>) {
    let infrastructure = decided.is_infrastructure_failure();
    let (auth, debug_headers) = decided.into_auth(RequestContext { request: Some(info), infrastructure, clerk });
    if extensions {
        request.extensions_mut().insert(auth.clone());
    }
    (auth, debug_headers)
}

/// Clerk's `x-clerk-auth-*` headers on a signed-out response, unless the handler set them.
fn with_debug_headers<ResBody>(
    mut response: Response<ResBody>,
    debug_headers: Option<SignedOutHeaders>,
) -> Response<ResBody> {
    if let Some(headers) = debug_headers {
        headers.add_to(response.headers_mut());
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
        Ready { #[pin] future: TaskLocalFuture<Auth, F>, debug_headers: Option<SignedOutHeaders> },
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
            // A signed-in request has no debug headers: its response is passed on untouched.
            KindProjection::Ready { future, debug_headers: None } => future.poll(cx),
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

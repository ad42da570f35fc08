//! `ProtectLayer`: a [`Protect`] rule on every route below it (Next.js `layout.tsx` +
//! `auth.protect()`), decided from the `Auth` [`ClerkLayer`](crate::ClerkLayer) put in the
//! request before the inner service is called.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::Request;
use pin_project_lite::pin_project;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::request_auth;
use crate::protect::Protect;

/// Applies a [`Protect`] rule to every route below it. Use it with `Router::route_layer` (so
/// unmatched paths still 404) or on a nested router; [`ClerkLayer`](crate::ClerkLayer) must be
/// installed outside it.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_clerk::{Clerk, ClerkConfig, ClerkLayer, Protect, ProtectLayer};
///
/// let dashboard: Router = Router::new()
///     .route("/", get(|| async { "dashboard" }))
///     .route("/settings", get(|| async { "settings" }))
///     .route_layer(ProtectLayer::new(Protect::signed_in()));
/// # let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
/// let app: Router = Router::new().nest("/dashboard", dashboard).layer(ClerkLayer::new(clerk));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ProtectLayer {
    rule: Arc<Protect>,
}

impl ProtectLayer {
    /// A layer enforcing `rule`.
    pub fn new(rule: Protect) -> Self {
        Self { rule: Arc::new(rule) }
    }
}

impl<S> Layer<S> for ProtectLayer {
    type Service = ProtectService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProtectService { inner, rule: Arc::clone(&self.rule) }
    }
}

/// The service of [`ProtectLayer`].
#[derive(Debug, Clone)]
pub struct ProtectService<S> {
    inner: S,
    rule: Arc<Protect>,
}

impl<S> Service<Request<Body>> for ProtectService<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ProtectFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let decision = request_auth(request.extensions()).map_err(Into::into).and_then(|auth| auth.check(&self.rule));
        match decision {
            Ok(()) => ProtectFuture { kind: Kind::Allowed { future: self.inner.call(request) } },
            Err(rejection) => ProtectFuture { kind: Kind::Refused { response: Some(rejection.into_response()) } },
        }
    }
}

pin_project! {
    /// The response future of [`ProtectService`]: the inner service's, or the refusal.
    pub struct ProtectFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProjection]
    enum Kind<F> {
        Allowed { #[pin] future: F },
        Refused { response: Option<Response> },
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for ProtectFuture<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProjection::Allowed { future } => future.poll(cx),
            KindProjection::Refused { response } => Poll::Ready(Ok(response.take().unwrap_or_default())),
        }
    }
}

impl<F> std::fmt::Debug for ProtectFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtectFuture").finish_non_exhaustive()
    }
}

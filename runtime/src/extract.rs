//! Reading the auth state in handlers: the [`Auth`] extractor, `Option<Auth>`, [`SignedIn`], and
//! [`ProtectLayer`] for whole route trees (Next.js `layout.tsx` + `auth.protect()`).

use axum::body::Body;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, FutureExt as _};
use http::request::Parts;
use http::Request;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::Auth;
use crate::layer::request_auth;
use crate::protect::{Protect, SignedIn};
use crate::rejection::{MissingClerkLayer, ProtectRejection};

/// `Auth` as an extractor: the request's auth state, signed in or not. Fails with 500
/// ([`MissingClerkLayer`]) when [`ClerkLayer`](crate::ClerkLayer) is not installed (or the request
/// was moved to another task without
/// [`auth_in_extensions`](crate::ClerkLayer::auth_in_extensions)).
impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = MissingClerkLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        request_auth(&parts.extensions)
    }
}

/// `Option<Auth>`: `Some` when signed in, `None` when signed out; still a 500 without the layer.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Auth {
    type Rejection = MissingClerkLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        let auth = request_auth(&parts.extensions)?;
        Ok(auth.is_signed_in().then(|| auth.clone()))
    }
}

/// `SignedIn` as an extractor: `auth.protect()` with no argument. Signed-out page requests are
/// sent to sign-in, other signed-out requests get 404.
impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = ProtectRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        request_auth(&parts.extensions)?.into_protected(&Protect::signed_in())
    }
}

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
        ProtectService { inner, rule: self.rule.clone() }
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
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rule = Arc::clone(&self.rule);
        // Decided in the future, where `ClerkLayer`'s task-local is set.
        async move {
            let decision = match request_auth(request.extensions()) {
                Err(missing) => Err(ProtectRejection::from(missing)),
                Ok(auth) => auth.check(&rule),
            };
            match decision {
                Ok(()) => inner.call(request).await,
                Err(rejection) => Ok(rejection.into_response()),
            }
        }
        .boxed()
    }
}

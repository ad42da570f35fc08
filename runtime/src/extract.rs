//! The extractors: [`Auth`], `Option<Auth>` and [`SignedIn`]. Each reads the `Auth`
//! [`ClerkLayer`](crate::ClerkLayer) put in the request's extensions, and nothing else: a request
//! that did not pass through the layer — a sub-request a handler dispatches, say — gets
//! [`MissingClerkLayer`], never the identity of the request that made it.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use http::Extensions;

use crate::auth::Auth;
use crate::protect::{Protect, SignedIn};
use crate::response::rejection::{MissingClerkLayer, ProtectRejection};

/// The `Auth` the layer put in the request; reading it is an authorization decision.
pub(crate) fn request_auth(extensions: &Extensions) -> Result<Auth, MissingClerkLayer> {
    let auth = extensions.get::<Auth>().ok_or(MissingClerkLayer)?;
    auth.mark_decided();
    Ok(auth.clone())
}

/// `Auth` as an extractor: the request's auth state, signed in or not. Fails with 500
/// ([`MissingClerkLayer`]) when [`ClerkLayer`](crate::ClerkLayer) is not installed.
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
        Ok(auth.is_signed_in().then_some(auth))
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

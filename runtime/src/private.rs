//! Used by code that `#[auth]` and `#[protect]` generate. Not public API: it may change in any
//! release (the macros crate is pinned with `=`).

use axum::extract::FromRequestParts;
use http::request::Parts;
use std::marker::PhantomData;

pub use crate::{AcceptsToken, Access, Auth, Check, DeclaredRoute, Protect, Reverification, SignedIn, TokenType};
pub use inventory;
pub use std::sync::LazyLock;

use crate::response::rejection::ProtectRejection;

/// A `#[protect]` rule, attached to a hidden unit type next to the handler.
pub trait ProtectRule: 'static {
    /// The rule, built once.
    fn rule() -> &'static Protect;
}

/// The first extractor of a `#[protect]` handler: runs the rule before any other extractor.
pub struct Guard<R> {
    signed_in: SignedIn,
    rule: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for Guard<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Guard").field(&self.signed_in).finish()
    }
}

impl<R> Guard<R> {
    /// The signed-in view bound as `auth` in the handler.
    pub fn into_signed_in(self) -> SignedIn {
        self.signed_in
    }
}

impl<S: Send + Sync, R: ProtectRule> FromRequestParts<S> for Guard<R> {
    type Rejection = ProtectRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let signed_in = crate::extract::request_auth(&parts.extensions)?.into_protected(R::rule())?;
        Ok(Self { signed_in, rule: PhantomData })
    }
}

/// The hidden first extractor of a `#[public]` handler: records that the route is open on
/// purpose (for [`RequireDecision`](crate::RequireDecision)); never refuses, with or without
/// `ClerkLayer`.
#[derive(Debug)]
pub struct Public;

impl<S: Send + Sync> FromRequestParts<S> for Public {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.extensions.get::<Auth>() {
            auth.mark_decided();
        }
        Ok(Self)
    }
}

/// Pins a `has = …` expression to `Fn(&Auth) -> bool`, so closures need no type annotations.
pub fn predicate<F: Fn(&Auth) -> bool>(f: F) -> F {
    f
}

const fn key_segment(bytes: &[u8], mut i: usize, end: usize) -> bool {
    if i >= end {
        return false;
    }
    while i < end {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

const fn starts_with(bytes: &[u8], prefix: &[u8]) -> bool {
    if bytes.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if bytes[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Compile-time check of a permission constant: `org:<feature>:<action>`, not `org:sys_*`.
pub const fn assert_permission(permission: &str) {
    let b = permission.as_bytes();
    assert!(starts_with(b, b"org:"), "#[protect] permission must look like \"org:<feature>:<action>\"");
    let mut colon = 4;
    while colon < b.len() && b[colon] != b':' {
        colon += 1;
    }
    assert!(
        key_segment(b, 4, colon) && colon < b.len() && key_segment(b, colon + 1, b.len()),
        "#[protect] permission must look like \"org:<feature>:<action>\" (lowercase, no spaces)"
    );
    assert!(
        !starts_with(b, b"org:sys_"),
        "#[protect] permission is a system permission (org:sys_*): Clerk never puts those in session tokens"
    );
}

/// Compile-time check of a role constant: `org:<role>`.
pub const fn assert_role(role: &str) {
    let b = role.as_bytes();
    assert!(
        starts_with(b, b"org:") && key_segment(b, 4, b.len()),
        "#[protect] role must look like \"org:<role>\" (lowercase, no spaces)"
    );
}

//! The `Auth` object: who made the request, as Clerk's `auth()` describes it.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

use crate::claims::{org_claims, OrgClaims, RoutingClaims};
use crate::context::RequestContext;

/// The authentication state of one request: Clerk's `Auth` object.
///
/// Signed in, it carries the user, session and active organisation of a verified session token;
/// signed out, every field is `None`. It serialises with Clerk's JSON field names (`userId`,
/// `sessionId`, `orgRole`, …), so `Json(auth)` answers what `auth()` would in Next.js.
///
/// ```
/// use axum_clerk::Auth;
/// let auth = Auth::signed_out();
/// assert!(!auth.is_signed_in());
/// assert_eq!(auth.user_id(), None);
/// let json = serde_json::to_value(&auth).unwrap();
/// assert_eq!(json["userId"], serde_json::Value::Null);
/// assert_eq!(json["isAuthenticated"], false);
/// ```
#[derive(Clone)]
pub struct Auth(Arc<AuthInner>);

/// One request's auth: what its token says, and the request it came with. Every clone a request
/// makes (extensions, task-local, extractors) counts references here, in memory of this request
/// alone; the token's [`AuthData`], shared with the cache and with every other request presenting
/// the same token, is counted once per request. (Counting it on every clone made both worker
/// threads write the same cache line several times per request.)
struct AuthInner {
    data: DataHandle,
    /// The request and instance this auth belongs to, for `protect`, redirects and `get_token`.
    ctx: Option<RequestContext>,
}

impl PartialEq for Auth {
    fn eq(&self, other: &Self) -> bool {
        self.0.data == other.0.data
    }
}

/// A counted handle on a token's shared [`AuthData`]. The verified-token cache keeps one handle
/// per token and thread, so the references requests count are written by one thread only; the
/// shared data itself is counted once per handle.
#[derive(Clone, PartialEq)]
#[expect(clippy::redundant_allocation, reason = "the outer count is the per-thread one")]
pub(crate) struct DataHandle(Arc<Arc<AuthData>>);

impl DataHandle {
    pub(crate) fn new(data: Arc<AuthData>) -> Self {
        Self(Arc::new(data))
    }

    /// The shared data this handle counts.
    pub(crate) fn shared(&self) -> &Arc<AuthData> {
        &self.0
    }
}

/// A handle on signed-out data (no user, no session, no organisation). Every signed-out request
/// has one, so each thread keeps one to count instead of allocating two blocks per request.
impl Default for DataHandle {
    fn default() -> Self {
        thread_local! {
            static SIGNED_OUT: DataHandle = DataHandle::new(Arc::new(AuthData::default()));
        }
        // `try_with`: during thread teardown the thread's handle is gone.
        SIGNED_OUT.try_with(Clone::clone).unwrap_or_else(|_| Self::new(Arc::new(AuthData::default())))
    }
}

impl std::ops::Deref for DataHandle {
    type Target = AuthData;

    fn deref(&self) -> &AuthData {
        &self.0
    }
}

/// What one verified token says: built once per distinct token, kept by the verified-token cache
/// and shared by every request presenting the token.
///
/// Aligned to 128 bytes so that the reference counts of its `Arc`, written by every request, do
/// not share a cache line (or an adjacent-line prefetch pair) with the fields requests read.
#[derive(Default, PartialEq)]
#[repr(align(128))]
pub(crate) struct AuthData {
    user_id: Option<String>,
    session_id: Option<String>,
    session_status: Option<String>,
    org: OrgClaims,
    actor: Option<Value>,
    factor_verification_age: Option<Value>,
    session_claims: Option<Map<String, Value>>,
    token: Option<String>,
    /// What the cookie rules read on every request (`iat` against `__client_uat`, and between
    /// the two cookie flavours), read once — for a signed-out token too.
    routing: RoutingClaims,
    /// The token has claims but no `azp` (a cookie carrying one is reported, on every request).
    lacks_azp: bool,
}

impl AuthData {
    /// Builds the state from the claims of a **verified** token (§2.6). A `sts: "pending"`
    /// session is signed out unless `pending_is_signed_in`, keeping `session_status`.
    pub(crate) fn from_verified_claims(
        claims: Map<String, Value>,
        token: &str,
        pending_is_signed_in: bool,
    ) -> Arc<Self> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let session_status = text("sts");
        let routing = RoutingClaims::of(&claims);
        // An empty `sub` passes Clerk's `sub` assertion, but Clerk's `protect` reads the falsy
        // `userId` as signed out; so is it here, rather than a signed-in user with no ID.
        let no_user = claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty);
        if no_user || (session_status.as_deref() == Some("pending") && !pending_is_signed_in) {
            return Arc::new(AuthData { session_status, routing, ..AuthData::default() });
        }
        let data = AuthData {
            user_id: text("sub"),
            session_id: text("sid"),
            session_status,
            org: org_claims(&claims),
            actor: claims.get("act").filter(|v| !v.is_null()).cloned(),
            factor_verification_age: claims.get("fva").filter(|v| !v.is_null()).cloned(),
            token: Some(token.to_owned()),
            routing,
            lacks_azp: !claims.contains_key("azp"),
            session_claims: Some(claims),
        };
        Arc::new(data)
    }

    /// The claims the cookie rules read (none for signed-out data not made from a token).
    pub(crate) fn routing(&self) -> &RoutingClaims {
        &self.routing
    }

    /// True when the token has claims and no `azp` among them.
    pub(crate) fn lacks_azp(&self) -> bool {
        self.lacks_azp
    }
}

impl Auth {
    /// The signed-out state: no user, no session, no organisation.
    #[must_use]
    pub fn signed_out() -> Self {
        Self::new(DataHandle::default(), None)
    }

    /// The auth of a token's data, with the request context when it belongs to one (set by the
    /// layer and by [`Clerk`](crate::Clerk)). Built in one step: the block is allocated once and
    /// never written again.
    #[inline]
    pub(crate) fn new(data: DataHandle, ctx: Option<RequestContext>) -> Self {
        Self(Arc::new(AuthInner { data, ctx }))
    }

    /// [`AuthData::from_verified_claims`] as an `Auth` (fuzzing and property tests).
    pub(crate) fn from_verified_claims(claims: Map<String, Value>, token: &str, pending_is_signed_in: bool) -> Self {
        Self::new(DataHandle::new(AuthData::from_verified_claims(claims, token, pending_is_signed_in)), None)
    }

    pub(crate) fn context(&self) -> Option<&RequestContext> {
        self.0.ctx.as_ref()
    }

    fn data(&self) -> &AuthData {
        &self.0.data
    }

    /// True when the request carries a valid, active session.
    #[must_use]
    pub fn is_signed_in(&self) -> bool {
        self.data().user_id.is_some()
    }

    /// The user ID (`sub`), e.g. `user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr`.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.data().user_id.as_deref()
    }

    /// The session ID (`sid`).
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.data().session_id.as_deref()
    }

    /// The session status (`sts`): `active` or `pending`.
    #[must_use]
    pub fn session_status(&self) -> Option<&str> {
        self.data().session_status.as_deref()
    }

    /// The active organisation's ID.
    #[must_use]
    pub fn org_id(&self) -> Option<&str> {
        self.data().org.id.as_deref()
    }

    /// The user's role in the active organisation, e.g. `org:admin` (v2 roles get the prefix).
    #[must_use]
    pub fn org_role(&self) -> Option<&str> {
        self.data().org.role.as_deref()
    }

    /// The active organisation's slug.
    #[must_use]
    pub fn org_slug(&self) -> Option<&str> {
        self.data().org.slug.as_deref()
    }

    /// The user's custom permissions in the active organisation, e.g. `org:team_settings:manage`.
    /// System permissions (`org:sys_*`) are never in session tokens.
    #[must_use]
    pub fn org_permissions(&self) -> Option<&[String]> {
        self.data().org.permissions.as_deref()
    }

    /// The actor (`act`) when the session is an impersonation.
    #[must_use]
    pub fn actor(&self) -> Option<&Value> {
        self.data().actor.as_ref()
    }

    /// Minutes since the first and second factor were verified (`fva`), `-1` when never.
    #[must_use]
    pub fn factor_verification_age(&self) -> Option<&Value> {
        self.data().factor_verification_age.as_ref()
    }

    /// All claims of the verified session token.
    #[must_use]
    pub fn session_claims(&self) -> Option<&Map<String, Value>> {
        self.data().session_claims.as_ref()
    }

    /// The verified session token itself (what `getToken()` returns without a template).
    #[must_use]
    pub fn token(&self) -> Option<&str> {
        self.data().token.as_deref()
    }

    pub(crate) fn org(&self) -> &OrgClaims {
        &self.data().org
    }

    /// The `fea` claim, `""` when absent.
    pub(crate) fn features(&self) -> &str {
        self.claim_str("fea")
    }

    /// The `pla` claim, `""` when absent.
    pub(crate) fn plans(&self) -> &str {
        self.claim_str("pla")
    }

    fn claim_str(&self, name: &str) -> &str {
        self.data().session_claims.as_ref().and_then(|c| c.get(name)).and_then(Value::as_str).unwrap_or_default()
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self::signed_out()
    }
}

impl fmt::Debug for Auth {
    // The token and raw claims are left out: they must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("user_id", &self.data().user_id)
            .field("session_id", &self.data().session_id)
            .field("session_status", &self.data().session_status)
            .field("org_id", &self.data().org.id)
            .field("org_role", &self.data().org.role)
            .field("org_permissions", &self.data().org.permissions)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AuthData {
    // As `Auth`'s: the token and raw claims must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthData").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

impl Serialize for Auth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.data();
        let mut s = serializer.serialize_struct("Auth", 12)?;
        s.serialize_field("userId", &d.user_id)?;
        s.serialize_field("sessionId", &d.session_id)?;
        s.serialize_field("sessionStatus", &d.session_status)?;
        s.serialize_field("orgId", &d.org.id)?;
        s.serialize_field("orgRole", &d.org.role)?;
        s.serialize_field("orgSlug", &d.org.slug)?;
        s.serialize_field("orgPermissions", &d.org.permissions)?;
        s.serialize_field("actor", &d.actor)?;
        s.serialize_field("factorVerificationAge", &d.factor_verification_age)?;
        s.serialize_field("sessionClaims", &d.session_claims)?;
        s.serialize_field("tokenType", "session_token")?;
        s.serialize_field("isAuthenticated", &self.is_signed_in())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(claims: Value) -> Arc<AuthData> {
        let Value::Object(claims) = claims else { unreachable!("an object") };
        AuthData::from_verified_claims(claims, "a.b.c", false)
    }

    #[test]
    fn routing_claims_and_a_missing_azp_are_read_once_from_the_claims() {
        let without_azp =
            data(json!({"sub": "user_1", "iat": 1_700_000_000, "exp": 1_700_000_060, "iss": "https://x"}));
        let routing =
            RoutingClaims { iss: Some("https://x".into()), iat: Some(1_700_000_000.0), exp: Some(1_700_000_060.0) };
        assert_eq!(without_azp.routing(), &routing);
        assert!(without_azp.lacks_azp());
        let with_azp = data(json!({"sub": "user_1", "iat": "soon", "azp": "https://app.example"}));
        assert_eq!(with_azp.routing().iat, None, "a non-numeric iat is no iat");
        assert!(!with_azp.lacks_azp());
    }

    #[test]
    fn a_signed_out_token_keeps_its_routing_claims_and_nothing_else() {
        for claims in [
            json!({"sub": "", "iat": 1, "iss": "https://x"}),
            json!({"sub": "u", "sts": "pending", "iat": 1, "iss": "https://x"}),
        ] {
            let signed_out = data(claims);
            assert_eq!(
                signed_out.routing(),
                &RoutingClaims { iss: Some("https://x".into()), iat: Some(1.0), exp: None }
            );
            assert!(!signed_out.lacks_azp());
            assert_eq!((signed_out.user_id.as_deref(), signed_out.session_claims.as_ref()), (None, None));
        }
    }
}

//! The `Auth` object: who made the request, as Clerk's `auth()` describes it ([`claims`] reads
//! the session token, [`has`] checks it, [`get_token`] asks for template tokens), and the
//! [`RequestState`](state::RequestState) it comes in.

pub(crate) mod claims;
pub(crate) mod get_token;
pub(crate) mod has;
pub(crate) mod machine;
pub(crate) mod state;
pub(crate) mod typed_claims;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::auth::claims::{org_claims, OrgClaims};
use crate::backend::Backend;
use crate::request::info::RequestInfo;
use crate::verify::jwt::Peek;
use crate::verify::machine::MachineIdentity;

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

/// One request's auth: what its token says, and where it came from.
struct AuthInner {
    /// Something on the request's way read or checked this auth (an extractor, `auth()`,
    /// `protect`, `#[public]`): the request had an authorization decision.
    decided: std::sync::atomic::AtomicBool,
    data: Arc<AuthData>,
    /// The request and instance this auth belongs to, for `protect`, redirects and `get_token`.
    ctx: Option<AuthContext>,
}

/// What an `Auth` made for a request keeps: the instance's configuration and Backend API client
/// (never the [`Clerk`](crate::Clerk) itself), and the request.
#[derive(Debug, Clone)]
pub(crate) struct AuthContext {
    pub(crate) backend: Arc<Backend>,
    pub(crate) request: Option<RequestInfo>,
    /// Signed out only because no verification key could be had.
    pub(crate) infrastructure: bool,
    /// The machine token type that was presented and failed, if one did.
    pub(crate) failed_machine: Option<crate::verify::token_type::TokenType>,
}

impl PartialEq for Auth {
    fn eq(&self, other: &Self) -> bool {
        self.0.data == other.0.data
    }
}

/// The data of every signed-out request.
static SIGNED_OUT: LazyLock<Arc<AuthData>> = LazyLock::new(Arc::default);

/// What one verified token says: built once per distinct token, kept by the verified-token cache
/// and shared by every request presenting the token.
#[derive(Default, PartialEq)]
pub(crate) struct AuthData {
    user_id: Option<String>,
    session_id: Option<String>,
    session_status: Option<String>,
    org: OrgClaims,
    actor: Option<Value>,
    factor_verification_age: Option<Value>,
    session_claims: Option<Map<String, Value>>,
    token: Option<String>,
    /// A verified machine token's identity (none for sessions).
    pub(crate) machine: Option<MachineIdentity>,
    /// What the cookie flow reads of the token (its issuer and times), so that a browser's
    /// token found in the verified-token cache is not decoded again.
    pub(crate) routing: Peek,
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
        let routing = Peek::of_session_claims(&claims);
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
            machine: None,
            routing,
            session_claims: Some(claims),
        };
        Arc::new(data)
    }

    /// A verified machine token: no session, no organisation; the machine's identity.
    pub(crate) fn machine(identity: MachineIdentity, token: &str) -> Arc<Self> {
        Arc::new(AuthData { token: Some(token.to_owned()), machine: Some(identity), ..AuthData::default() })
    }

    /// True when the token has claims and no `azp` among them.
    pub(crate) fn lacks_azp(&self) -> bool {
        self.session_claims.as_ref().is_some_and(|claims| !claims.contains_key("azp"))
    }
}

impl Auth {
    /// The signed-out state: no user, no session, no organisation.
    #[must_use]
    pub fn signed_out() -> Self {
        Self::new(Self::signed_out_data(), None)
    }

    /// The data of a signed-out request (shared by all of them).
    pub(crate) fn signed_out_data() -> Arc<AuthData> {
        Arc::clone(&SIGNED_OUT)
    }

    /// The auth of a token's data, with the request context when it belongs to one.
    pub(crate) fn new(data: Arc<AuthData>, ctx: Option<AuthContext>) -> Self {
        Self(Arc::new(AuthInner { decided: std::sync::atomic::AtomicBool::new(false), data, ctx }))
    }

    /// [`AuthData::from_verified_claims`] as an `Auth` (fuzzing and property tests).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn from_verified_claims(claims: Map<String, Value>, token: &str, pending_is_signed_in: bool) -> Self {
        Self::new(AuthData::from_verified_claims(claims, token, pending_is_signed_in), None)
    }

    /// Records that the request's authorization was decided (see `RequireDecision`).
    pub(crate) fn mark_decided(&self) {
        self.0.decided.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether anything decided the request's authorization.
    pub(crate) fn is_decided(&self) -> bool {
        self.0.decided.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn context(&self) -> Option<&AuthContext> {
        self.0.ctx.as_ref()
    }

    /// A session whose user has tasks to finish (`sts: pending`): never let through `protect`,
    /// whether or not [`pending_sessions_signed_in`](crate::ClerkConfigBuilder::pending_sessions_signed_in)
    /// makes it signed in.
    pub(crate) fn is_pending(&self) -> bool {
        self.session_status() == Some("pending")
    }

    pub(crate) fn data(&self) -> &AuthData {
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

    /// All claims of the verified session token.
    #[must_use]
    pub fn session_claims(&self) -> Option<&Map<String, Value>> {
        self.data().session_claims.as_ref()
    }

    /// The verified token itself (what `getToken()` returns without a template): the session
    /// token, or a machine's token.
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
        if let Some(machine) = self.machine() {
            return machine::serialize(machine, serializer);
        }
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
    fn a_missing_azp_is_read_from_the_claims() {
        assert!(data(json!({"sub": "user_1"})).lacks_azp());
        assert!(!data(json!({"sub": "user_1", "azp": "https://app.example"})).lacks_azp());
        assert!(!AuthData::default().lacks_azp(), "signed-out data has no claims to lack it");
    }

    #[test]
    fn a_pending_or_empty_subject_token_is_signed_out_keeping_only_its_status() {
        for claims in [json!({"sub": "", "sts": "active"}), json!({"sub": "u", "sts": "pending"})] {
            let signed_out = data(claims.clone());
            assert_eq!((signed_out.user_id.as_deref(), signed_out.session_claims.as_ref()), (None, None));
            assert_eq!(signed_out.session_status, claims["sts"].as_str().map(str::to_owned));
        }
    }
}

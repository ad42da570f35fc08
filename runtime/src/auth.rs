//! The `Auth` object: who made the request, as Clerk's `auth()` describes it.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

use crate::claims::{org_claims, OrgClaims};

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
#[derive(Clone, PartialEq)]
pub struct Auth(Arc<AuthData>);

#[derive(Default, PartialEq)]
struct AuthData {
    user_id: Option<String>,
    session_id: Option<String>,
    session_status: Option<String>,
    org: OrgClaims,
    actor: Option<Value>,
    factor_verification_age: Option<Value>,
    session_claims: Option<Map<String, Value>>,
    token: Option<String>,
}

impl Auth {
    /// The signed-out state: no user, no session, no organisation.
    #[must_use]
    pub fn signed_out() -> Self {
        Self(Arc::new(AuthData::default()))
    }

    /// Builds the state from the claims of a **verified** token (§2.6). A `sts: "pending"`
    /// session is signed out unless `pending_is_signed_in`, keeping `session_status`.
    pub(crate) fn from_verified_claims(
        claims: Map<String, Value>,
        token: &str,
        pending_is_signed_in: bool,
    ) -> Self {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let session_status = text("sts");
        if session_status.as_deref() == Some("pending") && !pending_is_signed_in {
            return Self(Arc::new(AuthData {
                session_status,
                ..AuthData::default()
            }));
        }
        Self(Arc::new(AuthData {
            user_id: text("sub"),
            session_id: text("sid"),
            session_status,
            org: org_claims(&claims),
            actor: claims.get("act").filter(|v| !v.is_null()).cloned(),
            factor_verification_age: claims.get("fva").filter(|v| !v.is_null()).cloned(),
            token: Some(token.to_owned()),
            session_claims: Some(claims),
        }))
    }

    /// True when the request carries a valid, active session.
    #[must_use]
    pub fn is_signed_in(&self) -> bool {
        self.0.user_id.is_some()
    }

    /// The user ID (`sub`), e.g. `user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr`.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.0.user_id.as_deref()
    }

    /// The session ID (`sid`).
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.0.session_id.as_deref()
    }

    /// The session status (`sts`): `active` or `pending`.
    #[must_use]
    pub fn session_status(&self) -> Option<&str> {
        self.0.session_status.as_deref()
    }

    /// The active organisation's ID.
    #[must_use]
    pub fn org_id(&self) -> Option<&str> {
        self.0.org.id.as_deref()
    }

    /// The user's role in the active organisation, e.g. `org:admin` (v2 roles get the prefix).
    #[must_use]
    pub fn org_role(&self) -> Option<&str> {
        self.0.org.role.as_deref()
    }

    /// The active organisation's slug.
    #[must_use]
    pub fn org_slug(&self) -> Option<&str> {
        self.0.org.slug.as_deref()
    }

    /// The user's custom permissions in the active organisation, e.g. `org:team_settings:manage`.
    /// System permissions (`org:sys_*`) are never in session tokens.
    #[must_use]
    pub fn org_permissions(&self) -> Option<&[String]> {
        self.0.org.permissions.as_deref()
    }

    /// The actor (`act`) when the session is an impersonation.
    #[must_use]
    pub fn actor(&self) -> Option<&Value> {
        self.0.actor.as_ref()
    }

    /// Minutes since the first and second factor were verified (`fva`), `-1` when never.
    #[must_use]
    pub fn factor_verification_age(&self) -> Option<&Value> {
        self.0.factor_verification_age.as_ref()
    }

    /// All claims of the verified session token.
    #[must_use]
    pub fn session_claims(&self) -> Option<&Map<String, Value>> {
        self.0.session_claims.as_ref()
    }

    /// The verified session token itself (what `getToken()` returns without a template).
    #[must_use]
    pub fn token(&self) -> Option<&str> {
        self.0.token.as_deref()
    }

    pub(crate) fn org(&self) -> &OrgClaims {
        &self.0.org
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
        self.0
            .session_claims
            .as_ref()
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
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
            .field("user_id", &self.0.user_id)
            .field("session_id", &self.0.session_id)
            .field("session_status", &self.0.session_status)
            .field("org_id", &self.0.org.id)
            .field("org_role", &self.0.org.role)
            .field("org_permissions", &self.0.org.permissions)
            .finish_non_exhaustive()
    }
}

impl Serialize for Auth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = &self.0;
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

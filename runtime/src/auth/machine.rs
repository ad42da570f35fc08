//! A machine's auth (Clerk's `AuthenticatedMachineObject`, `tokens/authObjects.ts` HEAD): the
//! request was made with a verified API key, M2M token or OAuth access token. The session
//! accessors of [`Auth`] are `None` for a machine and `has()` is false, as in Clerk; what the
//! machine is and acts for is read through [`Auth::machine`].

use serde::ser::SerializeStruct;
use serde_json::{Map, Value};

use crate::auth::Auth;
use crate::verify::machine::MachineIdentity;
use crate::verify::token_type::TokenType;

/// What a verified machine token says. Borrowed from its [`Auth`].
///
/// ```
/// use axum_clerk::{Auth, TokenType};
/// let auth = Auth::signed_out();
/// assert!(auth.machine().is_none());
/// assert_eq!(auth.token_type(), TokenType::SessionToken);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MachineAuth<'a>(&'a MachineIdentity);

impl<'a> MachineAuth<'a> {
    /// `api_key`, `m2m_token` or `oauth_token`.
    #[must_use]
    pub fn token_type(&self) -> TokenType {
        self.0.token_type
    }

    /// The token's ID (`ak_…`/`mt_…`/`oat_…` records; a JWT's `jti`).
    #[must_use]
    pub fn id(&self) -> &'a str {
        &self.0.id
    }

    /// Whom the token is for: a user or organisation (API keys), a machine (`mch_…`, M2M), a
    /// user (OAuth).
    #[must_use]
    pub fn subject(&self) -> &'a str {
        &self.0.subject
    }

    /// The token's scopes.
    #[must_use]
    pub fn scopes(&self) -> &'a [String] {
        &self.0.scopes
    }

    /// Whether `scope` is among the token's scopes.
    #[must_use]
    pub fn has_scope(&self, scope: &str) -> bool {
        self.0.scopes.iter().any(|s| s == scope)
    }

    /// Custom claims (API keys and M2M tokens).
    #[must_use]
    pub fn claims(&self) -> Option<&'a Map<String, Value>> {
        self.0.claims.as_ref()
    }

    /// An API key's name.
    #[must_use]
    pub fn name(&self) -> Option<&'a str> {
        self.0.name.as_deref()
    }

    /// The user the token acts for: an API key whose subject is a user, an OAuth token's user.
    #[must_use]
    pub fn user_id(&self) -> Option<&'a str> {
        match self.0.token_type {
            TokenType::ApiKey => Some(self.subject()).filter(|s| s.starts_with("user_")),
            TokenType::OAuthToken => Some(self.subject()),
            TokenType::M2mToken | TokenType::SessionToken => None,
        }
    }

    /// The organisation an API key belongs to (its subject is `org_…`).
    #[must_use]
    pub fn org_id(&self) -> Option<&'a str> {
        (self.0.token_type == TokenType::ApiKey).then(|| self.subject()).filter(|s| s.starts_with("org_"))
    }

    /// The machine an M2M token was issued to (`mch_…`).
    #[must_use]
    pub fn machine_id(&self) -> Option<&'a str> {
        (self.0.token_type == TokenType::M2mToken).then(|| self.subject())
    }

    /// The OAuth client an access token was issued to.
    #[must_use]
    pub fn client_id(&self) -> Option<&'a str> {
        self.0.client_id.as_deref()
    }
}

impl Auth {
    /// The kind of token the request was authenticated with — or presented, when a machine
    /// token failed (as Clerk's signed-out machine object keeps its `tokenType`); otherwise
    /// `session_token`.
    #[must_use]
    pub fn token_type(&self) -> TokenType {
        match &self.data().machine {
            Some(machine) => machine.token_type,
            None => self.context().and_then(|c| c.failed_machine).unwrap_or(TokenType::SessionToken),
        }
    }

    /// The machine the request was made by, when it carried a verified machine token (only on
    /// a [`ClerkLayer`](crate::ClerkLayer) that accepts machine tokens).
    ///
    /// (The example needs the `testing` feature.)
    #[cfg_attr(
        feature = "testing",
        doc = r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() {
use axum_clerk::testing::TestIssuer;
use axum_clerk::{AcceptsToken, Clerk, ClerkConfig, TokenType};

let issuer = TestIssuer::new();
let clerk = Clerk::new(ClerkConfig::builder().jwt_key(issuer.public_key_pem()).build().unwrap()).unwrap();
let token = issuer.m2m_jwt("mch_reports", &["mch_billing"]); // an M2M token in JWT form
let request = http::Request::get("/").header("authorization", format!("Bearer {token}")).body(()).unwrap();
let state = clerk.authenticate_accepting(&request, AcceptsToken::ANY).await;

let auth = state.auth();
assert!(auth.is_authenticated() && !auth.is_signed_in());
assert_eq!(auth.token_type(), TokenType::M2mToken);
let machine = auth.machine().unwrap();
assert_eq!((machine.machine_id(), machine.user_id()), (Some("mch_reports"), None));
assert!(machine.has_scope("mch_billing"));
assert_eq!(auth.user_id(), None, "a machine has no session");
# }
```
"#
    )]
    #[must_use]
    pub fn machine(&self) -> Option<MachineAuth<'_>> {
        self.data().machine.as_ref().map(MachineAuth)
    }

    /// Clerk's `isAuthenticated`: a signed-in session, or a verified machine token.
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        self.is_signed_in() || self.data().machine.is_some()
    }
}

/// A machine's auth in Clerk's JSON: the fields Clerk's object for that token type has.
pub(crate) fn serialize<S: serde::Serializer>(machine: MachineAuth<'_>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut s = serializer.serialize_struct("Auth", 9)?;
    s.serialize_field("tokenType", machine.token_type().as_str())?;
    s.serialize_field("id", machine.id())?;
    s.serialize_field("subject", machine.subject())?;
    s.serialize_field("scopes", machine.scopes())?;
    s.serialize_field("isAuthenticated", &true)?;
    match machine.token_type() {
        TokenType::ApiKey => {
            s.serialize_field("name", &machine.name())?;
            s.serialize_field("claims", &machine.claims())?;
            s.serialize_field("userId", &machine.user_id())?;
            s.serialize_field("orgId", &machine.org_id())?;
        }
        TokenType::M2mToken => {
            s.serialize_field("claims", &machine.claims())?;
            s.serialize_field("machineId", &machine.machine_id())?;
        }
        TokenType::OAuthToken => {
            s.serialize_field("userId", &machine.user_id())?;
            s.serialize_field("clientId", &machine.client_id())?;
        }
        TokenType::SessionToken => {}
    }
    s.end()
}

//! Why a token was refused, in Clerk's words.
//!
//! Every verification failure carries a [`Reason`] whose string form is exactly Clerk's
//! `TokenVerificationErrorReason` / `AuthErrorReason` value (clerk-semantics §5.7), a human
//! message, and optionally Clerk's suggested action. [`TokenError::full_message`] renders the
//! string Clerk puts in the `x-clerk-auth-message` header.

use http::HeaderValue;
use std::fmt;

/// A machine-readable reason for a signed-out request, spelled as Clerk spells it.
///
/// ```
/// use axum_clerk::Reason;
/// assert_eq!(Reason::TokenExpired.as_str(), "token-expired");
/// assert_eq!(Reason::SessionTokenAndUatMissing.to_string(), "session-token-and-uat-missing");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// `token-expired`: `exp` is in the past (beyond the clock skew).
    TokenExpired,
    /// `token-invalid`: not a well-formed JWT, wrong `typ`, or a rejected category.
    TokenInvalid,
    /// `token-invalid-algorithm`: `alg` is not RS256, RS384 or RS512.
    TokenInvalidAlgorithm,
    /// `token-invalid-authorized-parties`: `azp` is missing or not an authorized party.
    TokenInvalidAuthorizedParties,
    /// `token-invalid-signature`: the signature does not verify with the selected key.
    TokenInvalidSignature,
    /// `token-not-active-yet`: `nbf` is in the future.
    TokenNotActiveYet,
    /// `token-iat-in-the-future`: `iat` is in the future.
    TokenIatInTheFuture,
    /// `token-verification-failed`: a claim has the wrong type or value (`sub`, `aud`, …).
    TokenVerificationFailed,
    /// `secret-key-invalid`: the Backend API refused the secret key.
    SecretKeyInvalid,
    /// `jwk-remote-failed-to-load`: the JWKS could not be fetched or was unusable.
    RemoteJwkFailedToLoad,
    /// `jwk-kid-mismatch`: no key in the JWKS matches the token's `kid`.
    JwkKidMismatch,
    /// `session-token-and-uat-missing`: no session cookie and no `__client_uat`.
    SessionTokenAndUatMissing,
    /// `session-token-but-no-client-uat`: a session cookie without `__client_uat`.
    SessionTokenButNoClientUat,
    /// `client-uat-but-no-session-token`: `__client_uat` set but no session cookie.
    ClientUatButNoSessionToken,
    /// `session-token-iat-before-client-uat`: the cookie token predates the last client update.
    SessionTokenIatBeforeClientUat,
    /// `session-token-expired-refresh-non-eligible-no-refresh-cookie`: expired, no refresh possible.
    SessionTokenExpiredNoRefreshCookie,
    /// `session-token-expired-refresh-non-eligible-non-get`: expired, request is not a GET.
    SessionTokenExpiredNonGet,
    /// `session-token-expired-refresh-invalid-session-token`: the refreshed token did not verify.
    SessionTokenExpiredRefreshInvalidSessionToken,
    /// `session-token-expired-refresh-missing-api-client`: no secret key to call the refresh
    /// endpoint with.
    SessionTokenExpiredRefreshMissingApiClient,
    /// `session-token-expired-refresh-expired-session-token-missing-sid-claim`: the expired token
    /// names no session to refresh.
    SessionTokenExpiredRefreshMissingSidClaim,
    /// `session-token-expired-refresh-expired-session-token-decode-failed`: the expired token
    /// does not decode.
    SessionTokenExpiredRefreshDecodeFailed,
    /// `session-token-expired-refresh-fetch-error`: the Backend API answered `unexpected_error`.
    SessionTokenExpiredRefreshFetchError,
    /// `session-token-expired-refresh-unexpected-sdk-error`: the refresh answered no cookies.
    SessionTokenExpiredRefreshUnexpectedSdkError,
    /// `session-token-expired-refresh-unexpected-bapi-error`: the Backend API could not be
    /// reached, timed out, or refused the refresh (its error code is in the message).
    SessionTokenExpiredRefreshUnexpectedBapiError,
    /// `session-token-missing`: a handshake was resolved but set no session token.
    SessionTokenMissing,
    /// `session-token-nbf`: the token is not active yet (handshake-class reason).
    SessionTokenNbf,
    /// `session-token-iat-in-the-future`: `iat` in the future (handshake-class reason).
    SessionTokenIatInTheFuture,
    /// `dev-browser-missing`: a development instance without the dev-browser token.
    DevBrowserMissing,
    /// `dev-browser-sync`: a development instance syncing the dev-browser token.
    DevBrowserSync,
    /// `primary-responds-to-syncing`: a primary domain answering a satellite sync.
    PrimaryRespondsToSyncing,
    /// `primary-domain-cross-origin-sync`: a signed-in page load that came from another site
    /// goes through a handshake once, to pick up a session changed elsewhere.
    PrimaryDomainCrossOriginSync,
    /// `No token in header`: machine tokens only are accepted and none was sent (Clerk's reason,
    /// verbatim).
    NoTokenInHeader,
    /// `unexpected-error`: the Backend API could not verify a machine token (down, timed out,
    /// rate-limited or answering an error).
    UnexpectedError,
    /// `token-type-mismatch`: a machine, template or M2M token where a session token belongs.
    TokenTypeMismatch,
}

/// Both spellings of each reason from one list: Clerk's string, and the same string as a header
/// value made when the crate is compiled (a reason string that were not a valid header value
/// would not build, and sending one neither checks nor copies bytes).
macro_rules! reason_strings {
    ($($reason:ident => $text:literal,)*) => {
        impl Reason {
            /// Clerk's string for this reason.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$reason => $text,)*
                }
            }

            /// This reason as an `x-clerk-auth-reason` value.
            pub(crate) fn header_value(self) -> HeaderValue {
                match self {
                    $(Self::$reason => const { HeaderValue::from_static($text) },)*
                }
            }
        }
    };
}

reason_strings! {
    TokenExpired => "token-expired",
    TokenInvalid => "token-invalid",
    TokenInvalidAlgorithm => "token-invalid-algorithm",
    TokenInvalidAuthorizedParties => "token-invalid-authorized-parties",
    TokenInvalidSignature => "token-invalid-signature",
    TokenNotActiveYet => "token-not-active-yet",
    TokenIatInTheFuture => "token-iat-in-the-future",
    TokenVerificationFailed => "token-verification-failed",
    SecretKeyInvalid => "secret-key-invalid",
    RemoteJwkFailedToLoad => "jwk-remote-failed-to-load",
    JwkKidMismatch => "jwk-kid-mismatch",
    SessionTokenAndUatMissing => "session-token-and-uat-missing",
    SessionTokenButNoClientUat => "session-token-but-no-client-uat",
    ClientUatButNoSessionToken => "client-uat-but-no-session-token",
    SessionTokenIatBeforeClientUat => "session-token-iat-before-client-uat",
    SessionTokenExpiredNoRefreshCookie => "session-token-expired-refresh-non-eligible-no-refresh-cookie",
    SessionTokenExpiredNonGet => "session-token-expired-refresh-non-eligible-non-get",
    SessionTokenExpiredRefreshInvalidSessionToken => "session-token-expired-refresh-invalid-session-token",
    SessionTokenExpiredRefreshMissingApiClient => "session-token-expired-refresh-missing-api-client",
    SessionTokenExpiredRefreshMissingSidClaim => "session-token-expired-refresh-expired-session-token-missing-sid-claim",
    SessionTokenExpiredRefreshDecodeFailed => "session-token-expired-refresh-expired-session-token-decode-failed",
    SessionTokenExpiredRefreshFetchError => "session-token-expired-refresh-fetch-error",
    SessionTokenExpiredRefreshUnexpectedSdkError => "session-token-expired-refresh-unexpected-sdk-error",
    SessionTokenExpiredRefreshUnexpectedBapiError => "session-token-expired-refresh-unexpected-bapi-error",
    SessionTokenMissing => "session-token-missing",
    SessionTokenNbf => "session-token-nbf",
    SessionTokenIatInTheFuture => "session-token-iat-in-the-future",
    DevBrowserMissing => "dev-browser-missing",
    DevBrowserSync => "dev-browser-sync",
    PrimaryRespondsToSyncing => "primary-responds-to-syncing",
    PrimaryDomainCrossOriginSync => "primary-domain-cross-origin-sync",
    NoTokenInHeader => "No token in header",
    UnexpectedError => "unexpected-error",
    TokenTypeMismatch => "token-type-mismatch",
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Clerk suggests doing about a verification failure (`TokenVerificationErrorAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// `Contact support@clerk.com`
    ContactSupport,
    /// `Make sure that this is a valid Clerk-generated JWT.`
    EnsureClerkJwt,
    /// `Set the CLERK_JWT_KEY environment variable.`
    SetClerkJwtKey,
    /// `Set the CLERK_SECRET_KEY environment variable.`
    SetClerkSecretKey,
    /// `Make sure your system clock is in sync (…).`
    EnsureClockSync,
}

impl Action {
    /// Clerk's sentence for this action.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ContactSupport => "Contact support@clerk.com",
            Self::EnsureClerkJwt => "Make sure that this is a valid Clerk-generated JWT.",
            Self::SetClerkJwtKey => "Set the CLERK_JWT_KEY environment variable.",
            Self::SetClerkSecretKey => "Set the CLERK_SECRET_KEY environment variable.",
            Self::EnsureClockSync => {
                "Make sure your system clock is in sync (e.g. turn off and on automatic time synchronization)."
            }
        }
    }
}

/// Where the token was found: Clerk's `token-carrier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCarrier {
    /// The `Authorization` header.
    Header,
    /// The `__session` cookie (or its suffixed form).
    Cookie,
}

impl TokenCarrier {
    /// `"header"` or `"cookie"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

/// A token was refused: Clerk's `TokenVerificationError`.
///
/// ```
/// use axum_clerk::{Reason, TokenError};
/// let err = TokenError::new(Reason::TokenInvalidSignature, "JWT signature is invalid.");
/// assert_eq!(
///     err.full_message(),
///     "JWT signature is invalid. (reason=token-invalid-signature, token-carrier=undefined)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.full_message())]
pub struct TokenError {
    reason: Reason,
    message: String,
    action: Option<Action>,
    carrier: Option<TokenCarrier>,
    infrastructure: bool,
}

impl TokenError {
    /// A failure with a reason and a message.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into(), action: None, carrier: None, infrastructure: false }
    }

    pub(crate) fn with_action(mut self, action: Action) -> Self {
        self.action = Some(action);
        self
    }

    /// Marks the failure as caused by infrastructure (keys could not be had), not by the token.
    pub(crate) fn infrastructure(mut self) -> Self {
        self.infrastructure = true;
        self
    }

    pub(crate) fn with_carrier(mut self, carrier: TokenCarrier) -> Self {
        self.carrier = Some(carrier);
        self
    }

    /// Clerk's reason.
    #[must_use]
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The human message, without the action or the reason suffix.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Clerk's suggested action, if any.
    #[must_use]
    pub fn action(&self) -> Option<Action> {
        self.action
    }

    /// Where the token came from, once known.
    #[must_use]
    pub fn carrier(&self) -> Option<TokenCarrier> {
        self.carrier
    }

    /// True when no key could be had because of infrastructure (JWKS endpoint down, timing out
    /// or unusable, with nothing usable cached). Such a request must not be sent to sign-in.
    #[must_use]
    pub fn is_infrastructure(&self) -> bool {
        self.infrastructure
    }

    /// Clerk's `getFullMessage()`:
    /// `<message> <action> (reason=<reason>, token-carrier=<header|cookie|undefined>)`.
    #[must_use]
    pub fn full_message(&self) -> String {
        let mut out = self.message.clone();
        if let Some(action) = self.action {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(action.as_str());
        }
        let carrier = self.carrier.map_or("undefined", TokenCarrier::as_str);
        format!("{out} (reason={}, token-carrier={carrier})", self.reason)
    }
}

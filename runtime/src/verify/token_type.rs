//! The kinds of token `auth()` can accept (Clerk's `TokenType` and `acceptsToken`) and how a
//! token is classified (`tokens/machine.ts`, HEAD): opaque machine tokens by prefix (`ak_`,
//! `mt_`, `oat_`), JWT machine tokens by shape (`sub` starting `mch_`: M2M; `typ` `at+jwt`:
//! OAuth); anything else is read as a session token.

use serde_json::Value;
use std::fmt;

use crate::verify::jwt;

/// A kind of token (Clerk's `TokenType`).
///
/// ```
/// use axum_clerk::TokenType;
/// assert_eq!(TokenType::ApiKey.as_str(), "api_key");
/// assert_eq!("oauth_token".parse::<TokenType>(), Ok(TokenType::OAuthToken));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `session_token`: a browser session's token (cookie or `Authorization`).
    SessionToken,
    /// `api_key`: an opaque `ak_…` key, verified by the Backend API.
    ApiKey,
    /// `m2m_token`: `mt_…` (Backend API) or a JWT whose `sub` starts with `mch_` (local).
    M2mToken,
    /// `oauth_token`: `oat_…` (Backend API) or a JWT with `typ: at+jwt` (local).
    OAuthToken,
}

impl TokenType {
    /// Every token type, in Clerk's order.
    pub const ALL: [Self; 4] = [Self::SessionToken, Self::ApiKey, Self::M2mToken, Self::OAuthToken];

    /// Clerk's string for the type.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SessionToken => "session_token",
            Self::ApiKey => "api_key",
            Self::M2mToken => "m2m_token",
            Self::OAuthToken => "oauth_token",
        }
    }

    /// A machine token (anything but a session token).
    #[must_use]
    pub const fn is_machine(self) -> bool {
        !matches!(self, Self::SessionToken)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no token type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a token type (session_token, api_key, m2m_token, oauth_token)")]
pub struct UnknownTokenType(pub String);

impl std::str::FromStr for TokenType {
    type Err = UnknownTokenType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownTokenType(s.to_owned()))
    }
}

/// The token types a layer verifies or a route accepts (Clerk's `acceptsToken`): one type, a
/// list, or any. The default is session tokens only.
///
/// ```
/// use axum_clerk::{AcceptsToken, TokenType};
/// let accepts = AcceptsToken::only(TokenType::SessionToken).or(TokenType::OAuthToken);
/// assert!(accepts.accepts(TokenType::OAuthToken));
/// assert!(!accepts.accepts(TokenType::ApiKey));
/// assert!(AcceptsToken::ANY.accepts(TokenType::M2mToken));
/// assert_eq!(AcceptsToken::default(), AcceptsToken::only(TokenType::SessionToken));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptsToken(u8);

impl AcceptsToken {
    /// Every token type (Clerk's `'any'`).
    pub const ANY: Self = Self(0b1111);

    /// Only `token_type`.
    #[must_use]
    pub const fn only(token_type: TokenType) -> Self {
        Self(token_type.bit())
    }

    /// These types and `token_type`.
    #[must_use]
    pub const fn or(self, token_type: TokenType) -> Self {
        Self(self.0 | token_type.bit())
    }

    /// Whether `token_type` is accepted.
    #[must_use]
    pub const fn accepts(self, token_type: TokenType) -> bool {
        self.0 & token_type.bit() != 0
    }

    /// Whether any machine token type is accepted.
    #[must_use]
    pub const fn any_machine(self) -> bool {
        self.0 & !TokenType::SessionToken.bit() != 0
    }

    /// The accepted types, in Clerk's order.
    pub fn types(self) -> impl Iterator<Item = TokenType> {
        TokenType::ALL.into_iter().filter(move |t| self.accepts(*t))
    }
}

impl Default for AcceptsToken {
    fn default() -> Self {
        Self::only(TokenType::SessionToken)
    }
}

impl From<TokenType> for AcceptsToken {
    fn from(token_type: TokenType) -> Self {
        Self::only(token_type)
    }
}

impl fmt::Debug for AcceptsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::ANY {
            return f.write_str("any");
        }
        f.debug_list().entries(self.types().map(TokenType::as_str)).finish()
    }
}

/// The three opaque prefixes (`ak_`, `mt_`, `oat_`) and what they are.
const OPAQUE: [(&str, TokenType); 3] =
    [("mt_", TokenType::M2mToken), ("oat_", TokenType::OAuthToken), ("ak_", TokenType::ApiKey)];

/// How a token is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// A JWT, verified with the instance's keys.
    Jwt,
    /// An opaque token, verified by the Backend API.
    Opaque,
}

/// `getMachineTokenType` / `isMachineToken`: the type of a token presented in `Authorization`,
/// and its form. A machine JWT is recognised by its (unverified) shape, which only routes it: it
/// is verified as that type afterwards.
pub(crate) fn classify(token: &str) -> (TokenType, Form) {
    if let Some((_, kind)) = OPAQUE.iter().find(|(prefix, _)| token.starts_with(prefix)) {
        return (*kind, Form::Opaque);
    }
    // `isJwtFormat` is checked by `jwt::decode`'s stricter split; an undecodable token is a
    // session token here and fails as one.
    let Ok(decoded) = jwt::decode(token) else { return (TokenType::SessionToken, Form::Jwt) };
    let m2m = decoded.payload.get("sub").and_then(Value::as_str).is_some_and(|sub| sub.starts_with("mch_"));
    let oauth = matches!(decoded.header_str("typ"), Some("at+jwt" | "application/at+jwt"));
    match (m2m, oauth) {
        (true, _) => (TokenType::M2mToken, Form::Jwt),
        (false, true) => (TokenType::OAuthToken, Form::Jwt),
        (false, false) => (TokenType::SessionToken, Form::Jwt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use serde_json::json;

    fn jwt(header: Value, payload: Value) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", part(&header), part(&payload))
    }

    #[test]
    fn tokens_are_classified_as_clerks_machine_ts_does() {
        let rows = [
            ("ak_123", TokenType::ApiKey, Form::Opaque),
            ("mt_123", TokenType::M2mToken, Form::Opaque),
            ("oat_123", TokenType::OAuthToken, Form::Opaque),
            (&*jwt(json!({"alg": "RS256"}), json!({"sub": "mch_1"})), TokenType::M2mToken, Form::Jwt),
            (
                &*jwt(json!({"alg": "RS256", "typ": "at+jwt"}), json!({"sub": "user_1"})),
                TokenType::OAuthToken,
                Form::Jwt,
            ),
            (
                &*jwt(json!({"alg": "RS256", "typ": "application/at+jwt"}), json!({"sub": "user_1"})),
                TokenType::OAuthToken,
                Form::Jwt,
            ),
            (
                &*jwt(json!({"alg": "RS256", "typ": "JWT"}), json!({"sub": "user_1"})),
                TokenType::SessionToken,
                Form::Jwt,
            ),
            ("xx_123", TokenType::SessionToken, Form::Jwt),
            ("AK_123", TokenType::SessionToken, Form::Jwt),
            ("", TokenType::SessionToken, Form::Jwt),
        ];
        for (token, kind, form) in rows {
            assert_eq!(classify(token), (kind, form), "{token}");
        }
    }

    #[test]
    fn accepted_types_combine() {
        let accepts = AcceptsToken::only(TokenType::ApiKey).or(TokenType::M2mToken);
        assert_eq!(accepts.types().collect::<Vec<_>>(), [TokenType::ApiKey, TokenType::M2mToken]);
        assert!(accepts.any_machine() && !AcceptsToken::default().any_machine());
        assert_eq!(format!("{accepts:?}"), r#"["api_key", "m2m_token"]"#);
        assert_eq!(format!("{:?}", AcceptsToken::ANY), "any");
        assert!("session".parse::<TokenType>().is_err());
    }
}

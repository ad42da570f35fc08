//! What a verified machine token says (`APIKey`, `M2MToken`, `IdPOAuthAccessToken` in
//! `@clerk/backend`, HEAD): read from the Backend API's answer for an opaque token, or from the
//! verified claims of a JWT one. Nothing here verifies; the input is already trusted.

use serde_json::{Map, Value};

use crate::error::{Reason, TokenError};
use crate::verify::token_type::TokenType;

/// A verified machine token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MachineIdentity {
    pub(crate) token_type: TokenType,
    pub(crate) id: String,
    pub(crate) subject: String,
    pub(crate) scopes: Vec<String>,
    /// Custom claims (API keys, M2M tokens).
    pub(crate) claims: Option<Map<String, Value>>,
    /// An API key's name.
    pub(crate) name: Option<String>,
    /// An OAuth token's client.
    pub(crate) client_id: Option<String>,
    /// When the token expires, in ms since the epoch (`None`: it does not).
    pub(crate) expires_ms: Option<f64>,
}

/// M2M claims that are fields of their own, not custom claims (`M2M_RESERVED_JWT_CLAIMS`).
const M2M_RESERVED: [&str; 6] = ["iss", "sub", "exp", "nbf", "iat", "jti"];

fn text(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A JSON array of strings, or why not.
fn string_list(value: &Value, name: &str) -> Result<Vec<String>, TokenError> {
    let refused = || TokenError::new(Reason::TokenVerificationFailed, format!("`{name}` is not a list of strings."));
    let list = value.as_array().ok_or_else(refused)?;
    list.iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(refused)).collect()
}

impl MachineIdentity {
    /// From the claims of a verified M2M JWT (`M2MToken.fromJwtPayload`): `scopes` split on
    /// spaces, else `aud`; every claim but the reserved ones is a custom claim.
    pub(crate) fn from_m2m_claims(claims: &Map<String, Value>) -> Result<Self, TokenError> {
        let scopes = match (claims.get("scopes"), claims.get("aud")) {
            (Some(Value::String(scopes)), _) => scopes.split(' ').map(str::to_owned).collect(),
            (Some(other), _) => {
                return Err(TokenError::new(
                    Reason::TokenVerificationFailed,
                    format!("`scopes` is not a string: {other}."),
                ))
            }
            (None, Some(aud)) => string_list(aud, "aud")?,
            (None, None) => Vec::new(),
        };
        let custom: Map<String, Value> = claims
            .iter()
            .filter(|(k, _)| !M2M_RESERVED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Self {
            token_type: TokenType::M2mToken,
            id: text(claims, "jti").unwrap_or_default(),
            subject: text(claims, "sub").unwrap_or_default(),
            scopes,
            claims: (!custom.is_empty()).then_some(custom),
            name: None,
            client_id: None,
            expires_ms: claims.get("exp").and_then(Value::as_f64).map(|exp| exp * 1000.0),
        })
    }

    /// From the claims of a verified OAuth access token (`IdPOAuthAccessToken.fromJwtPayload`):
    /// `scp`, else `scope` split on spaces.
    pub(crate) fn from_oauth_claims(claims: &Map<String, Value>) -> Result<Self, TokenError> {
        let scopes = match (claims.get("scp"), claims.get("scope")) {
            (Some(scp), _) => string_list(scp, "scp")?,
            (None, Some(Value::String(scope))) => scope.split(' ').map(str::to_owned).collect(),
            (None, Some(other)) => {
                return Err(TokenError::new(
                    Reason::TokenVerificationFailed,
                    format!("`scope` is not a string: {other}."),
                ))
            }
            (None, None) => Vec::new(),
        };
        Ok(Self {
            token_type: TokenType::OAuthToken,
            id: text(claims, "jti").unwrap_or_default(),
            subject: text(claims, "sub").unwrap_or_default(),
            scopes,
            claims: None,
            name: None,
            client_id: Some(text(claims, "client_id").unwrap_or_default()),
            expires_ms: claims.get("exp").and_then(Value::as_f64).map(|exp| exp * 1000.0),
        })
    }

    /// From the Backend API's answer to `POST …/verify` for an opaque token. The answer must
    /// name the token (`id`, `subject` strings, `scopes` a list of strings); a token the answer
    /// calls revoked or expired is refused even though the call succeeded.
    pub(crate) fn from_backend(token_type: TokenType, answer: &Value) -> Result<Self, TokenError> {
        let malformed = |what: &str| {
            TokenError::new(Reason::TokenVerificationFailed, format!("The Backend API's answer {what}."))
                .infrastructure()
        };
        let map = answer.as_object().ok_or_else(|| malformed("is not an object"))?;
        let (Some(id), Some(subject)) = (text(map, "id"), text(map, "subject")) else {
            return Err(malformed("has no `id` or `subject`"));
        };
        if map.get("revoked") == Some(&Value::Bool(true)) || map.get("expired") == Some(&Value::Bool(true)) {
            return Err(TokenError::new(Reason::TokenInvalid, "The token is revoked or expired."));
        }
        let scopes = match map.get("scopes") {
            None | Some(Value::Null) => Vec::new(),
            Some(scopes) => string_list(scopes, "scopes")?,
        };
        let claims = match map.get("claims") {
            Some(Value::Object(claims)) => Some(claims.clone()),
            _ => None,
        };
        Ok(Self {
            token_type,
            id,
            subject,
            scopes,
            claims: if token_type == TokenType::OAuthToken { None } else { claims },
            name: if token_type == TokenType::ApiKey { text(map, "name") } else { None },
            client_id: if token_type == TokenType::OAuthToken {
                Some(text(map, "client_id").unwrap_or_default())
            } else {
                None
            },
            expires_ms: map.get("expiration").and_then(Value::as_f64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn m2m_claims_read_as_clerks_from_jwt_payload() {
        let m2m = MachineIdentity::from_m2m_claims(&map(json!({
            "jti": "mt_1", "sub": "mch_1", "iat": 1, "exp": 2, "iss": "x", "scopes": "mch_2 mch_3", "team": "ops"
        })))
        .unwrap();
        assert_eq!((m2m.id.as_str(), m2m.subject.as_str()), ("mt_1", "mch_1"));
        assert_eq!(m2m.scopes, ["mch_2", "mch_3"]);
        assert_eq!(m2m.claims, Some(map(json!({"scopes": "mch_2 mch_3", "team": "ops"}))));
        let by_aud = MachineIdentity::from_m2m_claims(&map(json!({"sub": "mch_1", "aud": ["mch_9"]}))).unwrap();
        assert_eq!((by_aud.scopes, by_aud.id.as_str()), (vec!["mch_9".to_owned()], ""));
        assert!(MachineIdentity::from_m2m_claims(&map(json!({"sub": "mch_1", "scopes": ["x"]}))).is_err());
    }

    #[test]
    fn oauth_claims_read_scp_then_scope() {
        let oauth =
            MachineIdentity::from_oauth_claims(&map(json!({"sub": "user_1", "client_id": "c", "scp": ["read"]})));
        assert_eq!(oauth.unwrap().scopes, ["read"]);
        let oauth = MachineIdentity::from_oauth_claims(&map(json!({"sub": "user_1", "scope": "a b"}))).unwrap();
        assert_eq!((oauth.scopes, oauth.client_id.as_deref()), (vec!["a".to_owned(), "b".to_owned()], Some("")));
        assert!(MachineIdentity::from_oauth_claims(&map(json!({"sub": "u", "scp": [1]}))).is_err());
    }

    #[test]
    fn a_backend_answer_must_name_the_token_and_not_be_revoked() {
        let key = json!({"object": "api_key", "id": "ak_id", "subject": "user_1", "name": "ci", "scopes": ["r"], "claims": {"a": 1}, "revoked": false, "expired": false, "expiration": null});
        let identity = MachineIdentity::from_backend(TokenType::ApiKey, &key).unwrap();
        assert_eq!((identity.name.as_deref(), identity.scopes.len()), (Some("ci"), 1));
        for bad in [json!([]), json!({"id": "x"}), json!({"id": "x", "subject": "y", "scopes": "r"})] {
            assert!(MachineIdentity::from_backend(TokenType::ApiKey, &bad).is_err(), "{bad}");
        }
        let revoked = json!({"id": "x", "subject": "y", "revoked": true});
        assert_eq!(
            MachineIdentity::from_backend(TokenType::M2mToken, &revoked).unwrap_err().reason(),
            Reason::TokenInvalid
        );
    }
}

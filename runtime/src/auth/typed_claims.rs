//! Session claims as Rust types: the application's own claims (Clerk's
//! `CustomJwtSessionClaims`), the impersonation actor (`act`) and the factor verification age
//! (`fva`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::Auth;

/// Who is acting for the user in an impersonation session (the `act` claim): at least `sub`,
/// the impersonator's user ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Actor {
    /// The impersonating user's ID.
    pub sub: String,
    /// Every other member of the claim (`iss`, `sid`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// How long ago the session's user verified each factor (the `fva` claim), in minutes; `None`
/// for a factor never verified (Clerk's `-1`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FactorVerificationAge {
    /// Minutes since the first factor was verified.
    pub first_factor: Option<f64>,
    /// Minutes since the second factor was verified.
    pub second_factor: Option<f64>,
}

impl FactorVerificationAge {
    /// `[first, second]`: two finite numbers, each `-1` or at least 0; anything else is `None`.
    pub(crate) fn from_claim(fva: &Value) -> Option<Self> {
        let list = fva.as_array()?;
        let [a, b] = list.as_slice() else { return None };
        let valid = |v: &Value| v.as_f64().filter(|x| x.is_finite() && (*x == -1.0 || *x >= 0.0));
        let age = |x: f64| (x != -1.0).then_some(x);
        Some(Self { first_factor: age(valid(a)?), second_factor: age(valid(b)?) })
    }
}

impl Auth {
    /// The session's claims as the application's own type (Clerk's `CustomJwtSessionClaims`):
    /// `Ok(None)` when signed out, an error when the claims do not fit `T`.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct MyClaims {
    ///     sub: String,
    ///     #[serde(default)]
    ///     plan: Option<String>,
    /// }
    /// let auth = axum_clerk::Auth::signed_out();
    /// assert!(auth.claims::<MyClaims>().unwrap().is_none());
    /// ```
    ///
    /// # Errors
    /// The `serde_json` error when the claims cannot be read as `T`.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<Option<T>, serde_json::Error> {
        self.session_claims().map(|claims| T::deserialize(claims)).transpose()
    }

    /// The actor when the session is an impersonation (`act`); `None` otherwise, or when the
    /// claim has no string `sub` (its raw value stays in [`Auth::session_claims`]).
    ///
    /// (The example needs the `testing` feature.)
    #[cfg_attr(
        feature = "testing",
        doc = r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() {
use axum_clerk::testing::TestIssuer;
use axum_clerk::{Clerk, ClerkConfig};

let issuer = TestIssuer::new();
let clerk = Clerk::new(ClerkConfig::builder().jwt_key(issuer.public_key_pem()).build().unwrap()).unwrap();
let token = issuer
    .session("user_1")
    .claim("act", serde_json::json!({"sub": "user_support"}))
    .factor_verification_age(4, -1)
    .mint();
let auth = clerk.verify_token(&token).await.unwrap();
assert_eq!(auth.actor().unwrap().sub, "user_support");
let fva = auth.factor_verification_age().unwrap();
assert_eq!((fva.first_factor, fva.second_factor), (Some(4.0), None));
# }
```
"#
    )]
    #[must_use]
    pub fn actor(&self) -> Option<Actor> {
        self.data().actor.as_ref().and_then(|act| Actor::deserialize(act).ok())
    }

    /// How long ago each factor was verified (`fva`), when the claim is well formed.
    #[must_use]
    pub fn factor_verification_age(&self) -> Option<FactorVerificationAge> {
        self.data().factor_verification_age.as_ref().and_then(FactorVerificationAge::from_claim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn auth(claims: Value) -> Auth {
        let Value::Object(claims) = claims else { unreachable!("an object") };
        Auth::from_verified_claims(claims, "a.b.c", false)
    }

    #[test]
    fn custom_claims_read_as_the_applications_type() {
        #[derive(Deserialize, PartialEq, Debug)]
        struct Mine {
            sub: String,
            tier: u8,
        }
        let signed_in = auth(json!({"sub": "user_1", "tier": 3}));
        assert_eq!(signed_in.claims::<Mine>().unwrap(), Some(Mine { sub: "user_1".into(), tier: 3 }));
        assert!(auth(json!({"sub": "user_1", "tier": "gold"})).claims::<Mine>().is_err());
    }

    #[test]
    fn the_actor_and_factor_ages_are_typed() {
        let impersonated = auth(json!({"sub": "user_1", "act": {"sub": "user_admin", "iss": "x"}, "fva": [3, -1]}));
        let actor = impersonated.actor().unwrap();
        assert_eq!((actor.sub.as_str(), actor.other["iss"].as_str()), ("user_admin", Some("x")));
        let fva = impersonated.factor_verification_age().unwrap();
        assert_eq!((fva.first_factor, fva.second_factor), (Some(3.0), None));
        let odd = auth(json!({"sub": "user_1", "act": {"iss": "x"}, "fva": [3]}));
        assert_eq!((odd.actor(), odd.factor_verification_age()), (None, None));
    }
}

//! Session tokens of the development issuer: [`SessionBuilder`] (user, organisation, v1 or v2
//! permissions, times, any claim) and the v2 permission encoding.

use serde_json::{json, Map, Value};
use std::sync::PoisonError;
use std::time::Duration;

use super::{TestIssuer, SESSION_TOKEN};

/// A session token being built; see [`TestIssuer::session`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionBuilder {
    pub(super) issuer: TestIssuer,
    pub(super) claims: Map<String, Value>,
    pub(super) org: Option<(String, String, String)>,
    pub(super) permissions: Vec<String>,
    pub(super) v2: bool,
}

impl SessionBuilder {
    /// The active organisation: ID, slug and role (`org:admin`, or `admin`).
    pub fn org(mut self, id: &str, slug: &str, role: &str) -> Self {
        self.org = Some((id.to_owned(), slug.to_owned(), role.to_owned()));
        self
    }

    /// The user's permissions in the active organisation (`org:<feature>:<action>`).
    pub fn permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// Encode as a v2 token (`v: 2`, `o`, `fea`, and permission masks) instead of v1.
    pub fn v2(mut self) -> Self {
        self.v2 = true;
        self
    }

    /// The session ID (`sid`), random by default.
    pub fn session_id(self, sid: &str) -> Self {
        self.claim("sid", json!(sid))
    }

    /// The authorized party (`azp`): the origin of the front end.
    pub fn azp(self, origin: &str) -> Self {
        self.claim("azp", json!(origin))
    }

    /// Minutes since the first and second factor were verified (`fva`), `-1` for never.
    pub fn factor_verification_age(self, first: i64, second: i64) -> Self {
        self.claim("fva", json!([first, second]))
    }

    /// A pending session (`sts: "pending"`).
    pub fn pending(self) -> Self {
        self.claim("sts", json!("pending"))
    }

    /// The same session with its times taken again from the issuer's clock (same lifetime).
    pub(super) fn renewed(&self) -> Self {
        let time = |name: &str| self.claims.get(name).and_then(Value::as_i64).unwrap_or_default();
        let lifetime = time("exp") - time("iat");
        let now = self.issuer.0.clock.now_ms() / 1000;
        self.clone().claim("iat", json!(now)).claim("nbf", json!(now - 10)).claim("exp", json!(now + lifetime))
    }

    /// How long the token lives (Clerk: 60 s, the default).
    pub fn lifetime(self, lifetime: Duration) -> Self {
        let iat = self.claims.get("iat").and_then(Value::as_i64).unwrap_or_default();
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
        self.claim("exp", json!(iat.saturating_add(secs)))
    }

    /// Sets any claim (`null` removes it).
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        if value.is_null() {
            self.claims.remove(name);
        } else {
            self.claims.insert(name.to_owned(), value);
        }
        self
    }

    /// The claims as they will be signed.
    #[must_use]
    pub fn claims(&self) -> Value {
        let mut claims = self.claims.clone();
        if let Some((id, slug, role)) = &self.org {
            if self.v2 {
                let (mut fea, per, mut fpm) = encode_v2_permissions(&self.permissions);
                // Features set with `claim("fea", …)` join the permissions' features; an
                // organisation feature without permissions gets an empty mask, so `fpm` stays
                // aligned with the organisation features of `fea`.
                let extra = self.claims.get("fea").and_then(Value::as_str).unwrap_or_default();
                for feature in extra.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                    if fea.split(',').any(|f| f == feature) {
                        continue;
                    }
                    if feature.starts_with("o:") || feature.starts_with("org:") {
                        fpm = if fpm.is_empty() { "0".to_owned() } else { format!("{fpm},0") };
                    }
                    fea = if fea.is_empty() { feature.to_owned() } else { format!("{fea},{feature}") };
                }
                let role = role.strip_prefix("org:").unwrap_or(role);
                claims.insert("v".into(), json!(2));
                claims.insert("fea".into(), json!(fea));
                claims.insert("o".into(), json!({"id": id, "slg": slug, "rol": role, "per": per, "fpm": fpm}));
            } else {
                claims.insert("org_id".into(), json!(id));
                claims.insert("org_slug".into(), json!(slug));
                claims.insert("org_role".into(), json!(role));
                claims.insert("org_permissions".into(), json!(self.permissions));
            }
        }
        Value::Object(claims)
    }

    /// Signs the token and remembers the session for template tokens.
    #[must_use]
    pub fn mint(self) -> String {
        let claims = self.claims();
        if let (Some(sid), Some(map)) = (claims.get("sid").and_then(Value::as_str), claims.as_object()) {
            let mut sessions = self.issuer.0.sessions.lock().unwrap_or_else(PoisonError::into_inner);
            sessions.insert(sid.to_owned(), map.clone());
        }
        self.issuer.sign_as(SESSION_TOKEN, &claims)
    }
}

/// The v2 encoding of `org:<feature>:<action>` permissions: `fea` lists the features (`o:`
/// scope), `per` the actions, and `fpm` one bit mask per feature, least-significant bit first.
#[must_use]
pub fn encode_v2_permissions(permissions: &[String]) -> (String, String, String) {
    let mut features: Vec<&str> = Vec::new();
    let mut actions: Vec<&str> = Vec::new();
    let parsed: Vec<(&str, &str)> =
        permissions.iter().filter_map(|p| p.strip_prefix("org:").and_then(|rest| rest.split_once(':'))).collect();
    for (feature, action) in &parsed {
        if !features.contains(feature) {
            features.push(feature);
        }
        if !actions.contains(action) {
            actions.push(action);
        }
    }
    let masks: Vec<String> = features
        .iter()
        .map(|feature| {
            let mut mask = 0_u128;
            for (f, action) in &parsed {
                if f == feature {
                    let bit = actions.iter().position(|a| a == action).unwrap_or_default();
                    mask |= 1 << bit.min(127);
                }
            }
            mask.to_string()
        })
        .collect();
    let fea = features.iter().map(|f| format!("o:{f}")).collect::<Vec<_>>().join(",");
    (fea, actions.join(","), masks.join(","))
}

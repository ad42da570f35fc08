//! `has()`: Clerk's fail-closed authorization check (clerk-semantics §2.4, HEAD / Era D).
//!
//! Every dimension that is asked must pass; nothing asked, signed out, or no active
//! organisation for a role/permission check ⇒ `false`.

use crate::auth::claims::split_by_scope;
use crate::auth::Auth;

/// What to check with [`Auth::has`]. Start from one dimension and add others; all must hold.
///
/// ```
/// use axum_clerk::{Check, Reverification};
/// let admin_with_billing = Check::role("org:admin").and_feature("billing");
/// let recent_mfa = Check::permission("org:team_settings:manage").and_reverification(Reverification::Strict);
/// # let _ = (admin_with_billing, recent_mfa);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Check {
    role: Option<String>,
    permission: Option<String>,
    feature: Option<String>,
    plan: Option<String>,
    pub(crate) reverification: Option<Reverification>,
}

impl Check {
    /// The user has this role in the active organisation (`org:admin`; `admin` is read as `org:admin`).
    pub fn role(role: impl Into<String>) -> Self {
        Self::default().and_role(role)
    }

    /// The user has this permission in the active organisation (`org:<feature>:<action>`).
    pub fn permission(permission: impl Into<String>) -> Self {
        Self::default().and_permission(permission)
    }

    /// The session has this feature (`o:`/`org:`/`organization:` or `u:`/`user:` scope, or none).
    pub fn feature(feature: impl Into<String>) -> Self {
        Self::default().and_feature(feature)
    }

    /// The session has this plan (scoped like features).
    pub fn plan(plan: impl Into<String>) -> Self {
        Self::default().and_plan(plan)
    }

    /// The user verified their factors recently enough.
    pub fn reverification(reverification: Reverification) -> Self {
        Self::default().and_reverification(reverification)
    }

    /// Also require this role.
    pub fn and_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Also require this permission.
    pub fn and_permission(mut self, permission: impl Into<String>) -> Self {
        self.permission = Some(permission.into());
        self
    }

    /// Also require this feature.
    pub fn and_feature(mut self, feature: impl Into<String>) -> Self {
        self.feature = Some(feature.into());
        self
    }

    /// Also require this plan.
    pub fn and_plan(mut self, plan: impl Into<String>) -> Self {
        self.plan = Some(plan.into());
        self
    }

    /// The reverification this check requires, if any.
    #[must_use]
    pub fn reverification_requirement(&self) -> Option<Reverification> {
        self.reverification
    }

    /// Also require recent verification.
    pub fn and_reverification(mut self, reverification: Reverification) -> Self {
        self.reverification = Some(reverification);
        self
    }
}

/// How recently the user must have verified which factors (§2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reverification {
    /// `strict_mfa`: both factors within 10 minutes.
    StrictMfa,
    /// `strict`: second factor within 10 minutes.
    Strict,
    /// `moderate`: second factor within 60 minutes.
    Moderate,
    /// `lax`: second factor within 24 hours.
    Lax,
    /// A custom level; `after_minutes` must be positive or the check fails.
    Custom {
        /// Which factors.
        level: ReverificationLevel,
        /// Within how many minutes.
        after_minutes: u32,
    },
}

/// Which factors a [`Reverification`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReverificationLevel {
    /// `first_factor`
    FirstFactor,
    /// `second_factor` (falls back to the first factor when no second factor is enabled)
    SecondFactor,
    /// `multi_factor` (falls back to the first factor when no second factor is enabled)
    MultiFactor,
}

impl Reverification {
    /// Parses Clerk's preset names: `strict_mfa`, `strict`, `moderate`, `lax`.
    ///
    /// ```
    /// use axum_clerk::Reverification;
    /// assert_eq!(Reverification::from_preset("strict"), Some(Reverification::Strict));
    /// assert_eq!(Reverification::from_preset("invalid-value"), None);
    /// ```
    #[must_use]
    pub fn from_preset(name: &str) -> Option<Self> {
        match name {
            "strict_mfa" => Some(Self::StrictMfa),
            "strict" => Some(Self::Strict),
            "moderate" => Some(Self::Moderate),
            "lax" => Some(Self::Lax),
            _ => None,
        }
    }

    /// What Clerk's `reverificationError` puts in `metadata.reverification`: the preset's name,
    /// or `{ "level": …, "afterMinutes": … }`.
    ///
    /// ```
    /// use axum_clerk::{Reverification, ReverificationLevel};
    /// assert_eq!(Reverification::Strict.metadata(), serde_json::json!("strict"));
    /// let custom = Reverification::Custom { level: ReverificationLevel::FirstFactor, after_minutes: 5 };
    /// assert_eq!(custom.metadata(), serde_json::json!({"level": "first_factor", "afterMinutes": 5}));
    /// ```
    #[must_use]
    pub fn metadata(self) -> serde_json::Value {
        let level = |level: ReverificationLevel| match level {
            ReverificationLevel::FirstFactor => "first_factor",
            ReverificationLevel::SecondFactor => "second_factor",
            ReverificationLevel::MultiFactor => "multi_factor",
        };
        match self {
            Self::StrictMfa => "strict_mfa".into(),
            Self::Strict => "strict".into(),
            Self::Moderate => "moderate".into(),
            Self::Lax => "lax".into(),
            Self::Custom { level: l, after_minutes } => {
                serde_json::json!({ "level": level(l), "afterMinutes": after_minutes })
            }
        }
    }

    fn level_and_minutes(self) -> Option<(ReverificationLevel, f64)> {
        use ReverificationLevel::*;
        match self {
            Self::StrictMfa => Some((MultiFactor, 10.0)),
            Self::Strict => Some((SecondFactor, 10.0)),
            Self::Moderate => Some((SecondFactor, 60.0)),
            Self::Lax => Some((SecondFactor, 1440.0)),
            Self::Custom { after_minutes: 0, .. } => None,
            Self::Custom { level, after_minutes } => Some((level, f64::from(after_minutes))),
        }
    }
}

#[derive(PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

fn outcome(pass: bool) -> Outcome {
    if pass {
        Outcome::Pass
    } else {
        Outcome::Fail
    }
}

impl Auth {
    /// Clerk's `has()`: true only when signed in and every dimension of `check` holds.
    ///
    /// ```
    /// use axum_clerk::{Auth, Check};
    /// assert!(!Auth::signed_out().has(&Check::role("org:admin")));
    /// ```
    #[must_use]
    pub fn has(&self, check: &Check) -> bool {
        if !self.is_signed_in() {
            return false;
        }
        let outcomes = [self.check_org(check), self.check_billing(check), self.check_reverification(check)];
        outcomes.contains(&Outcome::Pass) && outcomes.iter().all(|o| *o != Outcome::Fail)
    }

    fn check_org(&self, check: &Check) -> Outcome {
        if check.role.is_none() && check.permission.is_none() {
            return Outcome::Skip;
        }
        let org = self.org();
        if org.id.as_deref().is_none_or(str::is_empty) {
            return Outcome::Fail;
        }
        if let Some(role) = &check.role {
            match org.role.as_deref() {
                Some(held) if !held.is_empty() && without_org_prefix(held) == without_org_prefix(role) => {}
                _ => return Outcome::Fail,
            }
        }
        if let Some(permission) = &check.permission {
            // Held permissions carry the `org:` prefix; the asked one may omit it.
            let asked = without_org_prefix(permission);
            if !org.permissions.as_ref().is_some_and(|held| held.iter().any(|h| h.strip_prefix("org:") == Some(asked)))
            {
                return Outcome::Fail;
            }
        }
        Outcome::Pass
    }

    fn check_billing(&self, check: &Check) -> Outcome {
        if check.feature.is_none() && check.plan.is_none() {
            return Outcome::Skip;
        }
        if let Some(feature) = &check.feature {
            if !has_scoped(self.features(), feature) {
                return Outcome::Fail;
            }
        }
        if let Some(plan) = &check.plan {
            if !has_scoped(self.plans(), plan) {
                return Outcome::Fail;
            }
        }
        Outcome::Pass
    }

    fn check_reverification(&self, check: &Check) -> Outcome {
        let Some(reverification) = check.reverification else {
            return Outcome::Skip;
        };
        let Some((level, minutes)) = reverification.level_and_minutes() else {
            return Outcome::Fail;
        };
        let Some(ages) = self.factor_verification_age() else {
            return Outcome::Fail;
        };
        let [f1, f2] = [ages.first_factor.unwrap_or(-1.0), ages.second_factor.unwrap_or(-1.0)];
        if f1 == -1.0 && f2 == -1.0 {
            return Outcome::Fail;
        }
        let f1_ok = f1 != -1.0 && minutes > f1;
        let f2_ok = f2 != -1.0 && minutes > f2;
        outcome(match level {
            ReverificationLevel::FirstFactor => f1_ok,
            ReverificationLevel::SecondFactor => {
                if f2 == -1.0 {
                    f1_ok
                } else {
                    f2_ok
                }
            }
            ReverificationLevel::MultiFactor => {
                if f2 == -1.0 {
                    f1_ok
                } else {
                    f1 != -1.0 && f1_ok && f2_ok
                }
            }
        })
    }
}

/// Clerk compares roles and permissions with `org:` added when missing; comparing them with it
/// removed is the same test without building strings.
fn without_org_prefix(value: &str) -> &str {
    value.strip_prefix("org:").unwrap_or(value)
}

/// `checkForFeatureOrPlan` (HEAD): an explicit scope must be one of `o`, `org`, `organization`,
/// `u`, `user`; an unknown scope or a malformed claim fails.
fn has_scoped(claim: &str, asked: &str) -> bool {
    if claim.is_empty() {
        return false;
    }
    let Ok(scoped) = split_by_scope(claim) else {
        return false;
    };
    let mut pieces = asked.split(':');
    let raw_scope = pieces.next().unwrap_or_default();
    match pieces.next() {
        None => scoped.org.contains(&raw_scope) || scoped.user.contains(&raw_scope),
        Some(id) => {
            let id = if id.is_empty() { raw_scope } else { id };
            match raw_scope {
                "o" | "org" | "organization" => scoped.org.contains(&id),
                "u" | "user" => scoped.user.contains(&id),
                _ => false,
            }
        }
    }
}

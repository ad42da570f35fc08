//! Configuration from the environment: Clerk's variable names ([`CONFIG_VARIABLES`]), read onto a
//! builder so that code can add to them.

use std::time::Duration;

use super::{ClerkConfig, ConfigError};
use crate::config::builder::ClerkConfigBuilder;

impl ClerkConfig {
    /// The configuration from the environment alone: `ClerkConfig::builder().from_env()?.build()`
    /// (see [`ClerkConfigBuilder::from_env`] for every variable read).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first variable that is malformed (or not UTF-8), or saying
    /// that no key source is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().from_env()?.build()
    }

    /// Like [`ClerkConfig::from_env`], reading variables through `lookup` instead of the process
    /// environment (for tests and for secrets managers).
    ///
    /// ```
    /// use axum_clerk::ClerkConfig;
    /// let err = ClerkConfig::from_vars(|name| match name {
    ///     "CLERK_SECRET_KEY" => Some("sk_test_x".to_owned()),
    ///     "CLERK_CLOCK_SKEW_IN_MS" => Some("soon".to_owned()),
    ///     _ => None,
    /// })
    /// .unwrap_err();
    /// assert_eq!(err.setting(), "CLERK_CLOCK_SKEW_IN_MS");
    /// ```
    ///
    /// # Errors
    /// As [`ClerkConfig::from_env`].
    pub fn from_vars(lookup: impl FnMut(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::builder().from_vars(lookup)?.build()
    }
}

impl ClerkConfigBuilder {
    /// Takes every setting the environment has, keeping the builder's value where a variable is
    /// unset or empty; settings made after this call win. So the environment and code combine:
    ///
    /// ```no_run
    /// # fn run() -> Result<(), axum_clerk::ConfigError> {
    /// use axum_clerk::ClerkConfig;
    /// let config = ClerkConfig::builder()
    ///     .from_env()?                                // CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, …
    ///     .audience(["https://api.example.com"])       // in code, on top
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// Variables (Clerk's names): `CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY` (else
    /// `NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY`), `CLERK_JWT_KEY`, `CLERK_API_URL`, `CLERK_API_VERSION`,
    /// `CLERK_JWKS_URL`, `CLERK_SIGN_IN_URL`, `CLERK_SIGN_UP_URL`, `CLERK_PROXY_URL`,
    /// `CLERK_MACHINE_SECRET_KEY`, `CLERK_AUTHORIZED_PARTIES` (comma-separated origins),
    /// `CLERK_APP_ORIGIN`, `CLERK_ALLOWED_REDIRECT_ORIGINS` (comma-separated) and
    /// `CLERK_CLOCK_SKEW_IN_MS`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first variable that is malformed or not UTF-8.
    pub fn from_env(self) -> Result<Self, ConfigError> {
        let mut bad_utf8 = None;
        let builder = self.from_vars(|name| match std::env::var(name) {
            Ok(value) => Some(value),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(_)) => {
                bad_utf8.get_or_insert(name.to_owned());
                None
            }
        });
        if let Some(name) = bad_utf8 {
            let setting = CONFIG_VARIABLES.iter().find(|v| **v == name).copied().unwrap_or("environment");
            return Err(ConfigError::new(setting, "the value is not valid UTF-8"));
        }
        builder
    }

    /// [`Self::from_env`] through `lookup` instead of the process environment.
    ///
    /// ```
    /// use axum_clerk::ClerkConfig;
    /// let config = ClerkConfig::builder()
    ///     .from_vars(|name| (name == "CLERK_SECRET_KEY").then(|| "sk_test_x".to_owned()))
    ///     .unwrap()
    ///     .authorized_parties(["https://app.example.com"])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.authorized_parties(), ["https://app.example.com"]);
    /// ```
    ///
    /// # Errors
    /// As [`Self::from_env`].
    pub fn from_vars(mut self, mut lookup: impl FnMut(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let set = |slot: &mut Option<String>, value: Option<String>| {
            if value.is_some() {
                *slot = value;
            }
        };
        set(&mut self.secret_key, get("CLERK_SECRET_KEY"));
        set(
            &mut self.publishable_key,
            get("CLERK_PUBLISHABLE_KEY").or_else(|| get("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY")),
        );
        set(&mut self.jwt_key, get("CLERK_JWT_KEY"));
        set(&mut self.api_url, get("CLERK_API_URL"));
        set(&mut self.api_version, get("CLERK_API_VERSION"));
        set(&mut self.jwks_url, get("CLERK_JWKS_URL"));
        set(&mut self.sign_in_url, get("CLERK_SIGN_IN_URL"));
        set(&mut self.sign_up_url, get("CLERK_SIGN_UP_URL"));
        set(&mut self.proxy_url, get("CLERK_PROXY_URL"));
        set(&mut self.machine_secret_key, get("CLERK_MACHINE_SECRET_KEY"));
        set(&mut self.app_origin, get("CLERK_APP_ORIGIN"));
        let list =
            |value: String| value.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
        if let Some(parties) = get("CLERK_AUTHORIZED_PARTIES") {
            self.authorized_parties = list(parties);
        }
        if let Some(origins) = get("CLERK_ALLOWED_REDIRECT_ORIGINS") {
            self.allowed_redirect_origins = list(origins);
        }
        if let Some(skew) = get("CLERK_CLOCK_SKEW_IN_MS") {
            let ms: u64 = skew.trim().parse().map_err(|_| {
                ConfigError::new("CLERK_CLOCK_SKEW_IN_MS", format!("`{skew}` is not a whole number of milliseconds"))
            })?;
            self.clock_skew = Some(Duration::from_millis(ms));
        }
        Ok(self)
    }
}

/// Every environment variable [`ClerkConfigBuilder::from_env`] reads (Clerk's names).
///
/// ```
/// assert!(axum_clerk::CONFIG_VARIABLES.contains(&"CLERK_SECRET_KEY"));
/// ```
pub const CONFIG_VARIABLES: &[&str] = &[
    "CLERK_SECRET_KEY",
    "CLERK_PUBLISHABLE_KEY",
    "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
    "CLERK_JWT_KEY",
    "CLERK_API_URL",
    "CLERK_API_VERSION",
    "CLERK_JWKS_URL",
    "CLERK_SIGN_IN_URL",
    "CLERK_SIGN_UP_URL",
    "CLERK_AUTHORIZED_PARTIES",
    "CLERK_CLOCK_SKEW_IN_MS",
    "CLERK_APP_ORIGIN",
    "CLERK_ALLOWED_REDIRECT_ORIGINS",
    "CLERK_PROXY_URL",
    "CLERK_MACHINE_SECRET_KEY",
];

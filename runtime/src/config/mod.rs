//! Configuration: built in code or read from Clerk's own environment variables.

use std::sync::Arc;
use std::time::Duration;
use url::Url;

mod builder;
mod env;

pub(crate) use builder::has_http_scheme_prefix;
pub use builder::ClerkConfigBuilder;
pub use env::CONFIG_VARIABLES;

use crate::clock::Clock;
use crate::publishable_key::{InstanceType, PublishableKey};
use crate::verify::jwks::JwksOptions;
use crate::verify::keys::PublicKey;

/// Largest clock skew accepted: session tokens live 60 s, so more would make `exp` meaningless.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);
/// Clerk's default clock skew.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5);

/// How long a machine token the Backend API verified is trusted without asking again, unless
/// configured ([`ClerkConfigBuilder::machine_token_cache_ttl`]).
pub const DEFAULT_MACHINE_TOKEN_CACHE_TTL: Duration = Duration::from_secs(10);

/// A configuration value was refused. The message names the setting (its environment
/// variable) and what is wrong with it.
///
/// ```
/// use axum_clerk::ClerkConfig;
/// let err = ClerkConfig::builder().publishable_key("pk_live_invalid").build().unwrap_err();
/// assert_eq!(err.setting(), "CLERK_PUBLISHABLE_KEY");
/// assert!(err.to_string().starts_with("CLERK_PUBLISHABLE_KEY: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    setting: &'static str,
    problem: String,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, problem: impl Into<String>) -> Self {
        Self { setting, problem: problem.into() }
    }

    /// The environment variable (or setting) at fault, e.g. `CLERK_JWT_KEY`.
    #[must_use]
    pub fn setting(&self) -> &'static str {
        self.setting
    }

    /// What is wrong with it.
    #[must_use]
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// A validated configuration. Build it with [`ClerkConfig::builder`] or [`ClerkConfig::from_env`].
///
/// ```
/// use axum_clerk::ClerkConfig;
/// let config = ClerkConfig::builder()
///     .secret_key("sk_test_xxxxxxxxxxxxxxxxxx")
///     .publishable_key("pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA")
///     .authorized_parties(["https://app.example.com"])
///     .build()
///     .unwrap();
/// assert_eq!(config.sign_in_url(), "https://accounts.inspired.puma-74.lcl.dev/sign-in");
/// ```
#[derive(Clone)]
pub struct ClerkConfig {
    pub(crate) secret_key: Option<String>,
    pub(crate) publishable_key: Option<PublishableKey>,
    pub(crate) jwt_key: Option<Arc<PublicKey>>,
    pub(crate) api_url: Url,
    pub(crate) api_version: String,
    pub(crate) jwks_url: Option<Url>,
    pub(crate) sign_in_url: Option<String>,
    pub(crate) sign_up_url: Option<String>,
    pub(crate) authorized_parties: Vec<String>,
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) clock_skew: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) pending_is_signed_in: bool,
    pub(crate) jwks: JwksOptions,
    pub(crate) app_origin: Option<Url>,
    pub(crate) allowed_redirect_origins: Vec<String>,
    pub(crate) api_rejection_status: Option<ApiStatusHook>,
    pub(crate) api_timeout: Duration,
    pub(crate) machine_secret_key: Option<String>,
    pub(crate) machine_token_cache_ttl: Duration,
    pub(crate) verified_token_cache: usize,
    pub(crate) http_client: Option<reqwest::Client>,
    pub(crate) instance: InstanceFacts,
}

/// What the publishable key says about the instance, worked out once when the configuration is
/// built (clerk-semantics §5.2, §5.9): every decision that depends on the instance reads these.
#[derive(Debug, Clone, Default)]
pub(crate) struct InstanceFacts {
    /// `pk_test_`: the cookie flow reads the dev-browser token, redirects carry it.
    pub(crate) development: bool,
    /// `pk_live_`: the one suffixed-cookie rule that reads the clock is skipped.
    pub(crate) production: bool,
    /// The Frontend API host (`clerk.example.com`), compared with a cookie token's `iss`.
    pub(crate) frontend_api: Option<String>,
    /// `__session_<suffix>`, `__client_uat_<suffix>`, `__clerk_db_jwt_<suffix>`.
    pub(crate) suffixed: Option<SuffixedCookieNames>,
    /// The Frontend API's handshake endpoint: `https://{frontend API}/v1/client/handshake`, or
    /// under `CLERK_PROXY_URL` when set. `None` without a publishable key: no handshake then.
    pub(crate) handshake_url: Option<Url>,
    /// The Account Portal's origin derived from the Frontend API (`buildAccountsBaseUrl`); not
    /// derived behind a proxy URL, as in Clerk.
    pub(crate) accounts_origin: Option<String>,
}

/// The suffixed cookie names of an instance (§5.2).
#[derive(Debug, Clone)]
pub(crate) struct SuffixedCookieNames {
    pub(crate) session: String,
    pub(crate) client_uat: String,
    pub(crate) dev_browser: String,
    pub(crate) refresh: String,
}

impl InstanceFacts {
    fn of(publishable_key: Option<&PublishableKey>, proxy_url: Option<&Url>) -> Self {
        let Some(pk) = publishable_key else { return Self::default() };
        let suffix = pk.cookie_suffix();
        // Clerk's `buildRedirectToHandshake`: the base without trailing slashes, then the path.
        let base = proxy_url.map_or_else(|| format!("https://{}", pk.frontend_api()), |u| u.as_str().to_owned());
        let handshake_url = Url::parse(&format!("{}/", base.trim_end_matches('/')))
            .and_then(|base| base.join("v1/client/handshake"))
            .ok();
        Self {
            development: pk.instance_type() == InstanceType::Development,
            production: pk.instance_type() == InstanceType::Production,
            frontend_api: Some(pk.frontend_api().to_owned()),
            suffixed: Some(SuffixedCookieNames {
                session: format!("__session_{suffix}"),
                client_uat: format!("__client_uat_{suffix}"),
                dev_browser: format!("__clerk_db_jwt_{suffix}"),
                refresh: format!("__refresh_{suffix}"),
            }),
            handshake_url,
            accounts_origin: proxy_url.is_none().then(|| pk.accounts_base_url()),
        }
    }
}

/// Why `protect` refused an API (non-page) request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Signed out (Clerk answers 404).
    Unauthenticated,
    /// Signed in without the required role, permission, … (Clerk answers 404).
    Unauthorized,
}

/// Chooses the status of API rejections; see [`ClerkConfigBuilder::api_rejection_status`].
pub type ApiStatusHook = Arc<dyn Fn(Denial) -> http::StatusCode + Send + Sync>;

impl ClerkConfig {
    /// A builder with Clerk's defaults.
    pub fn builder() -> ClerkConfigBuilder {
        ClerkConfigBuilder::default()
    }

    /// The publishable key, if configured.
    #[must_use]
    pub fn publishable_key(&self) -> Option<&PublishableKey> {
        self.publishable_key.as_ref()
    }

    /// The instance type, from the publishable key (`None` without one), as Clerk's
    /// `authenticateRequest` and `createRedirect` read it.
    #[must_use]
    pub fn instance_type(&self) -> Option<InstanceType> {
        self.publishable_key.as_ref().map(PublishableKey::instance_type)
    }

    /// The Backend API base URL (`CLERK_API_URL`, else derived from the publishable key).
    #[must_use]
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// The sign-in URL: `CLERK_SIGN_IN_URL`, else the Account Portal's `/sign-in` derived from the
    /// publishable key, else `/sign-in`.
    #[must_use]
    pub fn sign_in_url(&self) -> String {
        self.portal_url(self.sign_in_url.as_deref(), "sign-in")
    }

    /// The sign-up URL: `CLERK_SIGN_UP_URL`, else `<sign-in URL>/create` when a sign-in URL is
    /// configured (Clerk HEAD), else the Account Portal's `/sign-up`, else `/sign-up`.
    #[must_use]
    pub fn sign_up_url(&self) -> String {
        match (&self.sign_up_url, &self.sign_in_url) {
            (None, Some(sign_in)) => {
                let (path, query) = sign_in.split_once('?').map_or((sign_in.as_str(), None), |(p, q)| (p, Some(q)));
                let mut url = format!("{}/create", path.trim_end_matches('/'));
                if let Some(query) = query {
                    url = format!("{url}?{query}");
                }
                url
            }
            _ => self.portal_url(self.sign_up_url.as_deref(), "sign-up"),
        }
    }

    fn portal_url(&self, configured: Option<&str>, page: &str) -> String {
        match (configured, &self.publishable_key) {
            (Some(url), _) => url.to_owned(),
            (None, Some(pk)) => format!("{}/{page}", pk.accounts_base_url()),
            (None, None) => format!("/{page}"),
        }
    }

    /// The authorized parties (`azp` values) accepted; empty means any.
    #[must_use]
    pub fn authorized_parties(&self) -> &[String] {
        &self.authorized_parties
    }

    /// The clock skew allowed on `exp`, `nbf` and `iat`.
    #[must_use]
    pub fn clock_skew(&self) -> Duration {
        self.clock_skew
    }
}

impl std::fmt::Debug for ClerkConfig {
    // The secret key never reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClerkConfig")
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .field("publishable_key", &self.publishable_key)
            .field("jwt_key", &self.jwt_key)
            .field("api_url", &self.api_url.as_str())
            .field("jwks_url", &self.jwks_url.as_ref().map(Url::as_str))
            .field("authorized_parties", &self.authorized_parties)
            .field("audience", &self.audience)
            .field("clock_skew", &self.clock_skew)
            .field("pending_is_signed_in", &self.pending_is_signed_in)
            .field("app_origin", &self.app_origin.as_ref().map(Url::as_str))
            .field("allowed_redirect_origins", &self.allowed_redirect_origins)
            .finish_non_exhaustive()
    }
}

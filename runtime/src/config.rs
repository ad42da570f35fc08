//! Configuration: built in code or read from Clerk's own environment variables.

use std::sync::Arc;
use std::time::Duration;
use url::Url;

use crate::clock::{Clock, SystemClock};
use crate::publishable_key::{InstanceType, PublishableKey};
use crate::verify::jwks::JwksOptions;
use crate::verify::keys::PublicKey;

/// Largest clock skew accepted: session tokens live 60 s, so more would make `exp` meaningless.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);
/// Clerk's default clock skew.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5);

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
}

/// The suffixed cookie names of an instance (§5.2).
#[derive(Debug, Clone)]
pub(crate) struct SuffixedCookieNames {
    pub(crate) session: String,
    pub(crate) client_uat: String,
    pub(crate) dev_browser: String,
}

impl InstanceFacts {
    fn of(publishable_key: Option<&PublishableKey>) -> Self {
        let Some(pk) = publishable_key else { return Self::default() };
        let suffix = pk.cookie_suffix();
        Self {
            development: pk.instance_type() == InstanceType::Development,
            production: pk.instance_type() == InstanceType::Production,
            frontend_api: Some(pk.frontend_api().to_owned()),
            suffixed: Some(SuffixedCookieNames {
                session: format!("__session_{suffix}"),
                client_uat: format!("__client_uat_{suffix}"),
                dev_browser: format!("__clerk_db_jwt_{suffix}"),
            }),
        }
    }
}

/// How `iss` is pinned, if at all.
#[derive(Debug, Clone)]
enum Issuer {
    Exact(String),
    FromPublishableKey,
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

    /// Reads `CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`, `CLERK_JWT_KEY`, `CLERK_API_URL`,
    /// `CLERK_API_VERSION`, `CLERK_JWKS_URL`, `CLERK_SIGN_IN_URL`, `CLERK_SIGN_UP_URL`,
    /// `CLERK_AUTHORIZED_PARTIES` (comma-separated origins) and `CLERK_CLOCK_SKEW_IN_MS`.
    /// `NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY` is read when `CLERK_PUBLISHABLE_KEY` is unset.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first variable that is malformed (or not UTF-8), or saying
    /// that no key source is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut bad_utf8 = None;
        let config = Self::from_vars(|name| match std::env::var(name) {
            Ok(value) => Some(value),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(_)) => {
                bad_utf8.get_or_insert(name.to_owned());
                None
            }
        });
        if let Some(name) = bad_utf8 {
            let setting = ENV_VARS.iter().find(|v| **v == name).copied().unwrap_or("environment");
            return Err(ConfigError::new(setting, "the value is not valid UTF-8"));
        }
        config
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
    pub fn from_vars(mut lookup: impl FnMut(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = Self::builder();
        builder.secret_key = get("CLERK_SECRET_KEY");
        builder.publishable_key = get("CLERK_PUBLISHABLE_KEY").or_else(|| get("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY"));
        builder.jwt_key = get("CLERK_JWT_KEY");
        builder.api_url = get("CLERK_API_URL");
        builder.api_version = get("CLERK_API_VERSION");
        builder.jwks_url = get("CLERK_JWKS_URL");
        builder.sign_in_url = get("CLERK_SIGN_IN_URL");
        builder.sign_up_url = get("CLERK_SIGN_UP_URL");
        if let Some(parties) = get("CLERK_AUTHORIZED_PARTIES") {
            builder.authorized_parties =
                parties.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
        }
        if let Some(origin) = get("CLERK_APP_ORIGIN") {
            builder.app_origin = Some(origin);
        }
        if let Some(origins) = get("CLERK_ALLOWED_REDIRECT_ORIGINS") {
            builder.allowed_redirect_origins =
                origins.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
        }
        if let Some(skew) = get("CLERK_CLOCK_SKEW_IN_MS") {
            let ms: u64 = skew.trim().parse().map_err(|_| {
                ConfigError::new("CLERK_CLOCK_SKEW_IN_MS", format!("`{skew}` is not a whole number of milliseconds"))
            })?;
            builder.clock_skew = Some(Duration::from_millis(ms));
        }
        builder.build()
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

const ENV_VARS: &[&str] = &[
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
];

/// Builds a [`ClerkConfig`]; every value is checked in [`ClerkConfigBuilder::build`].
#[derive(Clone, Default)]
#[must_use]
pub struct ClerkConfigBuilder {
    secret_key: Option<String>,
    publishable_key: Option<String>,
    jwt_key: Option<String>,
    api_url: Option<String>,
    api_version: Option<String>,
    jwks_url: Option<String>,
    sign_in_url: Option<String>,
    sign_up_url: Option<String>,
    authorized_parties: Vec<String>,
    audience: Vec<String>,
    issuer: Option<Issuer>,
    clock_skew: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
    pending_is_signed_in: bool,
    jwks: JwksOptions,
    app_origin: Option<String>,
    allowed_redirect_origins: Vec<String>,
    api_rejection_status: Option<ApiStatusHook>,
    api_timeout: Option<Duration>,
    verified_token_cache: Option<usize>,
    http_client: Option<reqwest::Client>,
}

impl std::fmt::Debug for ClerkConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClerkConfigBuilder").finish_non_exhaustive()
    }
}

impl ClerkConfigBuilder {
    /// `CLERK_APP_ORIGIN`: the application's public origin (`https://app.example.com`). When set,
    /// return URLs are built from it and `Host` / `X-Forwarded-*` are ignored; without it they are
    /// derived from `X-Forwarded-Proto`/`X-Forwarded-Host`/`Host` as Clerk does.
    pub fn app_origin(mut self, origin: impl Into<String>) -> Self {
        self.app_origin = Some(origin.into());
        self
    }

    /// `CLERK_ALLOWED_REDIRECT_ORIGINS`: other origins a return URL may point to, exact
    /// (`https://admin.example.com`) or with a leading host wildcard (`https://*.example.com`, which
    /// matches whole labels only). The application's own origin is always allowed.
    pub fn allowed_redirect_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_redirect_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// How many verified tokens to remember (default 10 000; 0 turns the cache off). A token seen
    /// again within its lifetime and under the same key set skips the RSA check; failures are
    /// never cached. When more tokens are live than this, the tenth expiring first makes room, so
    /// size it to the sessions active within a minute (a session's token is replaced every ~50 s).
    pub fn verified_token_cache(mut self, capacity: usize) -> Self {
        self.verified_token_cache = Some(capacity);
        self
    }

    /// The HTTP client for the JWKS and the Backend API (default: one built for them, with no
    /// redirects followed and a 2-second connect timeout). Pass one to share a connection pool
    /// or to set a proxy; redirects should not be followed, since requests carry the secret key.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Time limit of Backend API calls such as `get_token` with a template (default 10 s).
    pub fn api_timeout(mut self, timeout: Duration) -> Self {
        self.api_timeout = Some(timeout);
        self
    }

    /// The status `protect` uses for API (non-page) rejections. Clerk answers 404 to both; an API
    /// that wants 401 / 403 says so here.
    ///
    /// ```
    /// use axum_clerk::{ClerkConfig, Denial};
    /// use http::StatusCode;
    /// let config = ClerkConfig::builder()
    ///     .secret_key("sk_test_x")
    ///     .api_rejection_status(|denial| match denial {
    ///         Denial::Unauthenticated => StatusCode::UNAUTHORIZED,
    ///         Denial::Unauthorized => StatusCode::FORBIDDEN,
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # let _ = config;
    /// ```
    pub fn api_rejection_status(mut self, hook: impl Fn(Denial) -> http::StatusCode + Send + Sync + 'static) -> Self {
        self.api_rejection_status = Some(Arc::new(hook));
        self
    }

    /// `CLERK_SECRET_KEY`: authenticates JWKS requests to the Backend API.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// `CLERK_PUBLISHABLE_KEY`: instance type, Frontend API, Account Portal, cookie suffix.
    pub fn publishable_key(mut self, key: impl Into<String>) -> Self {
        self.publishable_key = Some(key.into());
        self
    }

    /// `CLERK_JWT_KEY`: the instance's PEM public key, for networkless verification. Wins over JWKS.
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some(pem.into());
        self
    }

    /// `CLERK_API_URL`: the Backend API base URL (default `https://api.clerk.com`).
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// `CLERK_API_VERSION` (default `v1`).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// `CLERK_JWKS_URL`: any JWKS URL, for issuers other than Clerk's Backend API. Fetched without
    /// credentials. Wins over the Backend API, loses to `CLERK_JWT_KEY`.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// `CLERK_SIGN_IN_URL`: an absolute path or an absolute http(s) URL.
    pub fn sign_in_url(mut self, url: impl Into<String>) -> Self {
        self.sign_in_url = Some(url.into());
        self
    }

    /// `CLERK_SIGN_UP_URL`: an absolute path or an absolute http(s) URL.
    pub fn sign_up_url(mut self, url: impl Into<String>) -> Self {
        self.sign_up_url = Some(url.into());
        self
    }

    /// `CLERK_AUTHORIZED_PARTIES`: origins allowed in `azp`. When set, a token without `azp` is refused.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// Audiences accepted in `aud`. When set, a token without a matching `aud` is refused.
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// Require `iss` to equal `issuer` exactly (`https://clerk.example.com`). Clerk never checks
    /// `iss`; pinning it is an opt-in defence for processes that trust several instances.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(Issuer::Exact(issuer.into()));
        self
    }

    /// Require `iss` to be the Frontend API of the publishable key (`https://<frontend api>`).
    /// Leave it off behind a proxy or for satellite domains, whose tokens name another issuer.
    pub fn issuer_from_publishable_key(mut self) -> Self {
        self.issuer = Some(Issuer::FromPublishableKey);
        self
    }

    /// `CLERK_CLOCK_SKEW_IN_MS`: leeway on `exp`/`nbf`/`iat` (default 5 s, zero honoured, at most 5 min).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = Some(skew);
        self
    }

    /// The time source (tests pin it with [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Treat `sts: "pending"` sessions as signed in (Clerk's `treatPendingAsSignedOut: false`).
    pub fn pending_sessions_signed_in(mut self, signed_in: bool) -> Self {
        self.pending_is_signed_in = signed_in;
        self
    }

    /// JWKS cache behaviour.
    pub fn jwks_options(mut self, options: JwksOptions) -> Self {
        self.jwks = options;
        self
    }

    /// Checks every value.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad setting, or saying that no key source is set
    /// (one of `CLERK_JWT_KEY`, `CLERK_JWKS_URL`, `CLERK_SECRET_KEY` is needed).
    pub fn build(self) -> Result<ClerkConfig, ConfigError> {
        let secret_key = self.secret_key.map(|k| k.trim().to_owned());
        if let Some(sk) = &secret_key {
            if sk.is_empty() || !sk.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::new("CLERK_SECRET_KEY", "must be non-empty printable ASCII without spaces"));
            }
        }
        let publishable_key = self
            .publishable_key
            .map(|pk| PublishableKey::parse(pk.trim()))
            .transpose()
            .map_err(|e| ConfigError::new("CLERK_PUBLISHABLE_KEY", e.to_string()))?;
        let jwt_key = self
            .jwt_key
            .map(|pem| PublicKey::from_pem(&pem).map(Arc::new))
            .transpose()
            .map_err(|e| ConfigError::new("CLERK_JWT_KEY", e.to_string()))?;
        let api_url = match self.api_url {
            Some(url) => http_url("CLERK_API_URL", &url)?,
            None => Url::parse(api_url_for(publishable_key.as_ref())).expect("built-in URL parses"),
        };
        let api_version = self.api_version.unwrap_or_else(|| "v1".to_owned());
        if api_version.is_empty() || !api_version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            return Err(ConfigError::new("CLERK_API_VERSION", format!("`{api_version}` is not a version like v1")));
        }
        let jwks_url = self.jwks_url.map(|u| http_url("CLERK_JWKS_URL", &u)).transpose()?;
        if jwt_key.is_none() && jwks_url.is_none() && secret_key.is_none() {
            return Err(ConfigError::new(
                "CLERK_SECRET_KEY",
                "no way to get verification keys: set CLERK_JWT_KEY (networkless PEM), CLERK_SECRET_KEY \
                 (JWKS from Clerk's Backend API) or CLERK_JWKS_URL",
            ));
        }
        for (setting, url) in [("CLERK_SIGN_IN_URL", &self.sign_in_url), ("CLERK_SIGN_UP_URL", &self.sign_up_url)] {
            if let Some(url) = url {
                check_redirect_target(setting, url)?;
            }
        }
        // Empty entries are ignored, as Clerk ignores them (verifyJwt test "['', azp]").
        let authorized_parties: Vec<String> =
            self.authorized_parties.into_iter().filter(|p| !p.trim().is_empty()).collect();
        for party in &authorized_parties {
            check_origin("CLERK_AUTHORIZED_PARTIES", party)?;
        }
        let issuer = match self.issuer {
            None => None,
            Some(Issuer::Exact(issuer)) => {
                let url = http_url("issuer", &issuer)?;
                if url.origin().ascii_serialization() != issuer {
                    return Err(ConfigError::new(
                        "issuer",
                        format!("`{issuer}` is not an origin like https://clerk.example.com"),
                    ));
                }
                Some(issuer)
            }
            Some(Issuer::FromPublishableKey) => match &publishable_key {
                Some(pk) => Some(format!("https://{}", pk.frontend_api())),
                None => {
                    return Err(ConfigError::new(
                        "CLERK_PUBLISHABLE_KEY",
                        "issuer_from_publishable_key() needs a publishable key",
                    ))
                }
            },
        };
        let clock_skew = self.clock_skew.unwrap_or(DEFAULT_CLOCK_SKEW);
        if clock_skew > MAX_CLOCK_SKEW {
            return Err(ConfigError::new(
                "CLERK_CLOCK_SKEW_IN_MS",
                format!("{} ms is more than the {} ms allowed", clock_skew.as_millis(), MAX_CLOCK_SKEW.as_millis()),
            ));
        }
        let app_origin = self
            .app_origin
            .map(|o| {
                check_origin("CLERK_APP_ORIGIN", &o)?;
                http_url("CLERK_APP_ORIGIN", &o)
            })
            .transpose()?;
        let allowed_redirect_origins: Vec<String> =
            self.allowed_redirect_origins.into_iter().filter(|p| !p.trim().is_empty()).collect();
        for origin in &allowed_redirect_origins {
            check_origin("CLERK_ALLOWED_REDIRECT_ORIGINS", &origin.replacen("://*.", "://wildcard.", 1))?;
            check_wildcard_suffix(origin)?;
        }
        let instance = InstanceFacts::of(publishable_key.as_ref());
        Ok(ClerkConfig {
            instance,
            http_client: self.http_client,
            app_origin,
            allowed_redirect_origins,
            api_rejection_status: self.api_rejection_status,
            api_timeout: self.api_timeout.unwrap_or(Duration::from_secs(10)),
            verified_token_cache: self.verified_token_cache.unwrap_or(10_000),
            secret_key,
            publishable_key,
            jwt_key,
            api_url,
            api_version,
            jwks_url,
            sign_in_url: self.sign_in_url,
            sign_up_url: self.sign_up_url,
            authorized_parties,
            audience: self.audience.into_iter().filter(|a| !a.is_empty()).collect(),
            issuer,
            clock_skew,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            pending_is_signed_in: self.pending_is_signed_in,
            jwks: self.jwks,
        })
    }
}

fn http_url(setting: &'static str, text: &str) -> Result<Url, ConfigError> {
    // `http:evil.com` parses as `http://evil.com`: only the spelled-out form is an absolute URL.
    if !has_http_scheme_prefix(text.trim()) {
        return Err(ConfigError::new(
            setting,
            format!("`{text}` is not an absolute http(s) URL (http://… or https://…)"),
        ));
    }
    let url = Url::parse(text.trim()).map_err(|e| ConfigError::new(setting, format!("`{text}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(setting, format!("`{text}` is not an absolute http(s) URL")));
    }
    Ok(url)
}

/// A redirect target from configuration: an absolute path (`/sign-in`) or an absolute http(s) URL.
fn check_redirect_target(setting: &'static str, url: &str) -> Result<(), ConfigError> {
    if url.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return Err(ConfigError::new(setting, format!("{url:?} contains whitespace, control characters or '\\'")));
    }
    if url.starts_with('/') {
        if url.starts_with("//") {
            return Err(ConfigError::new(
                setting,
                format!("`{url}` is protocol-relative; use a path or an absolute URL"),
            ));
        }
        return Ok(());
    }
    http_url(setting, url).map(drop)
}

/// Origins are compared exactly (to `azp`, to return URLs), so each must be a bare origin.
fn check_origin(setting: &'static str, origin: &str) -> Result<(), ConfigError> {
    let url = http_url(setting, origin)?;
    if url.origin().ascii_serialization() != origin {
        return Err(ConfigError::new(
            setting,
            format!(
                "`{origin}` is not an origin; write it as {} (scheme://host[:port], no path or trailing slash), \
                 because origins are compared exactly",
                url.origin().ascii_serialization()
            ),
        ));
    }
    Ok(())
}

/// Public suffixes of more than one label that a wildcard must not sit directly above (a short
/// list of the common ones, not the Public Suffix List: a single-label suffix is refused anyway).
const MULTI_LABEL_PUBLIC_SUFFIXES: &[&str] = &[
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "com.au",
    "net.au",
    "org.au",
    "co.nz",
    "co.jp",
    "co.kr",
    "co.in",
    "com.br",
    "com.cn",
    "com.mx",
    "com.tr",
    "co.za",
    "github.io",
    "gitlab.io",
    "vercel.app",
    "netlify.app",
    "pages.dev",
    "workers.dev",
    "herokuapp.com",
    "fly.dev",
    "onrender.com",
    "azurewebsites.net",
    "cloudfront.net",
    "amazonaws.com",
    "appspot.com",
    "web.app",
    "firebaseapp.com",
];

/// `https://*.com` would allow every `.com` host: a wildcard must sit above a registrable domain,
/// so one directly over a single label or a well-known public suffix is refused.
fn check_wildcard_suffix(origin: &str) -> Result<(), ConfigError> {
    let Some((_, rest)) = origin.split_once("://*.") else { return Ok(()) };
    let host = rest.split(':').next().unwrap_or(rest).to_ascii_lowercase();
    if !host.contains('.') || MULTI_LABEL_PUBLIC_SUFFIXES.contains(&host.as_str()) {
        return Err(ConfigError::new(
            "CLERK_ALLOWED_REDIRECT_ORIGINS",
            format!(
                "`{origin}` puts a wildcard directly over the public suffix `{host}`, which would allow \
                 other people's sites; name your own domain (https://*.example.com)"
            ),
        ));
    }
    Ok(())
}

/// `apiUrlFromPublishableKey` (§5.9).
fn api_url_for(pk: Option<&PublishableKey>) -> &'static str {
    const PROD: &str = "https://api.clerk.com";
    let Some(pk) = pk else { return PROD };
    let fapi = pk.frontend_api();
    let legacy_dev =
        fapi.starts_with("clerk.") && [".lcl.dev", ".lclstage.dev", ".lclclerk.com"].iter().any(|s| fapi.ends_with(s));
    if legacy_dev {
        PROD
    } else if [".lcl.dev", "lclstage.dev", ".lclclerk.com", ".accounts.lclclerk.com"].iter().any(|s| fapi.ends_with(s))
    {
        "https://api.lclclerk.com"
    } else if fapi.ends_with(".accountsstage.dev") {
        "https://api.clerkstage.dev"
    } else {
        PROD
    }
}

/// True when `text` starts with `http://` or `https://` (any case).
pub(crate) fn has_http_scheme_prefix(text: &str) -> bool {
    let head = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    head.starts_with("https://") || head.starts_with("http://")
}

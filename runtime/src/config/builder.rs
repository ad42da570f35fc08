//! [`ClerkConfigBuilder`]: every setting, and the checks that turn them into a [`ClerkConfig`].

use std::sync::Arc;
use std::time::Duration;
use url::Url;

use super::{
    ApiStatusHook, ClerkConfig, ConfigError, Denial, InstanceFacts, DEFAULT_CLOCK_SKEW,
    DEFAULT_MACHINE_TOKEN_CACHE_TTL, MAX_CLOCK_SKEW,
};
use crate::clock::{Clock, SystemClock};
use crate::publishable_key::PublishableKey;
use crate::verify::jwks::JwksOptions;
use crate::verify::keys::PublicKey;

/// How `iss` is pinned, if at all.
#[derive(Debug, Clone)]
enum Issuer {
    Exact(String),
    FromPublishableKey,
}

/// Builds a [`ClerkConfig`]; every value is checked in [`ClerkConfigBuilder::build`].
#[derive(Clone, Default)]
#[must_use]
pub struct ClerkConfigBuilder {
    pub(super) secret_key: Option<String>,
    pub(super) publishable_key: Option<String>,
    pub(super) jwt_key: Option<String>,
    pub(super) api_url: Option<String>,
    pub(super) api_version: Option<String>,
    pub(super) jwks_url: Option<String>,
    pub(super) sign_in_url: Option<String>,
    pub(super) sign_up_url: Option<String>,
    pub(super) proxy_url: Option<String>,
    pub(super) authorized_parties: Vec<String>,
    pub(super) audience: Vec<String>,
    issuer: Option<Issuer>,
    pub(super) clock_skew: Option<Duration>,
    pub(super) clock: Option<Arc<dyn Clock>>,
    pub(super) pending_is_signed_in: bool,
    pub(super) jwks: JwksOptions,
    pub(super) app_origin: Option<String>,
    pub(super) allowed_redirect_origins: Vec<String>,
    pub(super) api_rejection_status: Option<ApiStatusHook>,
    pub(super) api_timeout: Option<Duration>,
    pub(super) machine_secret_key: Option<String>,
    pub(super) machine_token_cache_ttl: Option<Duration>,
    pub(super) verified_token_cache: Option<usize>,
    pub(super) http_client: Option<reqwest::Client>,
}

impl std::fmt::Debug for ClerkConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClerkConfigBuilder").finish_non_exhaustive()
    }
}

impl ClerkConfigBuilder {
    /// `CLERK_MACHINE_SECRET_KEY`: the key M2M tokens are verified with at the Backend API
    /// (`POST /m2m_tokens/verify`) instead of the secret key, as Clerk's `machineSecretKey`.
    pub fn machine_secret_key(mut self, key: impl Into<String>) -> Self {
        self.machine_secret_key = Some(key.into());
        self
    }

    /// How long an opaque machine token (API key, `mt_…`, `oat_…`) the Backend API verified is
    /// trusted without asking again (default 10 s; never beyond the token's own expiry; zero
    /// asks every time). This is what a revocation costs: a revoked key keeps working for at
    /// most this long on each server that saw it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = axum_clerk::ClerkConfig::builder()
    ///     .secret_key("sk_test_x")
    ///     .machine_secret_key("ak_machine_secret")
    ///     .machine_token_cache_ttl(Duration::from_secs(2)) // revocations show within 2 s
    ///     .proxy_url("https://app.example.com/__clerk")
    ///     .build()
    ///     .unwrap();
    /// # let _ = config;
    /// ```
    pub fn machine_token_cache_ttl(mut self, ttl: Duration) -> Self {
        self.machine_token_cache_ttl = Some(ttl);
        self
    }

    /// `CLERK_PROXY_URL`: where the Frontend API is reached when it is proxied through the
    /// application (`https://app.example.com/__clerk`). Handshake redirects go there instead of
    /// the Frontend API host named by the publishable key; token issuers are still compared with
    /// the publishable key's host. Must be an absolute http(s) URL.
    pub fn proxy_url(mut self, url: impl Into<String>) -> Self {
        self.proxy_url = Some(url.into());
        self
    }

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
        let proxy_url =
            self.proxy_url.filter(|u| !u.trim().is_empty()).map(|u| http_url("CLERK_PROXY_URL", &u)).transpose()?;
        let instance = InstanceFacts::of(publishable_key.as_ref(), proxy_url.as_ref());
        Ok(ClerkConfig {
            instance,
            http_client: self.http_client,
            app_origin,
            allowed_redirect_origins,
            api_rejection_status: self.api_rejection_status,
            api_timeout: self.api_timeout.unwrap_or(Duration::from_secs(10)),
            machine_secret_key: self.machine_secret_key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()),
            machine_token_cache_ttl: self.machine_token_cache_ttl.unwrap_or(DEFAULT_MACHINE_TOKEN_CACHE_TTL),
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

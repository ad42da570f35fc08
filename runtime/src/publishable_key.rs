//! Clerk publishable keys: parsing, instance type, Account Portal URL, cookie suffix
//! (clerk-semantics §5.9, §5.2).

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use sha1::{Digest, Sha1};
use std::fmt;

/// Whether a Clerk instance is a development or a production instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceType {
    /// `pk_test_…` / `sk_test_…`.
    Development,
    /// `pk_live_…` / `sk_live_…`.
    Production,
}

/// A parsed, valid Clerk publishable key (`pk_test_…` or `pk_live_…`).
///
/// ```
/// use axum_clerk::{InstanceType, PublishableKey};
/// let pk = PublishableKey::parse("pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA").unwrap();
/// assert_eq!(pk.instance_type(), InstanceType::Development);
/// assert_eq!(pk.frontend_api(), "clerk.inspired.puma-74.lcl.dev");
/// assert_eq!(pk.accounts_base_url(), "https://accounts.inspired.puma-74.lcl.dev");
/// assert_eq!(pk.cookie_suffix(), "vWCgMp3A");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PublishableKey {
    key: String,
    instance_type: InstanceType,
    frontend_api: String,
}

/// Why a publishable key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishableKeyError {
    /// The key is empty.
    #[error("publishable key is missing")]
    Missing,
    /// The key does not have Clerk's format.
    #[error("publishable key not valid (expected format: pk_test_... or pk_live_...): {0}")]
    Malformed(&'static str),
}

impl PublishableKey {
    /// Parses a publishable key with Clerk's HEAD rules: prefix `pk_test_`/`pk_live_`, exactly
    /// three `_`-separated parts, a base64 body decoding to `<frontend api>$` with exactly one
    /// `$` at the end and a `.` in the host.
    ///
    /// # Errors
    /// [`PublishableKeyError`] when the key is empty or not of that form.
    pub fn parse(key: &str) -> Result<Self, PublishableKeyError> {
        if key.is_empty() {
            return Err(PublishableKeyError::Missing);
        }
        let instance_type = if key.starts_with("pk_live_") {
            InstanceType::Production
        } else if key.starts_with("pk_test_") {
            InstanceType::Development
        } else {
            return Err(PublishableKeyError::Malformed("it must start with pk_test_ or pk_live_"));
        };
        let parts: Vec<&str> = key.split('_').collect();
        if parts.len() != 3 {
            return Err(PublishableKeyError::Malformed("it must have exactly three '_'-separated parts"));
        }
        let body = parts[2].trim_end_matches('=');
        let decoded = STANDARD_NO_PAD
            .decode(body)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(PublishableKeyError::Malformed("its body is not base64 of a host name"))?;
        if !decoded.ends_with('$') || decoded.matches('$').count() != 1 {
            return Err(PublishableKeyError::Malformed("its body must end with exactly one '$'"));
        }
        let frontend_api = decoded[..decoded.len() - 1].to_owned();
        if !frontend_api.contains('.') {
            return Err(PublishableKeyError::Malformed("its Frontend API host has no '.'"));
        }
        if frontend_api.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
            return Err(PublishableKeyError::Malformed("its Frontend API host has invalid characters"));
        }
        Ok(Self { key: key.to_owned(), instance_type, frontend_api })
    }

    /// Builds the publishable key Clerk would issue for a Frontend API host (`buildPublishableKey`).
    ///
    /// ```
    /// use axum_clerk::PublishableKey;
    /// assert_eq!(
    ///     PublishableKey::for_frontend_api("foo-bar-13.clerk.accounts.dev").as_str(),
    ///     "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk"
    /// );
    /// ```
    #[must_use]
    pub fn for_frontend_api(frontend_api: &str) -> Self {
        let development = is_development_frontend_api(frontend_api);
        let prefix = if development { "pk_test_" } else { "pk_live_" };
        let body = STANDARD.encode(format!("{frontend_api}$"));
        Self {
            key: format!("{prefix}{}", body.trim_end_matches('=')),
            instance_type: if development { InstanceType::Development } else { InstanceType::Production },
            frontend_api: frontend_api.to_owned(),
        }
    }

    /// The key as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// Development (`pk_test_`) or production (`pk_live_`).
    #[must_use]
    pub fn instance_type(&self) -> InstanceType {
        self.instance_type
    }

    /// The Frontend API host encoded in the key, e.g. `clerk.example.com`.
    #[must_use]
    pub fn frontend_api(&self) -> &str {
        &self.frontend_api
    }

    /// The Account Portal origin derived from the Frontend API host
    /// (`clerk.example.com` → `https://accounts.example.com`,
    /// `x-y-1.clerk.accounts.dev` → `https://x-y-1.accounts.dev`).
    #[must_use]
    pub fn accounts_base_url(&self) -> String {
        let fapi = &self.frontend_api;
        let host = if let Some(rest) = fapi.strip_prefix("clerk.") {
            format!("accounts.{rest}")
        } else if let Some(at) = fapi.find(".clerk.accounts") {
            format!("{}{}", &fapi[..at], &fapi[at + ".clerk".len()..])
        } else {
            fapi.clone()
        };
        format!("https://{host}")
    }

    /// The eight-character suffix Clerk appends to cookie names for this instance:
    /// base64url(SHA-1(key)), first eight characters.
    #[must_use]
    pub fn cookie_suffix(&self) -> String {
        cookie_suffix(&self.key)
    }
}

impl fmt::Debug for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishableKey")
            .field("instance_type", &self.instance_type)
            .field("frontend_api", &self.frontend_api)
            .finish()
    }
}

/// `getCookieSuffix`: SHA-1 of the key, standard base64 with `+`→`-` and `/`→`_`, first 8 chars.
pub(crate) fn cookie_suffix(key: &str) -> String {
    let digest = Sha1::digest(key.as_bytes());
    STANDARD
        .encode(digest)
        .chars()
        .take(8)
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect()
}

fn is_development_frontend_api(fapi: &str) -> bool {
    let lower = fapi.to_ascii_lowercase();
    if lower.starts_with("clerk.") && [".lcl.dev", ".lclstage.dev", ".lclclerk.com"].iter().any(|s| lower.ends_with(s))
    {
        return true;
    }
    // /^(([a-z]+)-){2}([0-9]{1,2})\.clerk\.accounts([a-z.]*)(dev|com)$/i
    let Some((name, rest)) = lower.split_once(".clerk.accounts") else {
        return false;
    };
    let words: Vec<&str> = name.split('-').collect();
    let name_ok = words.len() == 3
        && words[..2].iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && (1..=2).contains(&words[2].len())
        && words[2].bytes().all(|b| b.is_ascii_digit());
    let tail_ok =
        (rest.ends_with("dev") || rest.ends_with("com")) && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'.');
    name_ok && tail_ok
}

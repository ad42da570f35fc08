//! `redirect_to_sign_in` / `redirect_to_sign_up` (clerk-semantics §3) and the open-redirect rules
//! for return URLs (security §3.2).

use url::Url;

use crate::auth::Auth;
use crate::config::{has_http_scheme_prefix, ClerkConfig};
use crate::request::info::{app_origin, current_url, RequestInfo};
use crate::response::rejection::AuthRedirect;

/// Where the user comes back to after signing in (Clerk's `returnBackUrl`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReturnTo {
    /// The current request's absolute URL (Clerk's default).
    #[default]
    CurrentUrl,
    /// A given URL: an absolute path (resolved against the application origin) or an absolute
    /// URL on the application origin or on an origin in `CLERK_ALLOWED_REDIRECT_ORIGINS`. Any
    /// other value is refused and no `redirect_url` is sent.
    Url(String),
    /// No `redirect_url` at all (Clerk's `returnBackUrl: null`).
    Nothing,
}

/// Longest return URL accepted (security §3.2 R4).
const MAX_RETURN_URL: usize = 2048;

/// Validates a return URL — for instance a `redirect_url` query parameter a sign-in page received
/// — and resolves it to an absolute URL, or refuses it (`None`).
///
/// Accepted: an absolute path (`/dashboard?tab=1`) resolved against `origin`, or an absolute
/// http(s) URL on `origin` or on one of `allowed` (exact origins, or `https://*.example.com`
/// matching whole labels). Refused: anything with control characters, backslashes or
/// surrounding whitespace, protocol-relative (`//evil.com`) and scheme-relative (`https:evil.com`)
/// forms, userinfo, other schemes, and paths that resolve to `//…`.
///
/// ```
/// use axum_clerk::validate_return_url;
/// let origin = url::Url::parse("https://app.example.com").unwrap();
/// assert_eq!(
///     validate_return_url("/dashboard", Some(&origin), &[]).unwrap().as_str(),
///     "https://app.example.com/dashboard"
/// );
/// assert!(validate_return_url("//evil.com", Some(&origin), &[]).is_none());
/// assert!(validate_return_url("https://evil.com/", Some(&origin), &[]).is_none());
/// ```
#[must_use]
pub fn validate_return_url(input: &str, origin: Option<&Url>, allowed: &[String]) -> Option<Url> {
    if input.is_empty()
        || input.len() > MAX_RETURN_URL
        || input.trim() != input
        || input.chars().any(|c| c.is_control() || c == '\\')
    {
        return None;
    }
    let resolved = if input.starts_with('/') {
        if input.starts_with("//") {
            return None;
        }
        origin?.join(input).ok()?
    } else {
        if !has_http_scheme_prefix(input) {
            return None;
        }
        Url::parse(input).ok()?
    };
    if !resolved.username().is_empty() || resolved.password().is_some() || resolved.path().starts_with("//") {
        return None;
    }
    let target = resolved.origin().ascii_serialization();
    let same = origin.is_some_and(|o| o.origin().ascii_serialization() == target);
    (same || allowed.iter().any(|a| origin_matches(a, &resolved))).then_some(resolved)
}

/// `https://admin.example.com` matches exactly; `https://*.example.com` matches one or more whole
/// labels before `.example.com`, same scheme and port.
fn origin_matches(allowed: &str, url: &Url) -> bool {
    let target = url.origin().ascii_serialization();
    let Some((scheme, rest)) = allowed.split_once("://*.") else {
        return allowed == target;
    };
    let Some(host) = url.host_str() else { return false };
    let (suffix, port) = rest.split_once(':').map_or((rest, None), |(h, p)| (h, p.parse::<u16>().ok()));
    url.scheme() == scheme
        && url.port() == port
        && host.len() > suffix.len() + 1
        && host.ends_with(suffix)
        && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
}

/// Which Account Portal page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Portal {
    SignIn,
    SignUp,
}

/// Builds the sign-in/up `Location` (§3.1 `createRedirect`, HEAD): target resolved against the
/// origin, `/tasks` for a pending session, `redirect_url` set once, `__clerk_db_jwt` for a
/// cross-origin target on a development instance.
pub(crate) fn portal_location(
    config: &ClerkConfig,
    info: Option<&RequestInfo>,
    portal: Portal,
    return_to: &ReturnTo,
    pending: bool,
) -> String {
    let origin = app_origin(config, info);
    let target = match portal {
        Portal::SignIn => config.sign_in_url(),
        Portal::SignUp => config.sign_up_url(),
    };
    let resolved = match &origin {
        Some(origin) => origin.join(&target).ok(),
        None => Url::parse(&target).ok(),
    };
    let Some(mut location) = resolved else {
        // No origin to resolve a relative target against: a path is still a valid Location.
        return if pending { format!("{target}/tasks") } else { target };
    };
    if pending {
        let path = format!("{}/tasks", location.path().trim_end_matches('/'));
        location.set_path(&path);
    }
    let return_url = match return_to {
        ReturnTo::Nothing => None,
        ReturnTo::CurrentUrl => origin.as_ref().zip(info).and_then(|(o, i)| current_url(o, i)),
        ReturnTo::Url(url) => {
            let valid = validate_return_url(url, origin.as_ref(), &config.allowed_redirect_origins);
            if valid.is_none() {
                tracing::warn!(return_url = %url.escape_debug(), "refusing a return URL outside the allowed origins");
            }
            valid
        }
    };
    set_query(&mut location, "redirect_url", return_url.as_ref().map(Url::as_str));
    let cross_origin = origin.as_ref().is_some_and(|o| o.origin() != location.origin());
    if cross_origin && config.instance.development {
        set_query(&mut location, "__clerk_db_jwt", info.and_then(|i| i.dev_browser.as_deref()));
    }
    location.into()
}

impl Auth {
    /// Clerk's `redirectToSignIn({ returnBackUrl })`: a 307 to the sign-in URL (configured, or the
    /// Account Portal of the publishable key) with `redirect_url` per `return_to`.
    ///
    /// ```
    /// use axum_clerk::{Auth, ReturnTo};
    /// let redirect = Auth::signed_out().redirect_to_sign_in(ReturnTo::CurrentUrl);
    /// assert_eq!(redirect.location(), "/sign-in", "an Auth made outside a request knows no more");
    /// ```
    #[must_use]
    pub fn redirect_to_sign_in(&self, return_to: ReturnTo) -> AuthRedirect {
        self.portal_redirect(Portal::SignIn, &return_to)
    }

    /// Clerk's `redirectToSignUp({ returnBackUrl })`.
    #[must_use]
    pub fn redirect_to_sign_up(&self, return_to: ReturnTo) -> AuthRedirect {
        self.portal_redirect(Portal::SignUp, &return_to)
    }

    fn portal_redirect(&self, portal: Portal, return_to: &ReturnTo) -> AuthRedirect {
        match self.context() {
            Some(ctx) => {
                let info = ctx.request.as_ref();
                let location = portal_location(&ctx.backend.config, info, portal, return_to, self.is_pending());
                AuthRedirect::to(location).for_htmx(info.is_some_and(|i| i.htmx))
            }
            None => AuthRedirect::to(if portal == Portal::SignIn { "/sign-in" } else { "/sign-up" }),
        }
    }
}

/// `searchParams.set`: removes every `name` and appends one (when `value` is given).
fn set_query(url: &mut Url, name: &str, value: Option<&str>) {
    let Some(value) = value else { return };
    let kept: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != name).map(|(k, v)| (k.into(), v.into())).collect();
    let mut pairs = url.query_pairs_mut();
    pairs.clear();
    for (k, v) in &kept {
        pairs.append_pair(k, v);
    }
    pairs.append_pair(name, value);
}

/// A redirect target chosen in code or configuration (`unauthorized_url`, …): an absolute path
/// (made absolute on the application origin) or an absolute http(s) URL. `None` when malformed.
pub(crate) fn configured_target(target: &str, origin: Option<&Url>) -> Option<String> {
    if target.is_empty() || target.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return None;
    }
    if target.starts_with('/') {
        if target.starts_with("//") {
            return None;
        }
        return Some(origin.and_then(|o| o.join(target).ok()).map_or_else(|| target.to_owned(), Into::into));
    }
    if !has_http_scheme_prefix(target) {
        return None;
    }
    let url = Url::parse(target).ok()?;
    (url.username().is_empty() && url.password().is_none()).then(|| url.into())
}

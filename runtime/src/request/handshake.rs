//! What Clerk's handshake reads of a request and what it writes back (clerk-semantics §5.3,
//! §5.4; `@clerk/backend` `tokens/handshake.ts`, HEAD): the payload a request brings back from
//! the Frontend API, the browser state a redirect or a refresh needs, the redirect's URL, and the
//! `Set-Cookie` directives of a payload.
//!
//! Nothing here touches the network or a key: the payload is verified by
//! [`Verifier::verify_handshake`](crate::verify::verifier::Verifier) or fetched from the Backend
//! API by the caller, and only directives of a verified payload are ever turned into headers.

use http::{HeaderValue, Uri};
use std::borrow::Cow;
use url::Url;

use crate::backend::CLERK_API_VERSION;
use crate::config::InstanceFacts;
use crate::request::authorization::{header_token, HeaderToken};
use crate::request::cookies::{Cookies, DEV_BROWSER, SESSION};
use crate::request::info::query_value;
use crate::request::suffix::session_cookies;
use crate::request::Input;

/// `__clerk_handshake`: a signed payload of cookie directives (query or cookie).
pub(crate) const HANDSHAKE: &str = "__clerk_handshake";
/// `__clerk_handshake_nonce`: a reference to a payload kept by the Backend API (query or cookie).
pub(crate) const HANDSHAKE_NONCE: &str = "__clerk_handshake_nonce";
/// `__clerk_redirect_count`: handshakes started within the last two seconds.
pub(crate) const REDIRECT_COUNT: &str = "__clerk_redirect_count";
/// Handshake redirects after which the request is signed out instead (Clerk: 3).
pub(crate) const MAX_REDIRECTS: u32 = 3;
const HANDSHAKE_HELP: &str = "__clerk_help";
const LEGACY_DEV_BROWSER: &str = "__dev_session";

/// The handshake payload a request carries back from the Frontend API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// `__clerk_handshake_nonce`: fetched from the Backend API (wins over a token, as in Clerk).
    Nonce(String),
    /// `__clerk_handshake`: a JWT signed with the instance key.
    Token(String),
}

/// The payload to resolve, when the cookie flow applies (no token in `Authorization`): the nonce
/// (query, else cookie), else the token (query, else cookie). Empty values are absent.
pub(crate) fn payload(input: &Input<'_>) -> Option<Payload> {
    if !may_carry_payload(input) || header_token(input.headers) != HeaderToken::Absent {
        return None;
    }
    let cookies = Cookies::parse(input.headers);
    let read = |name: &str| {
        query_value(input.uri, name)
            .filter(|v| !v.is_empty())
            .or_else(|| cookies.get(name).map(Cow::into_owned).filter(|v| !v.is_empty()))
    };
    read(HANDSHAKE_NONCE).map(Payload::Nonce).or_else(|| read(HANDSHAKE).map(Payload::Token))
}

/// A quick look before any parsing, so that a request without a payload pays one scan: a cookie
/// line naming `__clerk_handshake…`, or a query that names it or has percent-escapes (a query
/// key may be encoded).
fn may_carry_payload(input: &Input<'_>) -> bool {
    let in_query = input.uri.query().is_some_and(|q| q.contains(HANDSHAKE) || q.contains('%'));
    in_query
        || input
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .any(|line| memchr::memmem::find(line.as_bytes(), HANDSHAKE.as_bytes()).is_some())
}

/// What a handshake redirect or a refresh reads of the browser (Clerk's `AuthenticateContext`).
/// Only read on those rare paths, so the common path never pays for it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct BrowserState {
    /// `sessionToken`: the chosen session cookie, else the `Authorization` token.
    pub(crate) session_token: Option<String>,
    /// `__refresh_<suffix>` (only with a publishable key).
    pub(crate) refresh_token: Option<String>,
    /// `__clerk_db_jwt` from the query, else the chosen flavour's cookie.
    pub(crate) dev_browser: Option<String>,
    /// `__clerk_redirect_count` as a whole number (anything else reads as 0).
    pub(crate) redirect_count: u32,
    /// `usesSuffixedCookies()`.
    pub(crate) suffixed: bool,
}

impl BrowserState {
    pub(crate) fn read(input: &Input<'_>, instance: &InstanceFacts) -> Self {
        let cookies = Cookies::parse(input.headers);
        let chosen = session_cookies(&cookies, instance, input.now_ms, input.peek);
        let header = match header_token(input.headers) {
            HeaderToken::Token(bytes) => std::str::from_utf8(bytes).ok().map(str::to_owned),
            _ => None,
        };
        let refresh = instance.suffixed.as_ref().and_then(|names| cookies.get(&names.refresh));
        Self {
            session_token: chosen.session.map(Cow::into_owned).or(header),
            refresh_token: refresh.map(Cow::into_owned).filter(|t| !t.is_empty()),
            dev_browser: query_value(input.uri, DEV_BROWSER)
                .filter(|t| !t.is_empty())
                .or_else(|| chosen.dev_browser.map(Cow::into_owned)),
            redirect_count: cookies.get(REDIRECT_COUNT).map_or(0, |v| redirect_count(&v)),
            suffixed: chosen.suffixed,
        }
    }
}

/// Clerk reads the counter with `Number(value) || 0`. A value that is not a non-negative number
/// is 0; a fraction counts as its whole part.
pub(crate) fn redirect_count(value: &str) -> u32 {
    match value.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => n.min(f64::from(u32::MAX)) as u32,
        _ => 0,
    }
}

/// The `Set-Cookie` of a handshake redirect: the counter, one more, for two seconds.
pub(crate) fn redirect_count_cookie(count: u32) -> HeaderValue {
    let value = format!("{REDIRECT_COUNT}={}; SameSite=Lax; HttpOnly; Max-Age=2", count.saturating_add(1));
    HeaderValue::try_from(value).expect("digits and ASCII make a header value")
}

/// `buildRedirectToHandshake`: the Frontend API's handshake endpoint with Clerk's query
/// parameters, in Clerk's order.
pub(crate) fn handshake_location(
    endpoint: &Url,
    clerk_url: &Url,
    reason: &str,
    browser: &BrowserState,
    development: bool,
) -> Url {
    let mut url = endpoint.clone();
    let redirect_url = without_params(clerk_url, &[DEV_BROWSER, LEGACY_DEV_BROWSER]);
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("redirect_url", redirect_url.as_str());
        query.append_pair("__clerk_api_version", CLERK_API_VERSION);
        query.append_pair("suffixed_cookies", if browser.suffixed { "true" } else { "false" });
        query.append_pair("__clerk_hs_reason", reason);
        query.append_pair("format", "nonce");
        if let Some(token) = &browser.session_token {
            query.append_pair(SESSION, token);
        }
        if development {
            if let Some(dev_browser) = &browser.dev_browser {
                query.append_pair(DEV_BROWSER, dev_browser);
            }
        }
    }
    url
}

/// Where a development instance sends the browser after resolving a handshake: the same URL
/// without the handshake's query parameters.
pub(crate) fn after_resolution_url(clerk_url: &Url) -> Url {
    without_params(clerk_url, &[HANDSHAKE, HANDSHAKE_HELP, DEV_BROWSER, HANDSHAKE_NONCE])
}

/// `url` without the query parameters `names` (`URLSearchParams.delete`); no `?` when none is
/// left.
fn without_params(url: &Url, names: &[&str]) -> Url {
    let mut out = url.clone();
    if url.query().is_none() {
        return out;
    }
    let kept: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| !names.contains(&k.as_ref())).map(|(k, v)| (k.into(), v.into())).collect();
    if kept.is_empty() {
        out.set_query(None);
    } else {
        out.query_pairs_mut().clear().extend_pairs(kept);
    }
    out
}

/// The cookie directives of a verified payload, ready to send, and the session token among them.
#[derive(Debug, Default)]
pub(crate) struct Directives {
    pub(crate) set_cookies: Vec<HeaderValue>,
    /// The value of the last cookie whose name starts with `__session` (Clerk's rule); `None`
    /// when that value is empty or there is none.
    pub(crate) session_token: Option<String>,
}

/// Checks every directive before any is used: each must be a `Set-Cookie` value — a cookie
/// name (an RFC 6265 token), `=`, a value of cookie octets, then attributes — that is a valid
/// header value. One bad directive refuses the whole payload (Clerk would set it as sent).
pub(crate) fn directives<S: AsRef<str>>(list: &[S]) -> Result<Directives, String> {
    let mut out = Directives::default();
    for (i, directive) in list.iter().enumerate() {
        let directive = directive.as_ref();
        let (name, value) = cookie_pair(directive).ok_or_else(|| format!("directive {i} is not a cookie"))?;
        let header = HeaderValue::try_from(directive).map_err(|_| format!("directive {i} is not a header value"))?;
        if name.starts_with(SESSION) {
            out.session_token = Some(value.to_owned()).filter(|v| !v.is_empty());
        }
        out.set_cookies.push(header);
    }
    Ok(out)
}

/// The `name` and `value` of a `Set-Cookie` directive, if it is one.
fn cookie_pair(directive: &str) -> Option<(&str, &str)> {
    let pair = directive.split(';').next()?;
    let (name, value) = pair.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    let token = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
    let octet = |b: u8| b.is_ascii_graphic() && !b"\",;\\".contains(&b);
    let value_bytes = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    (!name.is_empty() && name.bytes().all(token) && value_bytes.bytes().all(octet)).then_some((name, value))
}

/// The query of `uri` has a parameter `name` (`URLSearchParams.has`).
pub(crate) fn has_query_param(uri: &Uri, name: &str) -> bool {
    uri.query().is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directive_must_be_a_cookie() {
        let ok = directives(&["__session=a.b.c; Path=/; Secure", "__client_uat=1; Path=/", "__refresh_x=; Max-Age=0"])
            .unwrap();
        assert_eq!(ok.set_cookies.len(), 3);
        assert_eq!(ok.session_token.as_deref(), Some("a.b.c"));
        for bad in ["no equals sign", "=value", "na me=v", "n=v\r\nX-Evil: 1", "n=a b", "n=a\"b", "n=é"] {
            assert!(directives(&[bad]).is_err(), "{bad:?} is not a cookie");
        }
    }

    #[test]
    fn the_last_session_cookie_names_the_token_and_an_empty_one_is_none() {
        let d = directives(&["__session=one", "__session_AbC=two"]).unwrap();
        assert_eq!(d.session_token.as_deref(), Some("two"));
        let d = directives(&["__session=one", "__session=; Max-Age=0"]).unwrap();
        assert_eq!(d.session_token, None);
    }

    #[test]
    fn the_redirect_counter_reads_as_clerk_number_or_zero() {
        for (value, count) in [("2", 2), (" 1 ", 1), ("2.9", 2), ("abc", 0), ("", 0), ("-4", 0), ("NaN", 0), ("inf", 0)]
        {
            assert_eq!(redirect_count(value), count, "{value:?}");
        }
        assert_eq!(redirect_count_cookie(2), "__clerk_redirect_count=3; SameSite=Lax; HttpOnly; Max-Age=2");
    }

    #[test]
    fn resolution_drops_only_the_handshake_parameters() {
        let url = Url::parse("https://app.test/p?a=1&__clerk_handshake=x&__clerk_db_jwt=d&__clerk_help=1&b=2").unwrap();
        assert_eq!(after_resolution_url(&url).as_str(), "https://app.test/p?a=1&b=2");
        let url = Url::parse("https://app.test/p?__clerk_handshake_nonce=n").unwrap();
        assert_eq!(after_resolution_url(&url).as_str(), "https://app.test/p");
    }
}

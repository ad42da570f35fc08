//! What an [`Auth`](crate::Auth) keeps of its request for later decisions: how to rebuild the
//! URL the browser sees (sign-in redirects), whether it is a page request (`protect`), an htmx
//! request, and — on a development instance — the dev-browser token redirects carry.

use http::header::{ACCEPT, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use url::Url;

use crate::config::ClerkConfig;

use crate::request::cookies::{Cookies, DEV_BROWSER};

const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const HX_REQUEST: HeaderName = HeaderName::from_static("hx-request");

/// The parts of a request that redirects and the page/API decision need. Header values are
/// reference-counted clones of the request's bytes.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo {
    pub(crate) uri: Uri,
    host: Option<HeaderValue>,
    forwarded_host: Option<HeaderValue>,
    forwarded_proto: Option<HeaderValue>,
    /// `Sec-Fetch-Dest: document|iframe`, or `Accept` contains `text/html` (Clerk `isPageRequest`).
    pub(crate) page: bool,
    /// `HX-Request: true`: an htmx request, which cannot follow a 307 itself.
    pub(crate) htmx: bool,
    /// The dev-browser token (`__clerk_db_jwt` query parameter, else cookie), read on a
    /// development instance only.
    pub(crate) dev_browser: Option<String>,
}

/// Clerk's `getFirstValueFromHeader`: the first comma-separated value, trimmed.
fn first_value(value: Option<&HeaderValue>) -> Option<&str> {
    value.and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::trim).filter(|s| !s.is_empty())
}

impl RequestInfo {
    pub(crate) fn read(uri: &Uri, headers: &HeaderMap, development: bool) -> Self {
        let page = matches!(headers.get(SEC_FETCH_DEST).map(HeaderValue::as_bytes), Some(b"document" | b"iframe"))
            || headers.get(ACCEPT).is_some_and(|v| v.as_bytes().windows(9).any(|w| w == b"text/html"));
        let dev_browser = development.then(|| dev_browser_token(uri, headers)).flatten();
        Self {
            uri: uri.clone(),
            host: headers.get(HOST).cloned(),
            forwarded_host: headers.get(X_FORWARDED_HOST).cloned(),
            forwarded_proto: headers.get(X_FORWARDED_PROTO).cloned(),
            page,
            htmx: headers.get(HX_REQUEST).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true")),
            dev_browser,
        }
    }

    /// The origin the browser sees: `x-forwarded-proto`/`x-forwarded-host` first, then `Host`
    /// (§3.3 `deriveUrlFromHeaders`). Only used when no application origin is configured.
    pub(crate) fn derived_origin(&self) -> Option<Url> {
        let authority = self.uri.authority().map(|a| a.as_str());
        let host = first_value(self.forwarded_host.as_ref())
            .or_else(|| self.host.as_ref().and_then(|h| h.to_str().ok()))
            .or(authority)?;
        let proto = match first_value(self.forwarded_proto.as_ref()).or(self.uri.scheme_str()) {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        // A host that smuggles a path, userinfo or query is not a host.
        if host.is_empty()
            || host.bytes().any(|b| matches!(b, b'/' | b'\\' | b'@' | b'?' | b'#') || b <= b' ' || b == 0x7f)
        {
            return None;
        }
        let url = Url::parse(&format!("{proto}://{host}")).ok()?;
        (url.path() == "/" && url.query().is_none()).then_some(url)
    }
}

/// The origin the application is reached at: configured, else derived from the request headers.
pub(crate) fn app_origin(config: &ClerkConfig, info: Option<&RequestInfo>) -> Option<Url> {
    config.app_origin.clone().or_else(|| info.and_then(RequestInfo::derived_origin))
}

/// The current request's absolute URL: origin + path + query, never re-parsed as relative, so a
/// path of `//evil.com/x` stays a path on our origin.
/// With both: Clerk's `clerkUrl`, the URL redirects come back to.
pub(crate) fn current_url(origin: &Url, info: &RequestInfo) -> Option<Url> {
    let path = info.uri.path_and_query().map_or("/", |p| p.as_str());
    let path = if path.starts_with('/') { path } else { "/" };
    Url::parse(&format!("{}{path}", origin.origin().ascii_serialization())).ok()
}

/// `__clerk_db_jwt` from the query, else the cookie; `None` when empty.
fn dev_browser_token(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    let present = |t: &String| !t.is_empty();
    query_value(uri, DEV_BROWSER)
        .filter(present)
        .or_else(|| Cookies::parse(headers).get(DEV_BROWSER).map(|t| t.into_owned()).filter(present))
}

/// The first value of query parameter `name` (`URLSearchParams.get`), decoded.
pub(crate) fn query_value(uri: &Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    url::form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

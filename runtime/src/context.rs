//! What the layer remembers about a request for later decisions: the Clerk instance, whether the
//! request is a page request, how to rebuild its URL, and whether keys were unavailable.

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue, Uri};
use url::Url;

use crate::clerk::LocalClerk;
use crate::cookies::Cookies;
use crate::headers::RequestHeaders;

/// Per-request context attached to every [`Auth`](crate::Auth) the layer produces.
#[derive(Debug)]
pub(crate) struct RequestContext {
    pub(crate) clerk: LocalClerk,
    pub(crate) request: Option<RequestInfo>,
    /// Signed out only because no verification key could be had.
    pub(crate) infrastructure: bool,
}

/// The parts of the request that redirects and the page/API decision need. Header values are
/// kept as `HeaderValue`s (cheap reference-counted clones of the request's bytes) and read only
/// when a redirect is built, so a request that passes costs no copies.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo {
    pub(crate) uri: Uri,
    host: Option<HeaderValue>,
    forwarded_host: Option<HeaderValue>,
    forwarded_proto: Option<HeaderValue>,
    cookie: Option<HeaderValue>,
    /// `Sec-Fetch-Dest: document|iframe`, or `Accept` contains `text/html` (Clerk `isPageRequest`).
    pub(crate) page: bool,
    /// `HX-Request: true`: an htmx request, which cannot follow a 307 itself.
    pub(crate) htmx: bool,
}

/// Clerk's `getFirstValueFromHeader`: the first comma-separated value, trimmed.
fn first_value(value: Option<&HeaderValue>) -> Option<&str> {
    value.and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::trim).filter(|s| !s.is_empty())
}

impl RequestInfo {
    /// What later decisions need of a request whose headers the layer walked. The `Cookie` line
    /// is kept only for a development instance (its redirects carry the dev-browser token).
    pub(crate) fn from_request(uri: &Uri, found: &RequestHeaders<'_>, keep_cookie: bool) -> Self {
        Self {
            uri: uri.clone(),
            host: found.host.cloned(),
            forwarded_host: found.forwarded_host.cloned(),
            forwarded_proto: found.forwarded_proto.cloned(),
            cookie: found.cookie_lines[0].filter(|_| keep_cookie).cloned(),
            page: found.page,
            htmx: found.htmx,
        }
    }

    /// The development-browser token (`__clerk_db_jwt` query parameter or cookie).
    pub(crate) fn dev_browser(&self) -> Option<String> {
        let from_query = self.uri.query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("__clerk_db_jwt=")));
        if let Some(token) = from_query.filter(|t| !t.is_empty()) {
            return Some(token.to_owned());
        }
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, self.cookie.clone()?);
        let token = Cookies::parse(&headers).get("__clerk_db_jwt").map(|c| c.into_owned());
        token.filter(|t| !t.is_empty())
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

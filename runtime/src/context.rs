//! What the layer remembers about a request for later decisions: the Clerk instance, whether the
//! request is a page request, how to rebuild its URL, and whether keys were unavailable.

use http::header::{ACCEPT, COOKIE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use url::Url;

use crate::clerk::LocalClerk;
use crate::cookies::Cookies;

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

const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const HX_REQUEST: HeaderName = HeaderName::from_static("hx-request");

/// Clerk's `getFirstValueFromHeader`: the first comma-separated value, trimmed.
fn first_value(value: Option<&HeaderValue>) -> Option<&str> {
    value.and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::trim).filter(|s| !s.is_empty())
}

impl RequestInfo {
    /// One pass over the headers (a request carries a handful; seven map lookups cost more). The
    /// first value of each header counts, as `HeaderMap::get` would give it.
    pub(crate) fn from_request(uri: &Uri, headers: &HeaderMap) -> Self {
        let mut info = Self {
            uri: uri.clone(),
            host: None,
            forwarded_host: None,
            forwarded_proto: None,
            cookie: None,
            page: false,
            htmx: false,
        };
        let (mut dest, mut htmx) = (None, None);
        let mut accepts_html = false;
        let first = |slot: &mut Option<HeaderValue>, value: &HeaderValue| {
            if slot.is_none() {
                *slot = Some(value.clone());
            }
        };
        for (name, value) in headers {
            if name == HOST {
                first(&mut info.host, value);
            } else if name == COOKIE {
                first(&mut info.cookie, value);
            } else if name == ACCEPT {
                accepts_html |= value.as_bytes().windows(9).any(|w| w == b"text/html");
            } else if name == SEC_FETCH_DEST {
                dest.get_or_insert(value);
            } else if name == HX_REQUEST {
                htmx.get_or_insert(value);
            } else if name == X_FORWARDED_HOST {
                first(&mut info.forwarded_host, value);
            } else if name == X_FORWARDED_PROTO {
                first(&mut info.forwarded_proto, value);
            }
        }
        info.page = matches!(dest.map(HeaderValue::as_bytes), Some(b"document" | b"iframe")) || accepts_html;
        info.htmx = htmx.is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        info
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

//! What the layer remembers about a request for later decisions: the Clerk instance, whether the
//! request is a page request, how to rebuild its URL, and whether keys were unavailable.

use http::header::{ACCEPT, HOST};
use http::{HeaderMap, Uri};
use url::Url;

use crate::clerk::Clerk;
use crate::cookies::Cookies;

/// Per-request context attached to every [`Auth`](crate::Auth) the layer produces.
#[derive(Debug)]
pub(crate) struct RequestContext {
    pub(crate) clerk: Clerk,
    pub(crate) request: Option<RequestInfo>,
    /// Signed out only because no verification key could be had.
    pub(crate) infrastructure: bool,
}

/// The parts of the request that redirects and the page/API decision need.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo {
    pub(crate) uri: Uri,
    host: Option<String>,
    forwarded_host: Option<String>,
    forwarded_proto: Option<String>,
    /// `Sec-Fetch-Dest: document|iframe`, or `Accept` contains `text/html` (Clerk `isPageRequest`).
    pub(crate) page: bool,
    /// `HX-Request: true`: an htmx request, which cannot follow a 307 itself.
    pub(crate) htmx: bool,
    /// The development-browser token (`__clerk_db_jwt` query parameter or cookie).
    pub(crate) dev_browser: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Clerk's `getFirstValueFromHeader`: the first comma-separated value, trimmed.
fn first_value(value: Option<String>) -> Option<String> {
    value.and_then(|v| v.split(',').next().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
}

impl RequestInfo {
    pub(crate) fn from_request(uri: &Uri, headers: &HeaderMap) -> Self {
        let dest = headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok());
        let accepts_html =
            headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains("text/html"));
        let dev_browser = uri
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("__clerk_db_jwt=")))
            .map(str::to_owned)
            .or_else(|| Cookies::parse(headers).get("__clerk_db_jwt").map(|c| c.into_owned()))
            .filter(|t| !t.is_empty());
        Self {
            uri: uri.clone(),
            host: header(headers, HOST.as_str()).or_else(|| uri.authority().map(|a| a.to_string())),
            forwarded_host: first_value(header(headers, "x-forwarded-host")),
            forwarded_proto: first_value(header(headers, "x-forwarded-proto")),
            page: matches!(dest, Some("document" | "iframe")) || accepts_html,
            htmx: headers.get("hx-request").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true")),
            dev_browser,
        }
    }

    /// The origin the browser sees: `x-forwarded-proto`/`x-forwarded-host` first, then `Host`
    /// (§3.3 `deriveUrlFromHeaders`). Only used when no application origin is configured.
    pub(crate) fn derived_origin(&self) -> Option<Url> {
        let host = self.forwarded_host.as_deref().or(self.host.as_deref())?;
        let proto = match self.forwarded_proto.as_deref().or(self.uri.scheme_str()) {
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

//! The request headers Clerk's decisions and redirects read, found in one walk over the request's
//! headers: a request carries a handful, and one pass costs less than looking up `Authorization`,
//! then `Cookie`, then the redirect context's seven names in the header map one by one.

use http::header::{ACCEPT, AUTHORIZATION, COOKIE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue};

/// `Cookie` lines kept from the walk: browsers send one line (HTTP/2 clients may split cookies
/// over several); [`Cookies`](crate::cookies::Cookies) reads any further ones from the map.
pub(crate) const COOKIE_LINES: usize = 4;

const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const HX_REQUEST: HeaderName = HeaderName::from_static("hx-request");

/// What one walk over a request's headers found. Where a header may appear more than once, the
/// first line counts, as `HeaderMap::get` would give it (`Cookie` and `Authorization` excepted:
/// see their fields).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestHeaders<'h> {
    /// The whole map, for `Cookie` lines past the first [`COOKIE_LINES`].
    pub(crate) map: &'h HeaderMap,
    /// The first `Authorization` line.
    pub(crate) authorization: Option<&'h HeaderValue>,
    /// More than one `Authorization` line was sent.
    pub(crate) several_authorizations: bool,
    /// The first `Cookie` lines, in order (`None` past the last).
    pub(crate) cookie_lines: [Option<&'h HeaderValue>; COOKIE_LINES],
    /// More `Cookie` lines follow the kept ones.
    pub(crate) more_cookie_lines: bool,
    /// `Host`, `X-Forwarded-Host` and `X-Forwarded-Proto`: the origin the browser sees, when none
    /// is configured (§3.3 `deriveUrlFromHeaders`).
    pub(crate) host: Option<&'h HeaderValue>,
    pub(crate) forwarded_host: Option<&'h HeaderValue>,
    pub(crate) forwarded_proto: Option<&'h HeaderValue>,
    /// `Sec-Fetch-Dest: document|iframe`, or `Accept` contains `text/html` (Clerk `isPageRequest`).
    pub(crate) page: bool,
    /// `HX-Request: true`: an htmx request, which cannot follow a 307 itself.
    pub(crate) htmx: bool,
}

impl<'h> RequestHeaders<'h> {
    /// Walks `map` once.
    pub(crate) fn read(map: &'h HeaderMap) -> Self {
        let mut found = Self {
            map,
            authorization: None,
            several_authorizations: false,
            cookie_lines: [None; COOKIE_LINES],
            more_cookie_lines: false,
            host: None,
            forwarded_host: None,
            forwarded_proto: None,
            page: false,
            htmx: false,
        };
        let (mut dest, mut hx_request, mut cookie_count) = (None, None, 0);
        for (name, value) in map {
            if name == AUTHORIZATION {
                found.several_authorizations |= found.authorization.is_some();
                found.authorization.get_or_insert(value);
            } else if name == COOKIE {
                match found.cookie_lines.get_mut(cookie_count) {
                    Some(slot) => *slot = Some(value),
                    None => found.more_cookie_lines = true,
                }
                cookie_count += 1;
            } else if name == HOST {
                found.host.get_or_insert(value);
            } else if name == ACCEPT {
                found.page |= value.as_bytes().windows(9).any(|w| w == b"text/html");
            } else if name == SEC_FETCH_DEST {
                dest.get_or_insert(value);
            } else if name == HX_REQUEST {
                hx_request.get_or_insert(value);
            } else if name == X_FORWARDED_HOST {
                found.forwarded_host.get_or_insert(value);
            } else if name == X_FORWARDED_PROTO {
                found.forwarded_proto.get_or_insert(value);
            }
        }
        found.page |= matches!(dest.map(HeaderValue::as_bytes), Some(b"document" | b"iframe"));
        found.htmx = hx_request.is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_walk_finds_what_header_map_lookups_find() {
        let headers = map(&[
            ("user-agent", "test"),
            ("x-forwarded-host", "a.example"),
            ("host", "b.example"),
            ("x-forwarded-proto", "https"),
            ("host", "c.example"),
            ("x-forwarded-host", "d.example"),
        ]);
        let found = RequestHeaders::read(&headers);
        assert_eq!(found.host, headers.get(HOST));
        assert_eq!(found.forwarded_host, headers.get(X_FORWARDED_HOST));
        assert_eq!(found.forwarded_proto, headers.get(X_FORWARDED_PROTO));
        assert_eq!(found.authorization, None);
        assert_eq!(found.cookie_lines, [None; COOKIE_LINES]);
        assert!(!found.page && !found.htmx);
    }

    #[test]
    fn authorization_lines_are_counted_past_the_first() {
        let one = map(&[("authorization", "Bearer a")]);
        let found = RequestHeaders::read(&one);
        assert_eq!(found.authorization.map(HeaderValue::as_bytes), Some(&b"Bearer a"[..]));
        assert!(!found.several_authorizations);
        let two = map(&[("authorization", "Bearer a"), ("host", "x"), ("authorization", "Bearer b")]);
        let found = RequestHeaders::read(&two);
        assert_eq!(found.authorization.map(HeaderValue::as_bytes), Some(&b"Bearer a"[..]));
        assert!(found.several_authorizations);
    }

    #[test]
    fn cookie_lines_are_kept_in_order_and_further_ones_are_flagged() {
        let lines: Vec<String> = (0..=COOKIE_LINES).map(|i| format!("c{i}={i}")).collect();
        let pairs: Vec<(&str, &str)> = lines.iter().map(|line| ("cookie", line.as_str())).collect();
        let upto = |n: usize| map(&pairs[..n]);
        for n in 0..=COOKIE_LINES {
            let headers = upto(n);
            let found = RequestHeaders::read(&headers);
            let kept: Vec<&HeaderValue> = found.cookie_lines.iter().flatten().copied().collect();
            assert_eq!(kept, headers.get_all(COOKIE).iter().collect::<Vec<_>>());
            assert!(!found.more_cookie_lines, "{n} lines");
        }
        let headers = upto(COOKIE_LINES + 1);
        assert!(RequestHeaders::read(&headers).more_cookie_lines);
    }

    #[test]
    fn page_requests_are_told_by_sec_fetch_dest_or_accept() {
        let page = |pairs: &[(&str, &str)]| RequestHeaders::read(&map(pairs)).page;
        assert!(page(&[("sec-fetch-dest", "document")]));
        assert!(page(&[("sec-fetch-dest", "iframe")]));
        assert!(!page(&[("sec-fetch-dest", "empty")]));
        assert!(page(&[("accept", "application/json, text/html;q=0.9")]));
        assert!(!page(&[("accept", "application/json")]));
        assert!(!page(&[]));
    }

    #[test]
    fn htmx_is_hx_request_true_in_any_case() {
        let htmx = |value: &str| RequestHeaders::read(&map(&[("hx-request", value)])).htmx;
        assert!(htmx("true"));
        assert!(htmx("TRUE"));
        assert!(!htmx("false"));
        assert!(!RequestHeaders::read(&HeaderMap::new()).htmx);
    }
}

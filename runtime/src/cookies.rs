//! Reading the `Cookie` and `Authorization` headers the way Clerk does, minus its pitfalls
//! (clerk-semantics §5.2, security §6).

use http::header::{AUTHORIZATION, COOKIE};
use http::HeaderMap;
use std::borrow::Cow;

/// Most cookie pairs looked at per request: a flood of cookies costs bounded work.
const MAX_COOKIE_PAIRS: usize = 256;

/// The cookies of a request, first occurrence of each name wins (Clerk's `cookie` parser).
/// Nothing is collected: each lookup scans the `Cookie` lines again (a request needs a handful of
/// lookups), so reading cookies allocates only when a value must be percent-decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cookies<'a> {
    headers: &'a HeaderMap,
}

impl<'a> Cookies<'a> {
    /// Reads every `Cookie` header line, splitting on `;` **before** any percent-decoding, so an
    /// encoded `%3B` can never forge a cookie boundary (Clerk #9466).
    pub(crate) fn parse(headers: &'a HeaderMap) -> Self {
        Self { headers }
    }

    fn pairs(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|line| line.to_str().ok())
            .flat_map(|line| line.split(';'))
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                Some((name.trim_matches([' ', '\t']), value.trim_matches([' ', '\t'])))
            })
            .take(MAX_COOKIE_PAIRS)
    }

    /// The first value of cookie `name`, percent-decoded when it contains `%` and decodes to UTF-8
    /// (`decodeURIComponent`; the raw value is kept otherwise).
    pub(crate) fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let raw = self.pairs().find(|(n, _)| *n == name)?.1;
        if !raw.contains('%') {
            return Some(Cow::Borrowed(raw));
        }
        Some(percent_decode(raw).map_or(Cow::Borrowed(raw), Cow::Owned))
    }
}

fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What the `Authorization` header says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeaderToken<'a> {
    /// No usable header: fall back to cookies (absent, empty, or a non-Bearer scheme such as `Basic`).
    Absent,
    /// A token to verify, as the header's bytes: it is checked to be UTF-8 only when it is not a
    /// token verified before (a verified-token cache hit matches it byte for byte).
    Token(&'a [u8]),
    /// `Bearer ` and the rest of the value, which is not empty and does not start with a space:
    /// the token is the rest up to its first space ([`HeaderToken::token`]). Not cut yet — a
    /// token verified before has no space, so the whole rest can be looked up first, without
    /// scanning ~800 bytes for a space that a valid token does not contain.
    Bearer(&'a [u8]),
    /// The header cannot be trusted (several lines).
    Unusable(&'static str),
}

#[cfg(test)]
impl<'a> HeaderToken<'a> {
    /// The token JavaScript's `split(' ', 2)` gives, if the header has one.
    pub(crate) fn token(&self) -> Option<&'a [u8]> {
        match *self {
            Self::Token(token) => Some(token),
            Self::Bearer(rest) => Some(until_space(rest)),
            Self::Absent | Self::Unusable(_) => None,
        }
    }
}

/// The bytes before the first space (all of them without one).
pub(crate) fn until_space(bytes: &[u8]) -> &[u8] {
    &bytes[..memchr::memchr(b' ', bytes).unwrap_or(bytes.len())]
}

/// Clerk's `parseAuthorizationHeader`: `value.split(' ', 2)`; with no second piece the whole value
/// is the token; `Bearer` (exact case) takes the second piece; any other scheme is ignored. More
/// than one `Authorization` line is refused rather than guessed at (RFC 9110 §5.3).
pub(crate) fn header_token(headers: &HeaderMap) -> HeaderToken<'_> {
    let mut lines = headers.get_all(AUTHORIZATION).iter();
    let Some(first) = lines.next() else {
        return HeaderToken::Absent;
    };
    if lines.next().is_some() {
        return HeaderToken::Unusable("More than one Authorization header was sent.");
    }
    let value = first.as_bytes();
    if let Some(rest) = value.strip_prefix(b"Bearer ").filter(|rest| rest.first().is_some_and(|&b| b != b' ')) {
        return HeaderToken::Bearer(rest);
    }
    // JavaScript's `split(' ', 2)` keeps the second piece only up to the next space.
    let (scheme, second) = match memchr::memchr(b' ', value) {
        None => (value, None),
        Some(space) => {
            let rest = &value[space + 1..];
            (&value[..space], Some(until_space(rest)))
        }
    };
    match second {
        None | Some([]) if scheme.is_empty() => HeaderToken::Absent,
        None | Some([]) => HeaderToken::Token(scheme),
        Some(token) if scheme == b"Bearer" => HeaderToken::Token(token),
        Some(_) => HeaderToken::Absent,
    }
}

/// JavaScript's `parseInt(value, 10) || 0`, as Clerk reads `__client_uat`.
pub(crate) fn js_parse_int(value: &str) -> i64 {
    let s = value.trim_start();
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(name: http::header::HeaderName, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name.clone(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn authorization_parsing_follows_clerk() {
        let token = |values: &[&str]| header_token(&headers(AUTHORIZATION, values)).token().map(<[u8]>::to_vec);
        assert_eq!(token(&["Bearer a.b.c"]).as_deref(), Some(&b"a.b.c"[..]));
        assert_eq!(token(&["a.b.c"]).as_deref(), Some(&b"a.b.c"[..]));
        assert_eq!(header_token(&headers(AUTHORIZATION, &["Basic dXNlcjpwYXNz"])), HeaderToken::Absent);
        assert_eq!(header_token(&headers(AUTHORIZATION, &["bearer a.b.c"])), HeaderToken::Absent);
        assert_eq!(token(&["Bearer "]).as_deref(), Some(&b"Bearer"[..]));
        assert_eq!(
            token(&["Bearer  a.b.c"]).as_deref(),
            Some(&b"Bearer"[..]),
            "split(' ', 2) gives an empty second piece"
        );
        assert_eq!(token(&["Bearer a.b.c, Bearer x.y.z"]).as_deref(), Some(&b"a.b.c,"[..]));
        assert!(matches!(header_token(&headers(AUTHORIZATION, &["Bearer a", "Bearer b"])), HeaderToken::Unusable(_)));
        assert_eq!(header_token(&headers(AUTHORIZATION, &[""])), HeaderToken::Absent);
        assert_eq!(token(&["Bearer a.b.c d.e.f"]).as_deref(), Some(&b"a.b.c"[..]));
        assert_eq!(token(&["Bearer a.b.c "]).as_deref(), Some(&b"a.b.c"[..]));
    }

    #[test]
    fn cookies_first_wins_and_encoded_separators_do_not_split() {
        let h = headers(COOKIE, &["__session=first; __session=second", "other=1"]);
        let c = Cookies::parse(&h);
        assert_eq!(c.get("__session").as_deref(), Some("first"));
        assert_eq!(c.get("other").as_deref(), Some("1"));
        let h = headers(COOKIE, &["sid=x%3B__session%3Dforged"]);
        let c = Cookies::parse(&h);
        assert_eq!(c.get("__session"), None);
        assert_eq!(c.get("sid").as_deref(), Some("x;__session=forged"));
        let h = headers(COOKIE, &["a=%C0%zz"]);
        assert_eq!(Cookies::parse(&h).get("a").as_deref(), Some("%C0%zz"));
    }

    #[test]
    fn client_uat_is_read_like_parse_int() {
        assert_eq!(js_parse_int("12345"), 12345);
        assert_eq!(js_parse_int("12345abc"), 12345);
        assert_eq!(js_parse_int("abc"), 0);
        assert_eq!(js_parse_int(" 7"), 7);
        assert_eq!(js_parse_int("-3"), -3);
        assert_eq!(js_parse_int(""), 0);
    }
}

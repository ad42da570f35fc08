//! Reading the `Cookie` and `Authorization` headers the way Clerk does, minus its pitfalls
//! (clerk-semantics §5.2, security §6).

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use std::borrow::Cow;

use crate::headers::{RequestHeaders, COOKIE_LINES};

/// Most cookie pairs looked at per request: a flood of cookies costs bounded work.
const MAX_COOKIE_PAIRS: usize = 256;

/// The cookies of a request, first occurrence of each name wins (Clerk's `cookie` parser).
/// Nothing is collected and nothing allocated (except to percent-decode a value): each lookup
/// walks the pairs again — with the `;` and `=` found by a vectorised search, so the ~800-byte
/// session value costs a few dozen instructions per walk — over lines checked once, in
/// [`Self::parse`]. Values stay bytes until read as text ([`text`]): the session token is looked
/// up in the verified-token cache as bytes, and only a token to decode needs converting.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cookies<'a> {
    headers: &'a HeaderMap,
    /// Those of the first [`COOKIE_LINES`] `Cookie` lines that are visible ASCII, in order (a
    /// line that is not is skipped whole, as `HeaderValue::to_str` would have it). Lines past
    /// these are checked again on each lookup.
    lines: [&'a [u8]; COOKIE_LINES],
    kept: usize,
    /// More lines follow the first [`COOKIE_LINES`].
    more: bool,
}

impl<'a> Cookies<'a> {
    /// Reads every `Cookie` header line, splitting on `;` **before** any percent-decoding, so an
    /// encoded `%3B` can never forge a cookie boundary (Clerk #9466).
    pub(crate) fn parse(headers: &'a HeaderMap) -> Self {
        Self::from_lines(&RequestHeaders::read(headers))
    }

    /// The cookies of the `Cookie` lines a walk over the headers found.
    pub(crate) fn from_lines(found: &RequestHeaders<'a>) -> Self {
        let mut cookies =
            Self { headers: found.map, lines: [b""; COOKIE_LINES], kept: 0, more: found.more_cookie_lines };
        for line in found.cookie_lines.iter().flatten().filter_map(|line| visible_ascii(line)) {
            cookies.lines[cookies.kept] = line;
            cookies.kept += 1;
        }
        cookies
    }

    /// Calls `visit` with each `name=value` pair (trimmed) in order, and whether the value holds a
    /// `%`, at most [`MAX_COOKIE_PAIRS`], until it returns `true`.
    fn visit_pairs(&self, mut visit: impl FnMut(&'a [u8], &'a [u8], bool) -> bool) {
        let rest = self.more.then(|| self.headers.get_all(COOKIE).iter().skip(COOKIE_LINES).filter_map(visible_ascii));
        let mut budget = MAX_COOKIE_PAIRS;
        for line in self.lines[..self.kept].iter().copied().chain(rest.into_iter().flatten()) {
            let stop = visit_line_pairs(line, &mut |name, value, percent| {
                budget -= 1;
                visit(name, value, percent) || budget == 0
            });
            if stop {
                return;
            }
        }
    }

    /// The first value of cookie `name`, percent-decoded when it contains `%` and decodes to UTF-8
    /// (`decodeURIComponent`; the raw value is kept otherwise).
    pub(crate) fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let [value] = self.get_many([name]);
        value.and_then(text)
    }

    /// The first value of each of `names`, as [`Self::get`] gives it but as bytes, in one walk
    /// over the pairs that stops once every name has been seen.
    pub(crate) fn get_many<const N: usize>(&self, names: [&str; N]) -> [Option<Cow<'a, [u8]>>; N] {
        let mut raw: [Option<(&'a [u8], bool)>; N] = [None; N];
        let mut missing = N;
        self.visit_pairs(|name, value, percent| {
            for (slot, wanted) in raw.iter_mut().zip(names) {
                if slot.is_none() && name == wanted.as_bytes() {
                    *slot = Some((value, percent));
                    missing -= 1;
                }
            }
            missing == 0
        });
        raw.map(|found| found.map(|(value, percent)| decode(value, percent)))
    }
}

/// `decodeURIComponent` when the value contains `%` (as the walk saw) and decodes to UTF-8; the
/// raw value otherwise.
fn decode(raw: &[u8], percent: bool) -> Cow<'_, [u8]> {
    if !percent {
        return Cow::Borrowed(raw);
    }
    percent_decode(raw).map_or(Cow::Borrowed(raw), |decoded| Cow::Owned(decoded.into_bytes()))
}

/// A cookie value as text. Always `Some` for what [`Cookies`] gives — lines are visible ASCII, and
/// decoded values were checked to be UTF-8 — but converting says so without `unsafe`.
pub(crate) fn text(value: Cow<'_, [u8]>) -> Option<Cow<'_, str>> {
    match value {
        Cow::Borrowed(bytes) => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
        Cow::Owned(bytes) => String::from_utf8(bytes).ok().map(Cow::Owned),
    }
}

/// The line if it is visible ASCII or tab (`HeaderValue::to_str`'s rule), checked without an
/// early exit so that the check vectorises: its smallest and largest bytes first (one vector
/// minimum and maximum per 16 bytes), byte by byte only when they say there is a tab or worse.
fn visible_ascii(line: &HeaderValue) -> Option<&[u8]> {
    let bytes = line.as_bytes();
    let (lowest, highest) = bytes.iter().fold((u8::MAX, 0), |(lo, hi), &b| (lo.min(b), hi.max(b)));
    let visible = (lowest >= b' ' && highest <= b'~')
        || bytes.iter().fold(true, |visible, &b| visible & ((b' '..=b'~').contains(&b) | (b == b'\t')));
    visible.then_some(bytes)
}

/// The pairs of one line as `line.split(';')` and `piece.split_once('=')` give them (pieces
/// without `=` skipped), each with whether its value holds a `%` (to be percent-decoded). Calls
/// `visit` until it returns `true`; says whether it did.
///
/// Vectorised searches, one per name and one per value: a name ends at the piece's first `=` (a
/// `;` first ends a piece without one), its value at the next `;`, and the `%` that decoding
/// looks for is found on the way. (Scanning byte by byte cost ~10 instructions a byte; searching
/// each ~800-byte token again for `%` cost as much as finding its end.)
fn visit_line_pairs<'a>(bytes: &'a [u8], visit: &mut dyn FnMut(&'a [u8], &'a [u8], bool) -> bool) -> bool {
    let mut start = 0;
    while let Some(rest) = bytes.get(start..) {
        let Some(offset) = memchr::memchr2(b'=', b';', rest) else {
            return false;
        };
        let stop = start + offset;
        if bytes[stop] == b';' {
            start = stop + 1;
            continue;
        }
        let value_start = stop + 1;
        let end_from = |from: usize| memchr::memchr(b';', &bytes[from..]).map_or(bytes.len(), |i| from + i);
        let (end, percent) = match memchr::memchr2(b';', b'%', &bytes[value_start..]) {
            None => (bytes.len(), false),
            Some(i) if bytes[value_start + i] == b';' => (value_start + i, false),
            Some(i) => (end_from(value_start + i + 1), true),
        };
        if visit(trim_ows(&bytes[start..stop]), trim_ows(&bytes[value_start..end]), percent) {
            return true;
        }
        start = end + 1;
    }
    false
}

/// Without leading and trailing spaces and tabs.
fn trim_ows(bytes: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !ows(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn percent_decode(bytes: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
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
pub(crate) fn header_token<'h>(found: &RequestHeaders<'h>) -> HeaderToken<'h> {
    let Some(first) = found.authorization else {
        return HeaderToken::Absent;
    };
    if found.several_authorizations {
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
    use http::header::AUTHORIZATION;
    use http::HeaderValue;

    fn authorization(values: &[&str]) -> HeaderToken<'static> {
        let map = Box::leak(Box::new(headers(AUTHORIZATION, values)));
        header_token(&RequestHeaders::read(map))
    }

    fn headers(name: http::header::HeaderName, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name.clone(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn authorization_parsing_follows_clerk() {
        let token = |values: &[&str]| authorization(values).token().map(<[u8]>::to_vec);
        assert_eq!(token(&["Bearer a.b.c"]).as_deref(), Some(&b"a.b.c"[..]));
        assert_eq!(token(&["a.b.c"]).as_deref(), Some(&b"a.b.c"[..]));
        assert_eq!(authorization(&["Basic dXNlcjpwYXNz"]), HeaderToken::Absent);
        assert_eq!(authorization(&["bearer a.b.c"]), HeaderToken::Absent);
        assert_eq!(token(&["Bearer "]).as_deref(), Some(&b"Bearer"[..]));
        assert_eq!(
            token(&["Bearer  a.b.c"]).as_deref(),
            Some(&b"Bearer"[..]),
            "split(' ', 2) gives an empty second piece"
        );
        assert_eq!(token(&["Bearer a.b.c, Bearer x.y.z"]).as_deref(), Some(&b"a.b.c,"[..]));
        assert!(matches!(authorization(&["Bearer a", "Bearer b"]), HeaderToken::Unusable(_)));
        assert_eq!(authorization(&[""]), HeaderToken::Absent);
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
    fn cookie_pairs_are_split_and_trimmed_as_before() {
        let h = headers(COOKIE, &[" a = 1 ;\tb=2;;novalue; c=x=y ;d=", "e=5"]);
        let c = Cookies::parse(&h);
        let mut found: Vec<(&[u8], &[u8])> = Vec::new();
        c.visit_pairs(|name, value, _| {
            found.push((name, value));
            false
        });
        let expected: [(&[u8], &[u8]); 5] = [(b"a", b"1"), (b"b", b"2"), (b"c", b"x=y"), (b"d", b""), (b"e", b"5")];
        assert_eq!(found, expected);
    }

    /// The pairs `split(';')`, `split_once('=')` and trimming give: what the walk must match.
    fn reference_pairs(line: &str) -> Vec<(&str, &str)> {
        let ows: &[char] = &[' ', '\t'];
        line.split(';')
            .filter_map(|piece| piece.split_once('='))
            .map(|(name, value)| (name.trim_matches(ows), value.trim_matches(ows)))
            .collect()
    }

    fn walked_pairs(line: &str) -> Vec<(&str, &str)> {
        let mut found = Vec::new();
        visit_line_pairs(line.as_bytes(), &mut |name, value, percent| {
            let value = std::str::from_utf8(value).unwrap();
            assert_eq!(percent, value.contains('%'), "{line:?}: `%` in {value:?}");
            found.push((std::str::from_utf8(name).unwrap(), value));
            false
        });
        found
    }

    #[test]
    fn the_pair_walk_equals_split_on_every_short_line() {
        const ALPHABET: [char; 6] = ['a', '=', ';', ' ', '\t', '%'];
        for len in 0..=7_u32 {
            for mut code in 0..ALPHABET.len().pow(len) {
                let line: String = (0..len)
                    .map(|_| {
                        let c = ALPHABET[code % ALPHABET.len()];
                        code /= ALPHABET.len();
                        c
                    })
                    .collect();
                assert_eq!(walked_pairs(&line), reference_pairs(&line), "{line:?}");
            }
        }
    }

    #[test]
    fn the_pair_walk_equals_split_on_long_values() {
        let token = "e".repeat(800);
        for line in [
            format!("__session={token}"),
            format!("a=1; __session={token}; b=2"),
            format!("__session={token};;x={token}=y; c"),
            format!("{token}; d=4"),
        ] {
            assert_eq!(walked_pairs(&line), reference_pairs(&line));
        }
    }

    #[test]
    fn a_cookie_line_that_is_not_visible_ascii_is_skipped_whole() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_bytes(b"__session=bad; x=\xff").unwrap());
        h.append(COOKIE, HeaderValue::from_static("__session=good"));
        h.append(COOKIE, HeaderValue::from_bytes(b"y=\x80").unwrap());
        assert_eq!(Cookies::parse(&h).get("__session").as_deref(), Some("good"));
        assert_eq!(Cookies::parse(&h).get("y"), None);
    }

    #[test]
    fn a_line_is_kept_exactly_when_to_str_accepts_it() {
        // Every byte a header value may hold, at the start, the end and in the vectorised middle
        // of a session-sized line.
        for byte in 0..=u8::MAX {
            for at in [0, 15, 16, 31, 500, 899] {
                let mut line = vec![b'a'; 900];
                line[at] = byte;
                let Ok(value) = HeaderValue::from_bytes(&line) else { continue };
                assert_eq!(visible_ascii(&value).is_some(), value.to_str().is_ok(), "byte {byte:#04x} at {at}");
            }
        }
    }

    #[test]
    fn lines_past_the_checked_ones_are_read_in_order() {
        let lines: Vec<String> = (0..COOKIE_LINES + 3).map(|i| format!("c{i}={i}; dup={i}")).collect();
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_bytes(b"skipped=\xff").unwrap());
        for line in &lines {
            h.append(COOKIE, HeaderValue::from_str(line).unwrap());
        }
        let c = Cookies::parse(&h);
        for i in 0..COOKIE_LINES + 3 {
            assert_eq!(c.get(&format!("c{i}")).as_deref(), Some(i.to_string().as_str()), "line {i}");
        }
        assert_eq!(c.get("dup").as_deref(), Some("0"), "the first occurrence wins");
        assert_eq!(c.get("skipped"), None);
    }

    #[test]
    fn one_walk_finds_each_name_as_get_does() {
        let h = headers(COOKIE, &["a=1; b=%41; a=2; c=3", "d=4; b=5"]);
        let c = Cookies::parse(&h);
        let names = ["b", "a", "missing", "d", "a"];
        let many = c.get_many(names).map(|value| value.and_then(text));
        assert_eq!(many, names.map(|n| c.get(n)));
        assert_eq!(many, [Some("A".into()), Some("1".into()), None, Some("4".into()), Some("1".into())]);
    }

    #[test]
    fn at_most_max_cookie_pairs_are_looked_at() {
        let line: String = (0..MAX_COOKIE_PAIRS + 1).map(|i| format!("k{i}=v; ")).collect();
        let h = headers(COOKIE, &[&line]);
        let c = Cookies::parse(&h);
        assert_eq!(c.get(&format!("k{}", MAX_COOKIE_PAIRS - 1)).as_deref(), Some("v"));
        assert_eq!(c.get(&format!("k{MAX_COOKIE_PAIRS}")), None);
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

//! The `Cookie` header read as Clerk's `cookie` parser reads it, minus its pitfalls
//! (clerk-semantics §5.2, security §6): the first occurrence of a name wins; lines are split on
//! `;` and `=` **before** any percent-decoding, so an encoded `%3B` can never forge a cookie
//! boundary (Clerk #9466); a value is decoded as `decodeURIComponent` would, and kept raw when it
//! does not decode; at most [`MAX_COOKIE_PAIRS`] pairs are looked at.

use http::header::COOKIE;
use http::HeaderMap;
use std::borrow::Cow;

/// Clerk's session cookie (`__session`, or `__session_<suffix>`).
pub(crate) const SESSION: &str = "__session";
/// When the client last changed, in seconds (`__client_uat`, or suffixed).
pub(crate) const CLIENT_UAT: &str = "__client_uat";
/// A development instance's dev-browser token (`__clerk_db_jwt`, query parameter or cookie).
pub(crate) const DEV_BROWSER: &str = "__clerk_db_jwt";

/// Most cookie pairs looked at per request: a flood of cookies costs bounded work.
pub(crate) const MAX_COOKIE_PAIRS: usize = 256;

/// The cookies of a request. Nothing is collected: each lookup walks the lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cookies<'a> {
    headers: &'a HeaderMap,
}

impl<'a> Cookies<'a> {
    pub(crate) fn parse(headers: &'a HeaderMap) -> Self {
        Self { headers }
    }

    /// True when the request has no `Cookie` header at all.
    pub(crate) fn is_empty(&self) -> bool {
        !self.headers.contains_key(COOKIE)
    }

    /// Each `name=value` pair, trimmed, in order: every line that is visible ASCII (a line that
    /// is not is skipped whole, as `HeaderValue::to_str` has it), pieces without `=` skipped.
    fn pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let ows: &[char] = &[' ', '\t'];
        self.headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|line| visible_ascii(line.as_bytes()))
            .flat_map(|line| line.split(';'))
            .filter_map(|piece| piece.split_once('='))
            .map(move |(name, value)| (name.trim_matches(ows), value.trim_matches(ows)))
            .take(MAX_COOKIE_PAIRS)
    }

    /// The first value of cookie `name`, decoded.
    pub(crate) fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let [value] = self.get_many([name]);
        value
    }

    /// The first value of each of `names`, in one walk that stops once each has been seen.
    pub(crate) fn get_many<const N: usize>(&self, names: [&str; N]) -> [Option<Cow<'a, str>>; N] {
        let mut found: [Option<&'a str>; N] = [None; N];
        let mut missing = N;
        for (name, value) in self.pairs() {
            for (slot, wanted) in found.iter_mut().zip(names) {
                if slot.is_none() && name == wanted {
                    *slot = Some(value);
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
        found.map(|value| value.map(decode))
    }
}

/// The line as text if it is visible ASCII or tab (`HeaderValue::to_str`'s rule). Its smallest
/// and largest bytes are found first, with no early exit so that the loop vectorises (a browser's
/// line is a few kilobytes, mostly session tokens); byte by byte only when they say there may be
/// a tab or worse.
fn visible_ascii(line: &[u8]) -> Option<&str> {
    let (lowest, highest) = line.iter().fold((u8::MAX, 0), |(lo, hi), &b| (lo.min(b), hi.max(b)));
    let visible = (lowest >= b' ' && highest <= b'~') || line.iter().all(|&b| (b' '..=b'~').contains(&b) || b == b'\t');
    visible.then(|| std::str::from_utf8(line).ok()).flatten()
}

/// `decodeURIComponent`, or the raw value when it does not decode (an escape that is not `%`
/// and two hex digits, or bytes that are not UTF-8), as Clerk's parser falls back.
fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.contains('%') {
        return Cow::Borrowed(raw);
    }
    percent_decode(raw.as_bytes()).map_or(Cow::Borrowed(raw), Cow::Owned)
}

fn percent_decode(bytes: &[u8]) -> Option<String> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let (high, low) = (hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?);
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
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

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn the_first_cookie_of_a_name_wins_across_lines() {
        let h = headers(&["__session=first; __session=second", "other=1; __session=third"]);
        let c = Cookies::parse(&h);
        assert_eq!(c.get("__session").as_deref(), Some("first"));
        assert_eq!(c.get("other").as_deref(), Some("1"));
    }

    #[test]
    fn an_encoded_separator_does_not_split_a_cookie() {
        let h = headers(&["sid=x%3B__session%3Dforged"]);
        let c = Cookies::parse(&h);
        assert_eq!(c.get("__session"), None);
        assert_eq!(c.get("sid").as_deref(), Some("x;__session=forged"));
    }

    #[test]
    fn an_escape_that_is_not_two_hex_digits_keeps_the_value_raw() {
        for raw in ["%+1", "%-1", "%1", "%zz", "%C0%zz", "a%", "%C0"] {
            let line = format!("a={raw}");
            assert_eq!(Cookies::parse(&headers(&[&line])).get("a").as_deref(), Some(raw), "{raw}");
        }
        assert_eq!(Cookies::parse(&headers(&["a=%41%62"])).get("a").as_deref(), Some("Ab"));
    }

    #[test]
    fn pairs_are_split_and_trimmed_like_split_and_split_once() {
        let h = headers(&[" a = 1 ;\tb=2;;novalue; c=x=y ;d=", "e=5"]);
        let found: Vec<(&str, &str)> = Cookies::parse(&h).pairs().collect();
        assert_eq!(found, [("a", "1"), ("b", "2"), ("c", "x=y"), ("d", ""), ("e", "5")]);
    }

    #[test]
    fn a_line_that_is_not_visible_ascii_is_skipped_whole() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_bytes(b"__session=bad; x=\xff").unwrap());
        h.append(COOKIE, HeaderValue::from_static("__session=good"));
        assert_eq!(Cookies::parse(&h).get("__session").as_deref(), Some("good"));
    }

    #[test]
    fn a_line_is_read_exactly_when_to_str_accepts_it() {
        // Every byte a header value may hold, at the start, the end and in the middle of a
        // session-sized line.
        for byte in 0..=u8::MAX {
            for at in [0, 15, 16, 31, 500, 899] {
                let mut line = vec![b'a'; 900];
                line[at] = byte;
                let Ok(value) = HeaderValue::from_bytes(&line) else { continue };
                assert_eq!(visible_ascii(value.as_bytes()), value.to_str().ok(), "byte {byte:#04x} at {at}");
            }
        }
    }

    #[test]
    fn at_most_max_cookie_pairs_are_looked_at() {
        let line: String = (0..MAX_COOKIE_PAIRS + 1).map(|i| format!("k{i}=v; ")).collect();
        let h = headers(&[&line]);
        let c = Cookies::parse(&h);
        assert_eq!(c.get(&format!("k{}", MAX_COOKIE_PAIRS - 1)).as_deref(), Some("v"));
        assert_eq!(c.get(&format!("k{MAX_COOKIE_PAIRS}")), None);
    }

    #[test]
    fn one_walk_finds_each_name_as_get_does() {
        let h = headers(&["a=1; b=%41; a=2; c=3", "d=4; b=5"]);
        let c = Cookies::parse(&h);
        let names = ["b", "a", "missing", "d", "a"];
        assert_eq!(c.get_many(names), names.map(|n| c.get(n)));
    }

    #[test]
    fn client_uat_is_read_like_parse_int() {
        for (text, n) in [("12345", 12345), ("12345abc", 12345), ("abc", 0), (" 7", 7), ("-3", -3), ("", 0)] {
            assert_eq!(js_parse_int(text), n, "{text:?}");
        }
    }
}

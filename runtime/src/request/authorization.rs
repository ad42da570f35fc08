//! The `Authorization` header read as Clerk's `parseAuthorizationHeader` reads it (§5.2, HEAD).

use http::header::AUTHORIZATION;
use http::HeaderMap;

/// What the `Authorization` header says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeaderToken<'a> {
    /// No usable header: the cookies decide (absent, empty, or another scheme such as `Basic`).
    Absent,
    /// A token, as the header's bytes (not yet known to be UTF-8).
    Token(&'a [u8]),
    /// The header cannot be trusted: it was sent more than once (RFC 9110 §5.3).
    Unusable(&'static str),
}

/// `value.split(' ', 2)`: with no second piece the whole value is the token; `Bearer` (exact
/// case) takes the second piece up to its next space; any other scheme is ignored. More than one
/// `Authorization` line is refused rather than guessed at.
pub(crate) fn header_token(headers: &HeaderMap) -> HeaderToken<'_> {
    let mut lines = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = lines.next() else {
        return HeaderToken::Absent;
    };
    if lines.next().is_some() {
        return HeaderToken::Unusable("More than one Authorization header was sent.");
    }
    let value = value.as_bytes();
    // The first space ends the scheme, the next one the token (a vectorised search: the token
    // is most of an ~800-byte value).
    let (scheme, second) = match memchr::memchr(b' ', value) {
        None => (value, None),
        Some(space) => {
            let rest = &value[space + 1..];
            (&value[..space], Some(&rest[..memchr::memchr(b' ', rest).unwrap_or(rest.len())]))
        }
    };
    match second {
        None | Some([]) if scheme.is_empty() => HeaderToken::Absent,
        None | Some([]) => HeaderToken::Token(scheme),
        Some(token) if scheme == b"Bearer" => HeaderToken::Token(token),
        Some(_) => HeaderToken::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(values: &[&str]) -> Option<String> {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        match header_token(&map) {
            HeaderToken::Token(token) => Some(String::from_utf8(token.to_vec()).unwrap()),
            HeaderToken::Absent => None,
            HeaderToken::Unusable(why) => Some(format!("unusable: {why}")),
        }
    }

    #[test]
    fn authorization_is_split_as_clerk_splits_it() {
        assert_eq!(parse(&["Bearer a.b.c"]).as_deref(), Some("a.b.c"));
        assert_eq!(parse(&["a.b.c"]).as_deref(), Some("a.b.c"), "no scheme: the whole value");
        assert_eq!(parse(&["Basic dXNlcjpwYXNz"]), None);
        assert_eq!(parse(&["bearer a.b.c"]), None, "the scheme is case-sensitive");
        assert_eq!(parse(&["Bearer "]).as_deref(), Some("Bearer"), "an empty second piece");
        assert_eq!(parse(&["Bearer  a.b.c"]).as_deref(), Some("Bearer"));
        assert_eq!(parse(&["Bearer a.b.c d.e.f"]).as_deref(), Some("a.b.c"));
        assert_eq!(parse(&["Bearer a.b.c "]).as_deref(), Some("a.b.c"));
        assert_eq!(parse(&[""]), None);
        assert!(parse(&["Bearer a", "Bearer b"]).unwrap().starts_with("unusable"));
    }
}

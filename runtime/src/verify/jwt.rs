//! Splitting and decoding a compact JWS without trusting it (Clerk's `decodeJwt`, §5.5).

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::borrow::Cow;

use crate::error::{Reason, TokenError};

/// Longest token we look at. Clerk session tokens are at most 4 KiB; anything far larger is
/// refused before any decoding work (security §1.1.1).
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Base64url for token segments: no padding, canonical trailing bits, URL-safe alphabet only
/// (RFC 7515 §2). Clerk parses segments loosely; refusing padded or non-canonical segments is
/// strictly safer (no two spellings of one token) and no Clerk-issued token is affected.
const STRICT_BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Base64url as Clerk's `base64url.parse(…, {loose: true})`: padding optional, non-canonical
/// trailing bits tolerated, alphabet strict. Used for JWK members, as Clerk reads them.
pub(crate) const LOOSE_BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(crate) const THREE_PARTS: &str = "Invalid JWT form. A JWT consists of three parts separated by dots.";
const UNDECODABLE: &str = "Invalid JWT form. The header, payload, or signature could not be decoded.";

/// A token split into its parts; nothing in it is verified yet.
#[derive(Debug, Clone)]
pub(crate) struct DecodedJwt<'a> {
    pub(crate) header: Map<String, Value>,
    pub(crate) payload: Map<String, Value>,
    pub(crate) signature: Vec<u8>,
    /// `base64url(header) "." base64url(payload)`, the bytes the signature covers.
    pub(crate) signing_input: &'a str,
}

impl DecodedJwt<'_> {
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }
}

/// A compact JWS split into its parts, the payload left as bytes; nothing in it is verified yet.
#[derive(Debug, Clone)]
pub(crate) struct CompactJws<'a> {
    pub(crate) header: Map<String, Value>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
    /// `base64url(header) "." base64url(payload)`, the bytes the signature covers.
    pub(crate) signing_input: &'a str,
}

/// Decodes `token` (§5.5 `decodeJwt`, HEAD behaviour: undecodable parts are a `token-invalid`
/// error, never a panic). A payload that is JSON but not an object (`[]`, `"x"`, `null`) decodes
/// to no claims, as `payload.sub` reads `undefined` in Clerk: such a token then fails the `sub`
/// check with `token-verification-failed`.
pub(crate) fn decode(token: &str) -> Result<DecodedJwt<'_>, TokenError> {
    let jws = split(token)?;
    let payload = json_payload(&jws.payload).ok_or_else(|| TokenError::new(Reason::TokenInvalid, UNDECODABLE))?;
    Ok(DecodedJwt { header: jws.header, payload, signature: jws.signature, signing_input: jws.signing_input })
}

/// What the cookie flow reads from a token before verifying it (§5.2, §5.3): nothing in it is
/// trusted; it only routes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Peek {
    /// `iss`, when a string.
    pub(crate) iss: Option<String>,
    /// `iat` and `exp`, when numbers.
    pub(crate) iat: Option<f64>,
    pub(crate) exp: Option<f64>,
    /// Not a session token: a machine JWT or a category other than a session's (§5.4).
    pub(crate) not_a_session_token: bool,
}

impl Peek {
    /// What the cookie flow reads, from the claims of a token that verified as a session token.
    pub(crate) fn of_session_claims(claims: &Map<String, Value>) -> Self {
        let number = |name: &str| claims.get(name).and_then(Value::as_f64);
        Self {
            iss: claims.get("iss").and_then(Value::as_str).map(str::to_owned),
            iat: number("iat"),
            exp: number("exp"),
            not_a_session_token: false,
        }
    }
}

/// Decodes `token` as [`decode`] does (same limits, same errors) and keeps what the cookie flow
/// reads, without building the claims: a browser's request decodes its session token on every
/// request, and the claims of a verified token come from the verified-token cache. A member
/// repeated among those it reads is refused here; one repeated elsewhere is refused when the
/// token is verified (nothing read here is trusted either way).
pub(crate) fn peek(token: &str) -> Result<Peek, TokenError> {
    let jws = split_raw(token, false)?;
    let undecodable = || TokenError::new(Reason::TokenInvalid, UNDECODABLE);
    // Structs also deserialize from JSON arrays: the header must be an object, and a payload that
    // is JSON but not an object has no claims (see `decode`).
    let is_object = |json: &[u8]| json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !is_object(&jws.header) {
        return Err(undecodable());
    }
    let header: PeekHeader<'_> = serde_json::from_slice(&jws.header).map_err(|_| undecodable())?;
    let payload: PeekPayload<'_> = if is_object(&jws.payload) {
        serde_json::from_slice(&jws.payload).map_err(|_| undecodable())?
    } else {
        serde_json::from_slice::<serde::de::IgnoredAny>(&jws.payload).map_err(|_| undecodable())?;
        PeekPayload::default()
    };
    // A string without escapes is borrowed; one with escapes is unescaped into a `String`.
    fn text<'a>(raw: Present<'a>) -> Option<Cow<'a, str>> {
        let raw = raw.0?.get();
        let borrowed = serde_json::from_str::<&str>(raw).map(Cow::Borrowed);
        borrowed.or_else(|_| serde_json::from_str::<String>(raw).map(Cow::Owned)).ok()
    }
    let number = |raw: Present<'_>| raw.0.and_then(|raw| serde_json::from_str::<f64>(raw.get()).ok());
    let oauth = matches!(text(header.typ).as_deref(), Some("at+jwt" | "application/at+jwt"));
    let m2m = text(payload.sub).is_some_and(|sub| sub.starts_with("mch_"));
    let category = header.cat.0.is_none_or(|_| text(header.cat).is_some_and(|c| SESSION_CATEGORIES.contains(&&*c)));
    Ok(Peek {
        iss: text(payload.iss).map(Cow::into_owned),
        iat: number(payload.iat),
        exp: number(payload.exp),
        not_a_session_token: oauth || m2m || !category,
    })
}

/// A member that was present, as its raw JSON text (`null` included); absent is `None`.
#[derive(Debug, Clone, Copy, Default)]
struct Present<'a>(Option<&'a serde_json::value::RawValue>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Present<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'de serde_json::value::RawValue as serde::Deserialize<'de>>::deserialize(deserializer)
            .map(|raw| Self(Some(raw)))
    }
}

/// The header members [`peek`] reads (a repeated one is an error, as in [`decode`]).
#[derive(serde::Deserialize)]
struct PeekHeader<'a> {
    #[serde(default, borrow)]
    typ: Present<'a>,
    #[serde(default, borrow)]
    cat: Present<'a>,
}

/// The claims [`peek`] reads.
#[derive(Default, serde::Deserialize)]
struct PeekPayload<'a> {
    #[serde(default, borrow)]
    iss: Present<'a>,
    #[serde(default, borrow)]
    sub: Present<'a>,
    #[serde(default, borrow)]
    iat: Present<'a>,
    #[serde(default, borrow)]
    exp: Present<'a>,
}

/// Session-token categories (`cat` header): a session token's, and the one instances with
/// `use_ignore_jwt_cat` stamp on every class. An absent `cat` is accepted (tokens minted before
/// categories existed).
const SESSION_CATEGORIES: [&str; 2] = ["cl_B7d4PD111AAA", "cl_I7d4PD111III"];

/// Clerk's `isMachineJwt` and `hasNonSessionJwtCategory` (§5.4), negated: not an OAuth access
/// token (`typ: at+jwt`), not an M2M token (`sub: mch_…`), and no category but a session's.
pub(crate) fn is_session_token(decoded: &DecodedJwt<'_>) -> bool {
    let oauth = matches!(decoded.header_str("typ"), Some("at+jwt" | "application/at+jwt"));
    let m2m = decoded.payload.get("sub").and_then(Value::as_str).is_some_and(|sub| sub.starts_with("mch_"));
    let category = match decoded.header.get("cat") {
        None => true,
        Some(cat) => cat.as_str().is_some_and(|cat| SESSION_CATEGORIES.contains(&cat)),
    };
    !oauth && !m2m && category
}

/// Splits a compact JWS with the same limits and strict base64url as [`decode`], without
/// reading the payload as JSON.
pub(crate) fn split(token: &str) -> Result<CompactJws<'_>, TokenError> {
    let raw = split_raw(token, true)?;
    let header = json_object(&raw.header).ok_or_else(|| TokenError::new(Reason::TokenInvalid, UNDECODABLE))?;
    Ok(CompactJws { header, payload: raw.payload, signature: raw.signature, signing_input: raw.signing_input })
}

/// A compact JWS's three parts, base64url-decoded, nothing read as JSON.
struct RawJws<'a> {
    header: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    signing_input: &'a str,
}

/// Splits and decodes `token`; the signature is only checked to decode unless `keep_signature`.
fn split_raw(token: &str, keep_signature: bool) -> Result<RawJws<'_>, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::new(
            Reason::TokenInvalid,
            format!("Invalid JWT form. The token is longer than {MAX_TOKEN_LEN} bytes."),
        ));
    }
    // Count the dots before splitting: a token of a million dots does no allocation.
    if memchr::memchr_iter(b'.', token.as_bytes()).take(3).count() != 2 {
        return Err(TokenError::new(Reason::TokenInvalid, THREE_PARTS));
    }
    let mut parts = token.splitn(3, '.');
    let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::new(Reason::TokenInvalid, THREE_PARTS));
    };
    let undecodable = |_| TokenError::new(Reason::TokenInvalid, UNDECODABLE);
    let header = STRICT_BASE64URL.decode(h).map_err(undecodable)?;
    let payload = STRICT_BASE64URL.decode(p).map_err(undecodable)?;
    let signature = if keep_signature {
        STRICT_BASE64URL.decode(s).map_err(undecodable)?
    } else {
        // A 4096-bit signature is 512 bytes: validated in place, kept nowhere.
        let mut buffer = [0_u8; 768];
        match STRICT_BASE64URL.decode_slice(s, &mut buffer) {
            Ok(_) => Vec::new(),
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                STRICT_BASE64URL.decode(s).map_err(undecodable)?;
                Vec::new()
            }
            Err(base64::DecodeSliceError::DecodeError(_)) => {
                return Err(TokenError::new(Reason::TokenInvalid, UNDECODABLE))
            }
        }
    };
    Ok(RawJws { header, payload, signature, signing_input: &token[..h.len() + 1 + p.len()] })
}

/// A payload's claims: an object's members, none for any other JSON value.
fn json_payload(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<NoDuplicates>(bytes).ok()?.0 {
        Value::Object(map) => Some(map),
        _ => Some(Map::new()),
    }
}

fn json_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<NoDuplicates>(bytes).ok()?.0 {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A JSON value that refuses duplicate member names at any depth (RFC 7515 §4, RFC 7519 §4):
/// `{"alg":"none","alg":"RS256"}` or two `exp` claims must not resolve to whichever came last.
struct NoDuplicates(Value);

impl<'de> serde::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(NoDuplicates)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value without duplicate member names")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(NoDuplicates(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some((key, NoDuplicates(value))) = map.next_entry::<String, NoDuplicates>()? {
            if out.insert(key.clone(), value).is_some() {
                return Err(serde::de::Error::custom(format_args!("duplicate member `{key}`")));
            }
        }
        Ok(Value::Object(out))
    }
}

/// `JSON.stringify` of an optional value, as Clerk's messages print it (`undefined` when absent).
pub(crate) fn js_stringify(value: Option<&Value>) -> String {
    value.map_or_else(|| "undefined".to_owned(), Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL_SAFE_NO_PAD_ENGINE;

    #[test]
    fn strict_base64url_refuses_padding_and_non_canonical_bits() {
        assert_eq!(STRICT_BASE64URL.decode("YWJj").unwrap(), b"abc");
        assert!(STRICT_BASE64URL.decode("YWI=").is_err());
        assert!(STRICT_BASE64URL.decode("YWJ").is_err());
        assert_eq!(STRICT_BASE64URL.decode("YWI").unwrap(), b"ab");
    }

    #[test]
    fn duplicate_members_are_refused_at_any_depth() {
        for json in [r#"{"a":1,"a":2}"#, r#"{"o":{"rol":"member","rol":"admin"}}"#, r#"[{"x":1,"x":1}]"#] {
            assert!(serde_json::from_str::<NoDuplicates>(json).is_err(), "{json}");
        }
        assert!(serde_json::from_str::<NoDuplicates>(r#"{"a":{"a":1},"b":[1,{"a":2}]}"#).is_ok());
    }

    /// What `peek` must give: the same reading from the full decode.
    fn peek_by_decode(token: &str) -> Result<Peek, TokenError> {
        let decoded = decode(token)?;
        Ok(Peek { not_a_session_token: !is_session_token(&decoded), ..Peek::of_session_claims(&decoded.payload) })
    }

    #[test]
    fn peek_reads_what_the_full_decode_reads() {
        let b64 = |text: &str| URL_SAFE_NO_PAD_ENGINE.encode(text);
        let headers = [
            r#"{"alg":"RS256"}"#,
            r#"{"alg":"RS256","typ":"JWT","cat":"cl_B7d4PD111AAA"}"#,
            r#"{"cat":"cl_I7d4PD111III"}"#,
            r#"{"cat":"cl_B7d4PD222AAA"}"#,
            r#"{"cat":null}"#,
            r#"{"cat":7}"#,
            r#"{"typ":"at+jwt"}"#,
            r#"{"typ":"application/at+jwt"}"#,
            r#"{"typ":"at+jwt"}"#,
            r#"{"cat":"a","cat":"b"}"#,
            "[]",
            "nope",
        ];
        let payloads = [
            r#"{"iss":"https://clerk.example.com","sub":"user_1","iat":1700000000,"exp":1700000060.5}"#,
            r#"{"sub":"mch_1","iat":"1700000000","exp":null,"iss":5}"#,
            r#"{"sub":"mch_1","iss":"https:\/\/x"}"#,
            r#"{"iat":1,"iat":2}"#,
            r#"  [1,2]"#,
            "null",
            r#""user""#,
            "{",
            "",
        ];
        for header in headers {
            for payload in payloads {
                let token = format!("{}.{}.c2ln", b64(header), b64(payload));
                assert_eq!(peek(&token), peek_by_decode(&token), "{header} {payload}");
            }
        }
        for token in ["a.b", "a.b.c.d", "e30.e30.!", "e30=.e30.c2ln"] {
            assert_eq!(peek(token), peek_by_decode(token), "{token}");
        }
    }

    #[test]
    fn loose_base64url_accepts_padding_and_trailing_bits() {
        assert_eq!(LOOSE_BASE64URL.decode("YWJj").unwrap(), b"abc");
        assert_eq!(LOOSE_BASE64URL.decode("YWI=").unwrap(), b"ab");
        assert_eq!(LOOSE_BASE64URL.decode("YWI").unwrap(), b"ab");
        assert_eq!(LOOSE_BASE64URL.decode("YWJ").unwrap(), b"ab");
        assert!(LOOSE_BASE64URL.decode("YW+j").is_err());
    }
}

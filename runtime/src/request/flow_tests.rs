//! Clerk's decisions as tables (clerk-semantics §5.3, §5.4, §6.9): each row a request, the
//! instance, and what the flow decides.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use serde_json::{json, Value};

use super::*;
use crate::config::ClerkConfig;
use crate::verify::jwt;
use crate::verify::token_type::AcceptsToken;

const NOW_MS: i64 = 1_700_000_000_000;
const PK_LIVE: &str = "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";
const PK_TEST: &str = "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";
const DOCUMENT: (&str, &str) = ("sec-fetch-dest", "document");

/// An unsigned token with this header and payload (the flow never checks signatures).
fn jwt(header: Value, payload: Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", part(&header), part(&payload))
}

fn session(payload: Value) -> String {
    jwt(json!({"alg": "RS256", "typ": "JWT"}), payload)
}

fn instance(pk: &str) -> InstanceFacts {
    ClerkConfig::builder().secret_key("sk_x").publishable_key(pk).build().unwrap().instance
}

/// A request (method, URI, headers), the publishable key, and the decision.
type Row<'a> = (&'a Method, &'a str, Vec<(&'a str, String)>, &'a str, Expect);
/// A request (method, headers), a verification failure, and the decision.
type FailureRow = (Method, Vec<(&'static str, String)>, TokenError, Expect);

enum Expect {
    SignedOut(Reason),
    Handshake(Reason),
    Verify(&'static str, TokenCarrier),
    Refresh,
}

fn into_signed_out(after: AfterFailure) -> SignedOut {
    match after {
        AfterFailure::Decided(Decision::SignedOut(out) | Decision::Handshake(out)) => out,
        AfterFailure::Refresh(err) => panic!("asked for a refresh of {err:?}"),
    }
}

fn decide(method: &Method, uri: &str, headers: &[(&str, String)], pk: &str) -> Step<'static> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    let uri: Uri = uri.parse().unwrap();
    let (method, uri, map) = (Box::leak(Box::new(method.clone())), Box::leak(Box::new(uri)), Box::leak(Box::new(map)));
    before_verification(
        &Input { method, uri, headers: map, now_ms: NOW_MS, peek: &jwt::peek, accepts: AcceptsToken::default() },
        &instance(pk),
    )
}

fn check(row: usize, step: Step<'_>, expect: &Expect) {
    match (step, expect) {
        (Step::Done(Decision::SignedOut(out)), Expect::SignedOut(reason)) => {
            assert_eq!(out.reason, *reason, "row {row}")
        }
        (Step::Done(Decision::Handshake(out)), Expect::Handshake(reason)) => {
            assert_eq!(out.reason, *reason, "row {row}")
        }
        (Step::Verify { token, carrier }, Expect::Verify(expected, expected_carrier)) => {
            assert_eq!((token.as_ref(), carrier), (*expected, *expected_carrier), "row {row}");
        }
        (step, _) => panic!("row {row}: decided {step:?}"),
    }
}

#[test]
fn the_decisions_before_verification_follow_clerks_order() {
    let fresh = session(json!({"sub": "user_1", "iat": 1_700_000_000}));
    let old = session(json!({"sub": "user_1", "iat": 1_600_000_000}));
    let no_iat = session(json!({"sub": "user_1"}));
    let template = jwt(json!({"alg": "RS256", "cat": "cl_B7d4PD222AAA"}), json!({"sub": "user_1"}));
    let m2m = session(json!({"sub": "mch_1", "iat": 1_700_000_000}));
    let oauth = jwt(json!({"alg": "RS256", "typ": "at+jwt"}), json!({"sub": "user_1"}));
    let cookie = |pairs: &str| ("cookie", pairs.to_owned());
    let doc = (DOCUMENT.0, DOCUMENT.1.to_owned());
    let html = ("accept", "text/html,application/xhtml+xml".to_owned());
    let (get, post) = (Method::GET, Method::POST);
    use Expect::*;
    use Reason as R;
    let rows: Vec<Row<'_>> = vec![
        // §6.9 #11, #17: nothing at all, or a zero client UAT.
        (&get, "/", vec![doc.clone()], PK_LIVE, SignedOut(R::SessionTokenAndUatMissing)),
        (&get, "/", vec![doc.clone(), cookie("__client_uat=0")], PK_LIVE, SignedOut(R::SessionTokenAndUatMissing)),
        // §6.9 #16, #26: a client without its session token; a handshake only for a GET page load.
        (&get, "/", vec![doc.clone(), cookie("__client_uat=12345")], PK_LIVE, Handshake(R::ClientUatButNoSessionToken)),
        (
            &post,
            "/",
            vec![doc.clone(), cookie("__client_uat=12345")],
            PK_LIVE,
            SignedOut(R::ClientUatButNoSessionToken),
        ),
        (
            &get,
            "/",
            vec![html.clone(), cookie("__client_uat=12345")],
            PK_LIVE,
            Handshake(R::ClientUatButNoSessionToken),
        ),
        (
            &get,
            "/",
            vec![("sec-fetch-dest", "empty".into()), html.clone(), cookie("__client_uat=12345")],
            PK_LIVE,
            SignedOut(R::ClientUatButNoSessionToken),
        ),
        (
            &get,
            "/",
            vec![("sec-fetch-dest", "iframe".into()), cookie("__client_uat=1")],
            PK_LIVE,
            Handshake(R::ClientUatButNoSessionToken),
        ),
        (&get, "/", vec![cookie("__client_uat=1")], PK_LIVE, SignedOut(R::ClientUatButNoSessionToken)),
        // §6.9 #13: a session token without a client UAT.
        (
            &get,
            "/",
            vec![doc.clone(), cookie(&format!("__session={fresh}"))],
            PK_LIVE,
            Handshake(R::SessionTokenButNoClientUat),
        ),
        // §6.9 #12, #14, #9, #10: the development instance's dev-browser rules, in HEAD's order.
        (&get, "/", vec![doc.clone(), cookie(&format!("__session={fresh}"))], PK_TEST, Handshake(R::DevBrowserMissing)),
        (&get, "/", vec![doc.clone()], PK_TEST, Handshake(R::DevBrowserMissing)),
        (&get, "/", vec![doc.clone(), cookie("__clerk_db_jwt=")], PK_TEST, Handshake(R::DevBrowserMissing)),
        (&get, "/?__clerk_db_jwt=x", vec![doc.clone()], PK_TEST, Handshake(R::DevBrowserSync)),
        (
            &get,
            "/?__clerk_db_jwt=x&__clerk_redirect_url=http%3A%2F%2Flocalhost%3A3000",
            vec![doc.clone(), cookie("__clerk_db_jwt=y")],
            PK_TEST,
            // Clerk redirects to the satellite here; we run no satellite sync (README).
            SignedOut(R::PrimaryRespondsToSyncing),
        ),
        (
            &get,
            "/?__clerk_redirect_url=",
            vec![doc.clone(), cookie("__clerk_db_jwt=y")],
            PK_TEST,
            SignedOut(R::SessionTokenAndUatMissing),
        ),
        (&get, "/?__clerk_db_jwt=x", vec![doc.clone()], PK_LIVE, SignedOut(R::SessionTokenAndUatMissing)),
        // §6.9 #18: a token older than the client's last update.
        (
            &get,
            "/",
            vec![doc.clone(), cookie(&format!("__client_uat=1700000000; __session={old}"))],
            PK_LIVE,
            Handshake(R::SessionTokenIatBeforeClientUat),
        ),
        (
            &post,
            "/",
            vec![doc.clone(), cookie(&format!("__client_uat=1700000000; __session={old}"))],
            PK_LIVE,
            SignedOut(R::SessionTokenIatBeforeClientUat),
        ),
        // `undefined < clientUat` is false: a token without `iat` goes on to verification.
        (
            &get,
            "/",
            vec![cookie(&format!("__client_uat=1700000000; __session={no_iat}"))],
            PK_LIVE,
            Verify(leak(&no_iat), TokenCarrier::Cookie),
        ),
        (
            &get,
            "/",
            vec![cookie(&format!("__client_uat=1; __session={fresh}"))],
            PK_LIVE,
            Verify(leak(&fresh), TokenCarrier::Cookie),
        ),
        // §6.9 #24, #25: other classes of token in the cookie.
        (
            &get,
            "/",
            vec![cookie(&format!("__client_uat=1; __session={template}"))],
            PK_LIVE,
            SignedOut(R::TokenTypeMismatch),
        ),
        (
            &get,
            "/",
            vec![cookie(&format!("__client_uat=1; __session={m2m}"))],
            PK_LIVE,
            SignedOut(R::TokenTypeMismatch),
        ),
        (
            &get,
            "/",
            vec![cookie(&format!("__client_uat=1; __session={oauth}"))],
            PK_LIVE,
            SignedOut(R::TokenTypeMismatch),
        ),
        (&get, "/", vec![cookie("__client_uat=1; __session=a.b")], PK_LIVE, SignedOut(R::TokenInvalid)),
        // The header path: it wins over cookies.
        (
            &get,
            "/",
            vec![("authorization", format!("Bearer {fresh}")), cookie("__client_uat=12345")],
            PK_LIVE,
            Verify(leak(&fresh), TokenCarrier::Header),
        ),
        (
            &get,
            "/",
            vec![("authorization", format!("Bearer {template}"))],
            PK_LIVE,
            Verify(leak(&template), TokenCarrier::Header),
        ),
        (&get, "/", vec![("authorization", "Bearer ak_123".into())], PK_LIVE, SignedOut(R::TokenTypeMismatch)),
        (&get, "/", vec![("authorization", "mt_123".into())], PK_LIVE, SignedOut(R::TokenTypeMismatch)),
        (&get, "/", vec![("authorization", "Bearer oat_1".into())], PK_LIVE, SignedOut(R::TokenTypeMismatch)),
        (
            &get,
            "/",
            vec![("authorization", "Bearer a".into()), ("authorization", "Bearer b".into())],
            PK_LIVE,
            SignedOut(R::TokenInvalid),
        ),
        // §6.9 #23: another scheme falls back to the cookies.
        (
            &get,
            "/",
            vec![("authorization", "Basic dXNlcjpwYXNz".into())],
            PK_LIVE,
            SignedOut(R::SessionTokenAndUatMissing),
        ),
    ];
    for (row, (method, uri, headers, pk, expect)) in rows.iter().enumerate() {
        check(row, decide(method, uri, headers, pk), expect);
    }
}

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

#[test]
fn a_verification_failure_becomes_clerks_reason() {
    use Expect::*;
    use Reason as R;
    let expired = || TokenError::new(R::TokenExpired, "JWT is expired.");
    let refresh = format!("{}=rt_1", instance(PK_LIVE).suffixed.unwrap().refresh);
    let doc = || (DOCUMENT.0, DOCUMENT.1.to_owned());
    let cookie = |pairs: &str| ("cookie", pairs.to_owned());
    let rows: Vec<FailureRow> = vec![
        (Method::GET, vec![doc()], expired(), Handshake(R::SessionTokenExpiredNoRefreshCookie)),
        (
            Method::GET,
            vec![("sec-fetch-dest", "iframe".into())],
            expired(),
            Handshake(R::SessionTokenExpiredNoRefreshCookie),
        ),
        (
            Method::GET,
            vec![("accept", "application/json".into())],
            expired(),
            SignedOut(R::SessionTokenExpiredNoRefreshCookie),
        ),
        (Method::POST, vec![doc()], expired(), SignedOut(R::SessionTokenExpiredNonGet)),
        (Method::PUT, vec![], expired(), SignedOut(R::SessionTokenExpiredNonGet)),
        (Method::GET, vec![doc()], TokenError::new(R::TokenNotActiveYet, "nbf"), Handshake(R::SessionTokenNbf)),
        (
            Method::GET,
            vec![doc()],
            TokenError::new(R::TokenIatInTheFuture, "iat"),
            Handshake(R::SessionTokenIatInTheFuture),
        ),
        (Method::GET, vec![doc()], TokenError::new(R::TokenInvalidSignature, "x"), SignedOut(R::TokenInvalidSignature)),
        (Method::GET, vec![doc()], TokenError::new(R::TokenTypeMismatch, ""), SignedOut(R::TokenTypeMismatch)),
        // `isRequestEligibleForRefresh`: expired, a refresh cookie, GET — whatever the destination.
        (Method::GET, vec![doc(), cookie(&refresh)], expired(), Refresh),
        (Method::GET, vec![("accept", "application/json".into()), cookie(&refresh)], expired(), Refresh),
        (Method::POST, vec![doc(), cookie(&refresh)], expired(), SignedOut(R::SessionTokenExpiredNonGet)),
        (
            Method::GET,
            vec![doc(), cookie("__refresh=rt_1")],
            expired(),
            Handshake(R::SessionTokenExpiredNoRefreshCookie),
        ),
        (
            Method::GET,
            vec![doc(), cookie(&format!("{refresh}; x=1").replace("rt_1", ""))],
            expired(),
            Handshake(R::SessionTokenExpiredNoRefreshCookie),
        ),
        (
            Method::GET,
            vec![doc(), cookie(&refresh)],
            TokenError::new(R::TokenNotActiveYet, "nbf"),
            Handshake(R::SessionTokenNbf),
        ),
        // The redirect-loop guard: the third handshake within two seconds is the last.
        (
            Method::GET,
            vec![doc(), cookie("__clerk_redirect_count=2")],
            expired(),
            Handshake(R::SessionTokenExpiredNoRefreshCookie),
        ),
        (
            Method::GET,
            vec![doc(), cookie("__clerk_redirect_count=3")],
            expired(),
            SignedOut(R::SessionTokenExpiredNoRefreshCookie),
        ),
        (
            Method::GET,
            vec![doc(), cookie("__clerk_redirect_count=9")],
            expired(),
            SignedOut(R::SessionTokenExpiredNoRefreshCookie),
        ),
        (
            Method::GET,
            vec![doc(), cookie("__clerk_redirect_count=lots")],
            expired(),
            Handshake(R::SessionTokenExpiredNoRefreshCookie),
        ),
    ];
    let instance = instance(PK_LIVE);
    for (row, (method, headers, err, expect)) in rows.into_iter().enumerate() {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(HeaderName::from_static(name), HeaderValue::from_str(&value).unwrap());
        }
        let uri = Uri::from_static("/");
        let input = Input {
            method: &method,
            uri: &uri,
            headers: &map,
            now_ms: NOW_MS,
            peek: &jwt::peek,
            accepts: AcceptsToken::default(),
        };
        for carrier in [TokenCarrier::Cookie, TokenCarrier::Header] {
            match (after_verification(&input, err.clone(), carrier, &instance), &expect) {
                (AfterFailure::Refresh(err), Refresh) => assert_eq!(err.reason(), R::TokenExpired, "row {row}"),
                (AfterFailure::Decided(decision), _) => check(row, Step::Done(decision), &expect),
                (after, _) => panic!("row {row}: {after:?}"),
            }
        }
    }
}

#[test]
fn a_failed_refresh_hands_its_reason_to_the_handshake() {
    let uri = Uri::from_static("/");
    let mut map = HeaderMap::new();
    map.insert("sec-fetch-dest", HeaderValue::from_static("document"));
    let input = Input {
        method: &Method::GET,
        uri: &uri,
        headers: &map,
        now_ms: NOW_MS,
        peek: &jwt::peek,
        accepts: AcceptsToken::default(),
    };
    let expired = TokenError::new(Reason::TokenExpired, "JWT is expired.").with_carrier(TokenCarrier::Cookie);
    let decision = refresh_failed(&input, expired.clone(), Reason::SessionTokenExpiredRefreshFetchError);
    check(0, Step::Done(decision), &Expect::Handshake(Reason::SessionTokenExpiredRefreshFetchError));
    let mut api = HeaderMap::new();
    api.insert("sec-fetch-dest", HeaderValue::from_static("empty"));
    let input = Input { headers: &api, ..input };
    let decision = refresh_failed(&input, expired, Reason::SessionTokenExpiredRefreshInvalidSessionToken);
    check(1, Step::Done(decision), &Expect::SignedOut(Reason::SessionTokenExpiredRefreshInvalidSessionToken));
}

#[test]
fn a_verification_failure_keeps_clerks_full_message_and_marks_an_outage() {
    let uri = Uri::from_static("/");
    let map = HeaderMap::new();
    let input = Input {
        method: &Method::GET,
        uri: &uri,
        headers: &map,
        now_ms: NOW_MS,
        peek: &jwt::peek,
        accepts: AcceptsToken::default(),
    };
    let instance = instance(PK_LIVE);
    let signature = TokenError::new(Reason::TokenInvalidSignature, "JWT signature is invalid.");
    let out = into_signed_out(after_verification(&input, signature, TokenCarrier::Cookie, &instance));
    assert_eq!(out.message, "JWT signature is invalid. (reason=token-invalid-signature, token-carrier=cookie)");
    assert!(!out.infrastructure);
    let outage = TokenError::new(Reason::RemoteJwkFailedToLoad, "down").infrastructure();
    assert!(into_signed_out(after_verification(&input, outage, TokenCarrier::Header, &instance)).infrastructure);
    let mismatch = TokenError::new(Reason::TokenTypeMismatch, "");
    let mismatch = into_signed_out(after_verification(&input, mismatch, TokenCarrier::Header, &instance));
    assert_eq!(mismatch.message, "", "Clerk's message for a type mismatch is empty");
}

#[test]
fn a_signed_in_navigation_from_another_site_goes_through_one_handshake() {
    // `request.test.ts` (HEAD), "cross-origin sync": the application is at https://app.example.com.
    let origin = || Some(url::Url::parse("https://app.example.com").unwrap());
    /// Publishable key, method, headers, what the row shows, whether a handshake follows.
    type SyncRow<'a> = (&'a str, &'a Method, &'a [(&'a str, &'a str)], &'a str, bool);
    let rows: &[SyncRow<'_>] = &[
        (PK_LIVE, &Method::GET, &[DOCUMENT, ("referer", "https://satellite.example/page")], "cross-origin", true),
        (PK_LIVE, &Method::GET, &[DOCUMENT, ("referer", "https://www.google.com/")], "cross-site", true),
        (PK_LIVE, &Method::GET, &[DOCUMENT, ("referer", "https://app.example.com/other")], "same origin", false),
        (PK_LIVE, &Method::GET, &[DOCUMENT], "no referer", false),
        (PK_LIVE, &Method::POST, &[DOCUMENT, ("referer", "https://satellite.example/")], "POST", false),
        (
            PK_LIVE,
            &Method::GET,
            &[("sec-fetch-dest", "empty"), ("referer", "https://satellite.example/")],
            "fetch",
            false,
        ),
        (
            PK_LIVE,
            &Method::GET,
            &[("sec-fetch-dest", "iframe"), ("referer", "https://satellite.example/")],
            "iframe",
            false,
        ),
        (PK_LIVE, &Method::GET, &[DOCUMENT, ("referer", "not a url")], "invalid referer", false),
        (
            PK_LIVE,
            &Method::GET,
            &[DOCUMENT, ("referer", "https://accounts.evil.example/")],
            "unrelated accounts.*",
            true,
        ),
        (
            PK_TEST,
            &Method::GET,
            &[DOCUMENT, ("referer", "https://foo-bar-13.accounts.dev/sign-in")],
            "dev portal on dev",
            false,
        ),
        (
            PK_TEST,
            &Method::GET,
            &[DOCUMENT, ("referer", "https://accounts.foo.bar-13.lcl.dev/")],
            "legacy dev portal on dev",
            false,
        ),
        (
            PK_LIVE,
            &Method::GET,
            &[DOCUMENT, ("referer", "https://foo-bar-13.accounts.dev/sign-in")],
            "dev portal on prod",
            true,
        ),
        (
            PK_LIVE,
            &Method::GET,
            &[DOCUMENT, ("referer", "https://accounts.inspired.puma-74.lcl.dev/sign-in")],
            "own portal",
            false,
        ),
        (
            PK_LIVE,
            &Method::GET,
            &[DOCUMENT, ("referer", "https://clerk.inspired.puma-74.lcl.dev/v1/x")],
            "own FAPI",
            false,
        ),
        (
            PK_LIVE,
            &Method::GET,
            &[DOCUMENT, ("referer", "https://x.example/"), ("cookie", "__clerk_redirect_count=1")],
            "in a burst",
            false,
        ),
    ];
    for (pk, method, headers, what, handshake) in rows {
        let mut map = HeaderMap::new();
        for (name, value) in *headers {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let uri = Uri::from_static("/");
        let input = Input {
            method,
            uri: &uri,
            headers: &map,
            now_ms: NOW_MS,
            peek: &jwt::peek,
            accepts: AcceptsToken::default(),
        };
        let decision = cross_origin_sync(&input, &instance(pk), origin);
        match decision {
            Some(Decision::Handshake(out)) => {
                assert!(*handshake, "{what}: a handshake");
                assert_eq!(out.reason, Reason::PrimaryDomainCrossOriginSync);
                assert_eq!(out.message, "Cross-origin request from satellite domain requires handshake");
            }
            None => assert!(!handshake, "{what}: no handshake"),
            Some(other) => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_header_token_is_verified_as_its_type_only_when_that_type_is_accepted() {
    use crate::verify::token_type::{Form, TokenType as T};
    let m2m_jwt = session(json!({"sub": "mch_1"}));
    let oauth_jwt = jwt(json!({"alg": "RS256", "typ": "at+jwt"}), json!({"sub": "user_1"}));
    let session_jwt = session(json!({"sub": "user_1"}));
    let any = AcceptsToken::ANY;
    let keys = AcceptsToken::only(T::ApiKey);
    let sessions = AcceptsToken::default();
    enum Want {
        Session,
        Machine(T, Form),
        Mismatch,
        NoToken,
    }
    let rows: Vec<(AcceptsToken, Option<&str>, Want)> = vec![
        (sessions, Some("ak_1"), Want::Mismatch),
        (sessions, Some(&m2m_jwt), Want::Session), // refused by the session verifier, as before
        (any, Some("ak_1"), Want::Machine(T::ApiKey, Form::Opaque)),
        (any, Some("mt_1"), Want::Machine(T::M2mToken, Form::Opaque)),
        (any, Some("oat_1"), Want::Machine(T::OAuthToken, Form::Opaque)),
        (any, Some(&m2m_jwt), Want::Machine(T::M2mToken, Form::Jwt)),
        (any, Some(&oauth_jwt), Want::Machine(T::OAuthToken, Form::Jwt)),
        (any, Some(&session_jwt), Want::Session),
        (keys, Some("ak_1"), Want::Machine(T::ApiKey, Form::Opaque)),
        (keys, Some("mt_1"), Want::Mismatch),
        (keys, Some(&session_jwt), Want::Mismatch),
        (keys, None, Want::NoToken),
        (sessions.or(T::OAuthToken), Some(&oauth_jwt), Want::Machine(T::OAuthToken, Form::Jwt)),
        (sessions.or(T::OAuthToken), Some("ak_1"), Want::Mismatch),
    ];
    for (row, (accepts, token, want)) in rows.into_iter().enumerate() {
        let mut map = HeaderMap::new();
        if let Some(token) = token {
            map.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        }
        let uri = Uri::from_static("/");
        let input = Input { method: &Method::GET, uri: &uri, headers: &map, now_ms: NOW_MS, peek: &jwt::peek, accepts };
        match (before_verification(&input, &instance(PK_LIVE)), want) {
            (Step::Verify { carrier: TokenCarrier::Header, .. }, Want::Session) => {}
            (Step::VerifyMachine { kind, form, .. }, Want::Machine(k, f)) => {
                assert_eq!((kind, form), (k, f), "row {row}")
            }
            (Step::Done(Decision::SignedOut(out)), Want::Mismatch) => assert_eq!(out.reason, Reason::TokenTypeMismatch),
            (Step::Done(Decision::SignedOut(out)), Want::NoToken) => assert_eq!(out.reason, Reason::NoTokenInHeader),
            (step, _) => panic!("row {row}: {step:?}"),
        }
    }
}

//! The verifier test table of security §1.6 (V-01 … V-46) and the real-world cases of §2
//! (C-xx), each asserting the exact rejection reason. Setting: issuer pinned to
//! `https://clerk.example.com`, authorized party `https://app.example.com`, skew 5 s, pinned clock.

use crate::common::*;
use axum_clerk::{ClerkConfig, ClerkConfigBuilder, FixedClock, JwksOptions};
use serde_json::{json, Value};
use std::time::Duration;

const ISS: &str = "https://clerk.example.com";
const AZP: &str = "https://app.example.com";
const NOW: i64 = PINNED_SECS;

fn config() -> ClerkConfigBuilder {
    pem_config().issuer(ISS).authorized_parties([AZP])
}

fn valid_claims() -> Value {
    json!({"iss": ISS, "sub": "user_1", "sid": "sess_1", "azp": AZP, "exp": NOW + 60, "iat": NOW - 1, "nbf": NOW - 1})
}

fn claims_with(changes: Value) -> Value {
    let mut claims = valid_claims();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn header() -> Value {
    json!({"alg": "RS256", "kid": KID, "typ": "JWT"})
}

fn signed(header: &Value, claims: &Value) -> String {
    sign_with(&fx("pemEncodedSignKey"), header, claims)
}

fn token(changes: Value) -> String {
    signed(&header(), &claims_with(changes))
}

async fn reason(token: &str) -> String {
    refusal(&clerk(config()), token).await.0
}

async fn accepted(token: &str) -> bool {
    clerk(config()).verify_token(token).await.is_ok()
}

#[tokio::test]
async fn v01_valid_token_is_accepted_with_its_claims() {
    let auth = clerk(config()).verify_token(&token(json!({}))).await.unwrap();
    assert_eq!(auth.user_id(), Some("user_1"));
}

#[tokio::test]
async fn v02_a_changed_payload_is_token_invalid_signature() {
    let t = token(json!({}));
    let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
    parts[1] = b64(claims_with(json!({"sub": "user_2"})).to_string().as_bytes());
    assert_eq!(reason(&parts.join(".")).await, "token-invalid-signature");
}

#[tokio::test]
async fn v03_an_empty_signature_is_token_invalid_signature() {
    let t = token(json!({}));
    let without = format!("{}.", t.rsplit_once('.').unwrap().0);
    assert_eq!(reason(&without).await, "token-invalid-signature");
}

#[tokio::test]
async fn v04_wrong_segment_counts_are_token_invalid() {
    let t = token(json!({}));
    let (hp, _) = t.rsplit_once('.').unwrap();
    for bad in [hp.to_owned(), format!("{t}."), format!("{t}.x"), format!("{t}.x.y")] {
        assert_eq!(reason(&bad).await, "token-invalid");
    }
}

#[tokio::test]
async fn v05_a_megabyte_of_dots_or_letters_is_refused_before_any_work() {
    // Refused by the size cap, the first check, so no splitting or decoding happens (and no
    // assertion depends on how fast the machine is).
    for garbage in [".".repeat(1 << 20), "a".repeat(1 << 20)] {
        let (reason, message) = refusal(&clerk(config()), &garbage).await;
        assert_eq!(reason, "token-invalid");
        assert!(message.contains("longer than"), "{message}");
    }
}

#[tokio::test]
async fn v06_padded_or_non_url_safe_segments_are_token_invalid() {
    let t = token(json!({}));
    let (h, rest) = t.split_once('.').unwrap();
    for bad_header in [
        format!("{h}="),
        h.replace('-', "+").replace('_', "/") + "+",
        format!(" {h}"),
        format!("{}\n{}", &h[..4], &h[4..]),
    ] {
        assert_eq!(reason(&format!("{bad_header}.{rest}")).await, "token-invalid", "{bad_header:?}");
    }
}

#[tokio::test]
async fn v07_alg_none_in_any_case_is_token_invalid_algorithm() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        for sig in ["", "c2ln"] {
            let h = b64(json!({"alg": alg, "kid": KID}).to_string().as_bytes());
            let p = b64(valid_claims().to_string().as_bytes());
            assert_eq!(reason(&format!("{h}.{p}.{sig}")).await, "token-invalid-algorithm", "{alg}");
        }
    }
}

#[tokio::test]
async fn v08_hs256_keyed_with_the_public_key_is_token_invalid_algorithm() {
    for secret in [fx("pemEncodedPublicKey"), fx("pemEncodedPublicKey").trim_end().to_owned(), fx("mockPEMKey")] {
        let h = json!({"alg": "HS256", "kid": KID, "typ": "JWT"});
        let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
        let input = format!("{}.{}", b64(h.to_string().as_bytes()), b64(valid_claims().to_string().as_bytes()));
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).unwrap();
        assert_eq!(reason(&format!("{input}.{sig}")).await, "token-invalid-algorithm");
    }
}

#[tokio::test]
async fn v09_v10_other_or_misspelled_algorithms_are_refused() {
    for alg in ["PS256", "ES256", "EdDSA", "rs256", "RS256 "] {
        let t = signed(&json!({"alg": alg, "kid": KID, "typ": "JWT"}), &valid_claims());
        assert_eq!(reason(&t).await, "token-invalid-algorithm", "{alg}");
    }
    // RS384 is a Clerk algorithm, but the PEM key is bound to RS256.
    let t = signed(&json!({"alg": "RS384", "kid": KID, "typ": "JWT"}), &valid_claims());
    assert_eq!(reason(&t).await, "token-verification-failed");
}

#[tokio::test]
async fn v11_any_crit_header_is_token_invalid() {
    for crit in [
        json!({"crit": ["foo"], "foo": "x"}),
        json!({"crit": ["exp"]}),
        json!({"crit": ["b64"], "b64": false}),
        json!({"crit": []}),
    ] {
        let mut h = header();
        for (k, v) in crit.as_object().unwrap() {
            h[k] = v.clone();
        }
        assert_eq!(reason(&signed(&h, &valid_claims())).await, "token-invalid", "{crit}");
    }
}

#[tokio::test]
async fn v12_v13_typ_jwt_or_absent_is_accepted_other_types_refused_as_clerk_does() {
    assert!(accepted(&signed(&json!({"alg": "RS256", "kid": KID}), &valid_claims())).await);
    assert!(accepted(&token(json!({}))).await);
    // Clerk compares typ exactly (`typ !== 'JWT'`); we keep that, so "jwt" and
    // "application/jwt" are refused too (security's V-12 would normalise them).
    for typ in ["jwt", "application/jwt", "dpop+jwt", "JOSE+JSON"] {
        let h = json!({"alg": "RS256", "kid": KID, "typ": typ});
        assert_eq!(reason(&signed(&h, &valid_claims())).await, "token-invalid", "{typ}");
    }
    // OAuth access tokens are another class of token (§5.4 `isMachineJwt`).
    for typ in ["at+jwt", "application/at+jwt"] {
        let h = json!({"alg": "RS256", "kid": KID, "typ": typ});
        assert_eq!(reason(&signed(&h, &valid_claims())).await, "token-type-mismatch", "{typ}");
    }
}

#[tokio::test]
async fn v14_v15_header_supplied_keys_are_ignored_and_never_fetched() {
    let server = JwksServer::start(json!({"keys": [test_jwk("rsa2048b", KID)]})).await;
    let attacker_jwk = test_jwk("rsa2048b", KID);
    for extra in [
        json!({"jwk": attacker_jwk}),
        json!({"jku": format!("{}/v1/jwks", server.url)}),
        json!({"x5u": format!("{}/x", server.url)}),
        json!({"x5c": ["MIIB"]}),
    ] {
        let mut h = header();
        for (k, v) in extra.as_object().unwrap() {
            h[k] = v.clone();
        }
        let t = sign_with(&test_key("rsa2048b", "private_pem"), &h, &valid_claims());
        assert_eq!(reason(&t).await, "token-invalid-signature", "{extra}");
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn v16_missing_kid_with_a_multi_key_jwks_is_jwk_kid_mismatch() {
    let server = JwksServer::start(json!({"keys": [fixtures()["mockRsaJwk"], test_jwk("rsa2048b", "other")]})).await;
    let t = signed(&json!({"alg": "RS256", "typ": "JWT"}), &valid_claims());
    let clerk = clerk(server.config().issuer(ISS));
    assert_eq!(refusal(&clerk, &t).await.0, "jwk-kid-mismatch");
}

#[tokio::test]
async fn v17_v18_malformed_kids_are_token_invalid_without_a_fetch() {
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config());
    let long = "k".repeat(10_000);
    for kid in [json!(5), json!({"a": 1}), json!(null), json!("' OR 1=1--"), json!("|sleep 10"), json!(long)] {
        let h = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
        let (reason, _) = refusal(&clerk, &signed(&h, &valid_claims())).await;
        if kid.is_null() {
            assert_eq!(reason, "token-invalid", "a null kid is not a string");
        } else {
            assert_eq!(reason, "token-invalid", "{kid}");
        }
    }
    // A path-shaped kid is well-formed: it is simply unknown, and the cache answers without a fetch
    // beyond the first.
    let h = json!({"alg": "RS256", "kid": "../../dev/null", "typ": "JWT"});
    assert_eq!(refusal(&clerk, &signed(&h, &valid_claims())).await.0, "jwk-kid-mismatch");
    assert!(server.hits() <= 1);
}

#[tokio::test]
async fn v19_v20_duplicate_members_are_token_invalid() {
    let p = b64(valid_claims().to_string().as_bytes());
    let h = b64(br#"{"alg":"none","alg":"RS256","kid":"ins_2GIoQhbUpy0hX7B2cVkuTMinXoD"}"#);
    let input = format!("{h}.{p}");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(fx("pemEncodedSignKey").as_bytes()).unwrap();
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::RS256).unwrap();
    assert_eq!(reason(&format!("{input}.{sig}")).await, "token-invalid");
    for dup in [
        format!(r#"{{"iss":"{ISS}","sub":"user_1","sub":"user_admin","azp":"{AZP}","exp":{}}}"#, NOW + 60),
        format!(r#"{{"iss":"{ISS}","sub":"user_1","azp":"{AZP}","exp":1,"exp":{}}}"#, NOW + 60),
        format!(
            r#"{{"iss":"{ISS}","sub":"user_1","azp":"{AZP}","exp":{},"o":{{"rol":"member","rol":"admin"}}}}"#,
            NOW + 60
        ),
    ] {
        let h = b64(header().to_string().as_bytes());
        let input = format!("{h}.{}", b64(dup.as_bytes()));
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::RS256).unwrap();
        assert_eq!(reason(&format!("{input}.{sig}")).await, "token-invalid", "{dup}");
    }
}

#[tokio::test]
async fn v21_invalid_utf8_payloads_are_token_invalid() {
    let h = b64(header().to_string().as_bytes());
    let payload = b64(b"{\"sub\":\"\xC0\xAF\"}");
    assert_eq!(reason(&format!("{h}.{payload}.c2ln")).await, "token-invalid");
}

#[tokio::test]
async fn v22_signed_payloads_that_are_not_objects_fail_the_sub_check_as_clerk_does() {
    // `JSON.parse` accepts them; `payload.sub` is then undefined (§5.5: signature, then `sub`).
    for payload in [json!([1, 2]), json!("user"), json!(null), json!(42)] {
        let token = signed(&header(), &payload);
        assert_eq!(reason(&token).await, "token-verification-failed", "{payload}");
        let unsigned = format!("{}.c2ln", token.rsplit_once('.').unwrap().0);
        assert_eq!(reason(&unsigned).await, "token-invalid-signature", "{payload} unsigned");
    }
}

#[tokio::test]
async fn v23_v24_missing_or_non_numeric_exp_is_token_verification_failed() {
    for exp in [Value::Null, json!("99999999999"), json!(true), json!([]), json!(1e300)] {
        assert_eq!(reason(&token(json!({"exp": exp}))).await, "token-verification-failed", "{exp}");
    }
    assert_eq!(reason(&token(json!({"exp": -1}))).await, "token-expired");
}

#[tokio::test]
async fn v25_to_v27_exp_boundaries_with_skew() {
    let at = |skew: u64| clerk(config().clock(FixedClock::at_secs(NOW)).clock_skew(Duration::from_secs(skew)));
    assert_eq!(refusal(&at(0), &token(json!({"exp": NOW}))).await.0, "token-expired");
    assert!(at(5).verify_token(&token(json!({"exp": NOW - 4}))).await.is_ok());
    assert_eq!(refusal(&at(5), &token(json!({"exp": NOW - 6}))).await.0, "token-expired");
    assert_eq!(refusal(&at(0), &token(json!({"exp": NOW - 1}))).await.0, "token-expired");
}

#[test]
fn v28_absurd_leeway_is_a_config_error_not_a_panic() {
    for skew in [Duration::MAX, Duration::from_secs(u64::MAX), Duration::from_secs(301)] {
        let err = ClerkConfig::builder().secret_key("sk").clock_skew(skew).build().unwrap_err();
        assert_eq!(err.setting(), "CLERK_CLOCK_SKEW_IN_MS");
    }
}

#[tokio::test]
async fn v29_to_v31_nbf_and_iat_in_the_future() {
    assert_eq!(reason(&token(json!({"nbf": NOW + 10}))).await, "token-not-active-yet");
    assert!(accepted(&token(json!({"nbf": NOW + 4}))).await);
    assert_eq!(reason(&token(json!({"nbf": "99999999999"}))).await, "token-verification-failed");
    assert_eq!(reason(&token(json!({"iat": NOW + 3600}))).await, "token-iat-in-the-future");
}

#[tokio::test]
async fn v32_to_v34_a_pinned_issuer_is_required_exactly_and_as_a_string() {
    for iss in [
        Value::Null,
        json!("https://clerk.example.co"),
        json!("https://clerk.example.com.evil.com"),
        json!("clerk.example.com"),
        json!("https://clerk.example.com/"),
        json!("HTTPS://clerk.example.com"),
        json!(123),
        json!(["https://evil", ISS]),
    ] {
        assert_eq!(reason(&token(json!({"iss": iss}))).await, "token-verification-failed", "{iss}");
    }
}

#[tokio::test]
async fn issuer_is_not_checked_unless_pinned_as_in_clerk() {
    let clerk = clerk(pem_config().authorized_parties([AZP]));
    assert!(clerk.verify_token(&token(json!({"iss": "https://anything.example"}))).await.is_ok());
    let pinned = crate::common::clerk(
        pem_config().publishable_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k").issuer_from_publishable_key(),
    );
    assert!(pinned.verify_token(&token(json!({"iss": ISS, "azp": null}))).await.is_ok());
    assert_eq!(
        refusal(&pinned, &token(json!({"iss": "https://clerk.other.com"}))).await.0,
        "token-verification-failed"
    );
}

#[tokio::test]
async fn v35_missing_or_non_string_sub_is_refused_and_empty_sub_is_signed_out() {
    for sub in [Value::Null, json!(42)] {
        assert_eq!(reason(&token(json!({"sub": sub}))).await, "token-verification-failed");
    }
    let auth = clerk(config()).verify_token(&token(json!({"sub": ""}))).await.unwrap();
    assert!(!auth.is_signed_in());
}

#[tokio::test]
async fn v36_v37_azp_must_equal_an_authorized_party_exactly() {
    for azp in [
        Value::Null,
        json!(""),
        json!("https://app.example.com.evil.com"),
        json!("https://app.example.com/"),
        json!("http://app.example.com"),
        json!("https://APP.example.com"),
    ] {
        assert_eq!(reason(&token(json!({"azp": azp}))).await, "token-invalid-authorized-parties", "{azp}");
    }
}

#[tokio::test]
async fn v38_missing_azp_without_authorized_parties_is_accepted() {
    let clerk = clerk(pem_config());
    assert!(clerk.verify_token(&token(json!({"azp": null}))).await.is_ok());
}

#[tokio::test]
async fn v39_v40_audience_is_exact_and_typed() {
    let clerk = clerk(config().audience(["api"]));
    for aud in [
        Value::Null,
        json!("ap"),
        json!("apix"),
        json!(["other"]),
        json!([]),
        json!([""]),
        json!(123),
        json!(["other", 1]),
    ] {
        assert_eq!(refusal(&clerk, &token(json!({"aud": aud}))).await.0, "token-verification-failed", "{aud}");
    }
    assert!(clerk.verify_token(&token(json!({"aud": ["other", "api"]}))).await.is_ok());
}

#[tokio::test]
async fn v41_aud_is_ignored_without_a_configured_audience_as_in_clerk() {
    assert!(accepted(&token(json!({"aud": "x"}))).await);
}

#[tokio::test]
async fn v42_pending_session_is_signed_out() {
    assert!(!clerk(config()).verify_token(&token(json!({"sts": "pending"}))).await.unwrap().is_signed_in());
}

#[tokio::test]
async fn v43_expired_and_tampered_reports_the_signature() {
    let t = token(json!({"exp": NOW - 3600}));
    let (hp, sig) = t.rsplit_once('.').unwrap();
    let flipped = match sig.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", &sig[1..]),
    };
    assert_eq!(reason(&format!("{hp}.{flipped}")).await, "token-invalid-signature");
}

#[tokio::test]
async fn v44_a_token_of_another_instance_is_refused_after_its_key_was_cached_elsewhere() {
    let ours = JwksServer::clerk_fixture().await;
    let theirs = JwksServer::start(json!({"keys": [test_jwk("rsa2048b", KID)]})).await;
    let their_token = sign_with(&test_key("rsa2048b", "private_pem"), &header(), &valid_claims());
    assert!(crate::common::clerk(theirs.config()).verify_token(&their_token).await.is_ok());
    let ours = crate::common::clerk(ours.config());
    assert_eq!(refusal(&ours, &their_token).await.0, "token-invalid-signature");
}

#[tokio::test]
async fn v45_oauth_and_m2m_tokens_are_refused_on_the_session_path() {
    assert_eq!(
        reason(&signed(&json!({"alg": "RS256", "kid": KID, "typ": "at+jwt"}), &valid_claims())).await,
        "token-type-mismatch"
    );
    let app = axum::Router::new()
        .route("/", axum::routing::get(|a: axum_clerk::Auth| async move { a.user_id().unwrap_or("none").to_owned() }))
        .layer(axum_clerk::ClerkLayer::new(crate::common::clerk(config())));
    let m2m = token(json!({"sub": "mch_123", "sid": null}));
    let (k, v) = bearer(&m2m);
    let reply = send(&app, "GET", "/", &[(k, &v)]).await;
    assert_eq!(reply.body, "none");
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-type-mismatch"));
}

// ---- §2 cases not covered by the rows above --------------------------------------------------

#[tokio::test]
async fn c02_whitespace_prefixed_and_pkcs1_keys_load_as_rsa_and_openssh_keys_are_refused() {
    let spaced = format!("\n   {}", fx("pemEncodedPublicKey"));
    assert!(axum_clerk::PublicKey::from_pem(&spaced).is_ok());
    assert!(axum_clerk::PublicKey::from_pem(&test_key("rsa2048b", "public_pkcs1_pem")).is_ok());
    assert!(axum_clerk::PublicKey::from_pem("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host").is_err());
}

#[tokio::test]
async fn c05_c30_weak_or_foreign_keys_never_verify() {
    let server = JwksServer::start(json!({"keys": [test_jwk("rsa1024", KID)]})).await;
    let t = sign_with(&test_key("rsa1024", "private_pem"), &header(), &valid_claims());
    let clerk =
        crate::common::clerk(server.config().jwks_options(JwksOptions { max_attempts: 1, ..JwksOptions::default() }));
    assert_eq!(refusal(&clerk, &t).await.0, "jwk-remote-failed-to-load", "the only key was refused at ingest");
}

#[tokio::test]
async fn c22_a_jwk_bound_to_rs512_refuses_an_rs256_header() {
    let mut jwk = fixtures()["mockRsaJwk"].clone();
    jwk["alg"] = json!("RS512");
    let server = JwksServer::start(json!({"keys": [jwk]})).await;
    let t = token(json!({}));
    assert_eq!(refusal(&crate::common::clerk(server.config()), &t).await.0, "token-verification-failed");
}

#[tokio::test]
async fn c25_c26_jwe_and_json_serialisation_are_token_invalid() {
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00iLCJ6aXAiOiJERUYifQ.a.b.c.d";
    assert_eq!(reason(jwe).await, "token-invalid");
    let json_form = r#"{"payload":"e30","signatures":[{"protected":"e30","signature":"c2ln"}]}"#;
    assert_eq!(reason(json_form).await, "token-invalid");
}

#[tokio::test]
async fn c29_error_messages_never_echo_the_token_or_the_signature() {
    let t = token(json!({}));
    let (hp, sig) = t.rsplit_once('.').unwrap();
    let tampered = format!("{hp}.{}A", &sig[..sig.len() - 1]);
    let err = clerk(config()).verify_token(&tampered).await.unwrap_err();
    let text = err.full_message();
    assert!(!text.contains(sig) && !text.contains(hp), "{text}");
}

// ---- token sources (security §6.3) --------------------------------------------------------------

async fn through_layer(headers: &[(&str, &str)], uri: &str) -> Reply {
    let app = axum::Router::new()
        .fallback(|a: axum_clerk::Auth| async move { a.user_id().unwrap_or("none").to_owned() })
        .layer(axum_clerk::ClerkLayer::new(crate::common::clerk(pem_config())));
    send(&app, "GET", uri, headers).await
}

#[tokio::test]
async fn h08_oversize_and_repeated_session_cookies_cost_bounded_work() {
    let big = format!("__client_uat=1; __session={}", "a".repeat(5 * 1024));
    assert_eq!(through_layer(&[("cookie", &big)], "/").await.header("x-clerk-auth-reason"), Some("token-invalid"));
    let many = format!(
        "__client_uat=1; {}",
        (0..100).map(|_| format!("__session={}", fx("mockJwt"))).collect::<Vec<_>>().join("; ")
    );
    assert_eq!(through_layer(&[("cookie", &many)], "/").await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr", "first of 100");
    let flood = (0..10_000).map(|i| format!("c{i}=v")).collect::<Vec<_>>().join("; ")
        + "; __client_uat=1; __session="
        + &fx("mockJwt");
    let reply = through_layer(&[("cookie", &flood)], "/").await;
    assert_eq!(reply.body, "none", "pairs past the cap are not read");
}

#[tokio::test]
async fn h12_to_h16_bearer_spacing_tabs_empty_and_lists_follow_clerk_and_fail_closed() {
    let jwt = fx("mockJwt");
    for value in [
        format!("Bearer  {jwt}"),
        format!("Bearer\t{jwt}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {jwt}, Bearer {jwt}"),
    ] {
        let reply = through_layer(&[("authorization", &value)], "/").await;
        assert_eq!(reply.body, "none", "{value:?}");
        assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid"), "{value:?}");
    }
}

#[tokio::test]
async fn h17_h18_basic_falls_back_to_the_cookie_and_a_bare_token_is_used_whole() {
    let cookie = format!("__client_uat=1; __session={}", fx("mockJwt"));
    let reply = through_layer(&[("authorization", "Basic dXNlcjpwYXNz"), ("cookie", &cookie)], "/").await;
    assert_eq!(reply.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(through_layer(&[("authorization", &fx("mockJwt"))], "/").await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
}

#[tokio::test]
async fn h20_tokens_in_the_query_string_are_never_read() {
    let jwt = fx("mockJwt");
    for uri in [format!("/x?__session={jwt}"), format!("/x?token={jwt}"), format!("/x?authorization=Bearer%20{jwt}")] {
        assert_eq!(through_layer(&[], &uri).await.body, "none");
    }
}

#[tokio::test]
async fn h21_a_20_kib_authorization_header_is_refused_before_decoding() {
    let huge = format!("Bearer {}", "a.".repeat(10 * 1024));
    let reply = through_layer(&[("authorization", &huge)], "/").await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid"));
}

// ---- configured redirect targets (security §3.3 payloads) ------------------------------------

#[test]
fn configured_sign_in_and_sign_up_urls_refuse_the_payloads() {
    for bad in [
        "//evil.com",
        "///evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "javascript:alert(1)",
        "http:evil.com",
        "https:evil.com",
        "evil.com",
        " /x",
        "/a\r\nSet-Cookie: x=y",
        "data:text/html,x",
        "ftp://evil.com",
    ] {
        for setting in ["sign-in", "sign-up"] {
            let builder = ClerkConfig::builder().secret_key("sk");
            let builder = if setting == "sign-in" { builder.sign_in_url(bad) } else { builder.sign_up_url(bad) };
            assert!(builder.build().is_err(), "{setting} {bad:?} accepted");
        }
    }
}

#[tokio::test]
async fn protect_url_options_refuse_the_payloads_with_a_500_not_a_redirect() {
    use axum_clerk::Protect;
    for bad in [
        "//evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
        "https://user@evil.com/",
        "evil.com",
        "/a\r\nx: y",
        " /x",
        "http:evil.com",
        "https:evil.com",
    ] {
        let rule = Protect::signed_in().unauthenticated_url(bad);
        let app = axum::Router::new()
            .fallback(move |a: axum_clerk::Auth| {
                let rule = rule.clone();
                async move { a.protect(&rule).map(|_| "ok") }
            })
            .layer(axum_clerk::ClerkLayer::new(crate::common::clerk(pem_config())));
        let reply = send(&app, "GET", "/", &[PAGE]).await;
        assert_eq!(reply.status, 500, "{bad:?}");
        assert!(reply.header("location").is_none());
    }
}

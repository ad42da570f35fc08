//! Token verification: clerk-semantics §6.7 (verifyJwt/decodeJwt cases) and §6.8 (claim
//! assertion vectors), with the fixture tokens of §6.2 and the pinned clock of §6.1.

use crate::common::*;
use axum_clerk::FixedClock;
use serde_json::{json, Value};
use std::time::Duration;

const EXP: i64 = 1_666_648_310;

#[tokio::test]
async fn signed_jwt_verifies_with_the_pem_public_key() {
    // §6.7 #2
    let auth = clerk(pem_config()).verify_token(&fx("signedJwt")).await.unwrap();
    assert_eq!(auth.user_id(), Some("user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr"));
}

#[tokio::test]
async fn signed_jwt_verifies_with_the_jwks_key() {
    // §6.7 #1 (through a real JWKS endpoint)
    let server = JwksServer::clerk_fixture().await;
    let auth = clerk(server.config()).verify_token(&fx("signedJwt")).await.unwrap();
    assert_eq!(auth.session_id(), Some("sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9"));
}

#[tokio::test]
async fn signed_jwt_with_some_other_public_key_is_token_invalid_signature() {
    // §6.7 #3
    let clerk = clerk(pem_config().jwt_key(fx("someOtherPublicKey")));
    let (reason, message) = refusal(&clerk, &fx("signedJwt")).await;
    assert_eq!((reason.as_str(), message.as_str()), ("token-invalid-signature", "JWT signature is invalid."));
}

#[tokio::test]
async fn decoded_mock_jwt_claims_equal_mock_jwt_payload() {
    // §6.7 #4 and #8: the verified payload is returned unmodified.
    let clerk = clerk(pem_config().authorized_parties(["https://accounts.inspired.puma-74.lcl.dev"]));
    let auth = clerk.verify_token(&fx("mockJwt")).await.unwrap();
    assert_eq!(Value::Object(auth.session_claims().unwrap().clone()), fixtures()["mockJwtPayload"]);
    assert_eq!(auth.token(), Some(fx("mockJwt").as_str()));
}

#[tokio::test]
async fn strings_without_three_parts_are_token_invalid_with_the_three_parts_message() {
    // §6.7 #5 and #10
    let clerk = clerk(pem_config());
    for token in ["null", "undefined", "", "whatever", "42", "invalid-jwt", "a.b", "a.b.c.d"] {
        let (reason, message) = refusal(&clerk, token).await;
        assert_eq!(reason, "token-invalid", "{token}");
        assert_eq!(message, "Invalid JWT form. A JWT consists of three parts separated by dots.", "{token}");
    }
}

#[tokio::test]
async fn undecodable_segments_are_token_invalid_not_a_panic() {
    // §6.7 #6, #7 (HEAD: a TokenVerificationError, not a throw)
    let clerk = clerk(pem_config());
    for token in ["aaa.bbb.ccc", "YWJj.YWJj.YWJj", "e30.W10!.", "..", "!!!.e30.e30"] {
        let (reason, message) = refusal(&clerk, token).await;
        assert_eq!(reason, "token-invalid", "{token}");
        assert_eq!(message, "Invalid JWT form. The header, payload, or signature could not be decoded.", "{token}");
    }
}

#[tokio::test]
async fn an_empty_authorized_party_in_the_list_is_ignored() {
    // §6.7 #9: ['', azp] accepts the token.
    let clerk = clerk(pem_config().authorized_parties(["", "https://accounts.inspired.puma-74.lcl.dev"]));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
}

#[tokio::test]
async fn oauth_access_tokens_are_a_type_mismatch_on_the_session_path() {
    // §5.4 `isMachineJwt`: an OAuth access token (typ at+jwt) is not a session token.
    for typ in ["at+jwt", "application/at+jwt"] {
        let token = mint_with_header(json!({"typ": typ}), json!({}));
        assert_eq!(refusal(&clerk(pem_config()), &token).await.0, "token-type-mismatch", "{typ}");
    }
}

#[tokio::test]
async fn aud_array_intersecting_the_audience_verifies() {
    // §6.7 #17
    let token = mint_mock(json!({"aud": ["https://other-resource.example.com", "https://my-resource.example.com"]}));
    let clerk = clerk(pem_config().audience(["https://my-resource.example.com"]));
    let auth = clerk.verify_token(&token).await.unwrap();
    assert_eq!(auth.session_claims().unwrap()["aud"][1], "https://my-resource.example.com");
}

#[tokio::test]
async fn aud_array_without_the_audience_is_token_verification_failed() {
    // §6.7 #18
    let token = mint_mock(json!({"aud": ["https://attacker.example.com"]}));
    let clerk = clerk(pem_config().audience(["https://my-resource.example.com"]));
    let (reason, message) = refusal(&clerk, &token).await;
    assert_eq!(reason, "token-verification-failed");
    assert_eq!(
        message,
        "Invalid JWT audience claim array (aud) [\"https://attacker.example.com\"]. Is not included in \"[\"https://my-resource.example.com\"]\"."
    );
}

#[tokio::test]
async fn zero_clock_skew_is_honoured_one_second_after_exp() {
    // §6.7 #19 (HEAD: 0 is not replaced by 5000)
    let clerk = clerk(pem_config().clock(FixedClock::at_secs(EXP + 1)).clock_skew(Duration::ZERO));
    let (reason, message) = refusal(&clerk, &fx("mockJwt")).await;
    assert_eq!(reason, "token-expired");
    assert!(message.starts_with("JWT is expired"), "{message}");
}

#[tokio::test]
async fn default_five_second_skew_accepts_a_token_one_second_after_exp() {
    // §6.7 #20
    let clerk = clerk(pem_config().clock(FixedClock::at_secs(EXP + 1)));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
}

#[tokio::test]
async fn default_skew_refuses_a_token_sixty_seconds_after_exp() {
    // §6.7 #21, second half
    let clerk = clerk(pem_config().clock(FixedClock::at_secs(EXP + 60)));
    assert_eq!(refusal(&clerk, &fx("mockJwt")).await.0, "token-expired");
}

#[tokio::test]
async fn expired_token_is_signed_out_with_token_expired_reason_and_utc_dates() {
    // §6.1: mockExpiredJwt is 50 s past exp at the pinned clock.
    let (reason, message) = refusal(&clerk(pem_config()), &fx("mockExpiredJwt")).await;
    assert_eq!(reason, "token-expired");
    assert_eq!(
        message,
        "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:50:00 GMT, Current date: Mon, 24 Oct 2022 21:50:50 GMT."
    );
}

#[tokio::test]
async fn invalid_signature_is_reported_before_expired_claims() {
    // HEAD verify.test.ts: expired claims AND an invalid signature -> the signature error (#8332).
    let clerk = clerk(pem_config().clock(FixedClock::at_secs(PINNED_SECS + 3600)));
    assert_eq!(refusal(&clerk, &fx("mockInvalidSignatureJwt")).await.0, "token-invalid-signature");
}

#[tokio::test]
async fn malformed_jwt_without_sub_fails_on_signature_first() {
    // v5 checked sub before the signature (§6.9 #19); HEAD order puts the signature first.
    assert_eq!(refusal(&clerk(pem_config()), &fx("mockMalformedJwt")).await.0, "token-invalid-signature");
}

#[tokio::test]
async fn v5_mock_jwt_does_not_verify_with_the_head_key() {
    // §6.1 key/token matrix
    assert_eq!(refusal(&clerk(pem_config()), &fx("v5MockJwt")).await.0, "token-invalid-signature");
}

// ---- §6.8 assertion vectors -------------------------------------------------------------------

#[tokio::test]
async fn rs256_rs384_and_rs512_verify_with_keys_published_for_them() {
    for alg in ["RS256", "RS384", "RS512"] {
        let mut jwk = fixtures()["mockRsaJwk"].clone();
        jwk["alg"] = json!(alg);
        let server = JwksServer::start(json!({"keys": [jwk]})).await;
        let token = mint_with_header(json!({"alg": alg}), json!({}));
        assert!(clerk(server.config()).verify_token(&token).await.is_ok(), "{alg}");
    }
}

#[tokio::test]
async fn algorithms_outside_rs256_rs384_rs512_are_token_invalid_algorithm() {
    let clerk = clerk(pem_config());
    for alg in ["", "ES256", "ES384", "ES512", "PS512", "Aloha", "none", "HS256", "rs256"] {
        let (reason, message) = refusal(&clerk, &create_jwt(json!({"alg": alg}), json!({}))).await;
        assert_eq!(reason, "token-invalid-algorithm", "{alg}");
        assert_eq!(message, format!("Invalid JWT algorithm \"{alg}\". Supported: RS256,RS384,RS512."));
    }
}

#[tokio::test]
async fn an_rs384_token_is_refused_by_a_key_pinned_to_rs256() {
    // The algorithm is the key's, never the header's (the PEM key is bound to RS256).
    let token = mint_with_header(json!({"alg": "RS384"}), json!({}));
    let (reason, message) = refusal(&clerk(pem_config()), &token).await;
    assert_eq!(reason, "token-verification-failed");
    assert!(message.starts_with("Error verifying JWT signature."), "{message}");
}

#[tokio::test]
async fn absent_or_jwt_typ_is_accepted() {
    let clerk = clerk(pem_config());
    assert!(clerk.verify_token(&mint_with_header(json!({"typ": null}), json!({}))).await.is_ok());
    assert!(clerk.verify_token(&mint_with_header(json!({"typ": "JWT"}), json!({}))).await.is_ok());
}

#[tokio::test]
async fn empty_or_other_typ_is_token_invalid() {
    let clerk = clerk(pem_config());
    for (typ, expected) in
        [("", "Invalid JWT type \"\". Expected \"JWT\"."), ("Aloha", "Invalid JWT type \"Aloha\". Expected \"JWT\".")]
    {
        let (reason, message) = refusal(&clerk, &create_jwt(json!({"typ": typ}), json!({}))).await;
        assert_eq!((reason.as_str(), message.as_str()), ("token-invalid", expected));
    }
}

#[tokio::test]
async fn empty_sub_verifies_as_in_clerk_but_is_signed_out() {
    // §6.8: `sub: ''` passes the assertion; Clerk's protect then reads the falsy userId as
    // signed out, and so does our Auth (security V-35).
    let auth = clerk(pem_config()).verify_token(&mint_mock(json!({"sub": ""}))).await.unwrap();
    assert_eq!(auth.user_id(), None);
    assert!(!auth.is_signed_in());
}

#[tokio::test]
async fn missing_or_non_string_sub_is_token_verification_failed() {
    let clerk = clerk(pem_config());
    for (sub, shown) in [(Value::Null, "undefined"), (json!(42), "42"), (json!(["u"]), "[\"u\"]")] {
        let (reason, message) = refusal(&clerk, &mint_mock(json!({"sub": sub}))).await;
        assert_eq!(reason, "token-verification-failed");
        assert_eq!(message, format!("Subject claim (sub) is required and must be a string. Received {shown}."));
    }
}

#[tokio::test]
async fn azp_is_not_checked_without_authorized_parties() {
    let clerk = clerk(pem_config());
    for azp in [Value::Null, json!(""), json!("azp")] {
        assert!(clerk.verify_token(&mint_mock(json!({"azp": azp}))).await.is_ok());
    }
}

#[tokio::test]
async fn missing_or_empty_azp_is_refused_when_authorized_parties_are_set() {
    // HEAD (#8877): azp required once parties are configured.
    let clerk = clerk(pem_config().authorized_parties(["https://azp-1.example"]));
    for (azp, shown) in [(json!(""), "\"\""), (Value::Null, "undefined")] {
        let (reason, message) = refusal(&clerk, &mint_mock(json!({"azp": azp}))).await;
        assert_eq!(reason, "token-invalid-authorized-parties");
        assert_eq!(
            message,
            format!("Invalid JWT Authorized party claim (azp) {shown}. Expected \"https://azp-1.example\".")
        );
    }
}

#[tokio::test]
async fn azp_outside_the_authorized_parties_is_refused() {
    // §6.9 #3 message shape
    let clerk = clerk(pem_config().authorized_parties(["https://whatever.example", "https://other.example"]));
    let (reason, message) = refusal(&clerk, &fx("mockJwt")).await;
    assert_eq!(reason, "token-invalid-authorized-parties");
    assert_eq!(
        message,
        "Invalid JWT Authorized party claim (azp) \"https://accounts.inspired.puma-74.lcl.dev\". Expected \"https://whatever.example,https://other.example\"."
    );
}

fn at(now: i64, skew_ms: u64) -> axum_clerk::Clerk {
    clerk(pem_config().clock(FixedClock::at_secs(now)).clock_skew(Duration::from_millis(skew_ms)))
}

#[tokio::test]
async fn exp_boundaries_follow_exp_at_or_before_now_minus_skew() {
    let now = PINNED_SECS;
    let expired = |exp: i64| mint_mock(json!({"exp": exp}));
    let (reason, message) = refusal(&at(now, 0), &expired(now - 5)).await;
    assert_eq!(reason, "token-expired");
    assert_eq!(
        message,
        "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:50:45 GMT, Current date: Mon, 24 Oct 2022 21:50:50 GMT."
    );
    assert!(at(now, 6000).verify_token(&expired(now - 5)).await.is_ok());
    assert_eq!(refusal(&at(now, 0), &expired(now)).await.0, "token-expired", "exp == now is expired");
    assert!(at(now, 1000).verify_token(&expired(now)).await.is_ok());
    assert!(at(now, 0).verify_token(&expired(now + 5)).await.is_ok());
    assert!(at(now, 6000).verify_token(&expired(now + 5)).await.is_ok());
}

#[tokio::test]
async fn missing_or_non_numeric_exp_is_token_verification_failed() {
    for (exp, shown) in [(Value::Null, "undefined"), (json!("1666648310"), "\"1666648310\"")] {
        let (reason, message) = refusal(&clerk(pem_config()), &mint_mock(json!({"exp": exp}))).await;
        assert_eq!(reason, "token-verification-failed");
        assert_eq!(message, format!("Invalid JWT expiry date claim (exp) {shown}. Expected number."));
    }
}

#[tokio::test]
async fn nbf_in_the_future_beyond_skew_is_token_not_active_yet() {
    let now = PINNED_SECS;
    for nbf in [Value::Null, json!(now - 5), json!(now)] {
        assert!(at(now, 0).verify_token(&mint_mock(json!({"nbf": nbf}))).await.is_ok());
    }
    let (reason, message) = refusal(&at(now, 0), &mint_mock(json!({"nbf": now + 5}))).await;
    assert_eq!(reason, "token-not-active-yet");
    assert_eq!(
        message,
        "JWT cannot be used prior to not before date claim (nbf). Not before date: Mon, 24 Oct 2022 21:50:55 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;"
    );
    assert!(at(now, 6000).verify_token(&mint_mock(json!({"nbf": now + 5}))).await.is_ok());
}

#[tokio::test]
async fn iat_in_the_future_beyond_skew_is_token_iat_in_the_future() {
    let now = PINNED_SECS;
    for iat in [Value::Null, json!(now - 5), json!(now)] {
        assert!(at(now, 0).verify_token(&mint_mock(json!({"iat": iat}))).await.is_ok());
    }
    let (reason, message) = refusal(&at(now, 0), &mint_mock(json!({"iat": now + 5}))).await;
    assert_eq!(reason, "token-iat-in-the-future");
    assert_eq!(
        message,
        "JWT issued at date claim (iat) is in the future. Issued at date: Mon, 24 Oct 2022 21:50:55 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;"
    );
    assert!(at(now, 6000).verify_token(&mint_mock(json!({"iat": now + 5}))).await.is_ok());
}

#[tokio::test]
async fn non_numeric_nbf_or_iat_is_token_verification_failed() {
    let (reason, message) = refusal(&clerk(pem_config()), &mint_mock(json!({"nbf": "soon"}))).await;
    assert_eq!(
        (reason.as_str(), message.as_str()),
        ("token-verification-failed", "Invalid JWT not before date claim (nbf) \"soon\". Expected number.")
    );
    let (reason, message) = refusal(&clerk(pem_config()), &mint_mock(json!({"iat": true}))).await;
    assert_eq!(
        (reason.as_str(), message.as_str()),
        ("token-verification-failed", "Invalid JWT issued at date claim (iat) true. Expected number.")
    );
}

#[tokio::test]
async fn aud_is_ignored_when_no_audience_is_configured() {
    let clerk = clerk(pem_config());
    for aud in [json!("http://audience.example"), json!(["a", "b"]), json!(123), json!(""), json!([])] {
        assert!(clerk.verify_token(&mint_mock(json!({"aud": aud}))).await.is_ok(), "{aud}");
    }
}

#[tokio::test]
async fn aud_matching_the_audience_verifies() {
    let a = "http://audience.example";
    let clerk = clerk(pem_config().audience([a, "http://other.example"]));
    for aud in [json!(a), json!([a]), json!(["http://x.example", a])] {
        assert!(clerk.verify_token(&mint_mock(json!({"aud": aud}))).await.is_ok(), "{aud}");
    }
}

#[tokio::test]
async fn aud_not_matching_the_audience_is_token_verification_failed() {
    let a = "http://audience.example";
    let clerk = clerk(pem_config().audience([a]));
    for aud in ["http://invalid-audience.example", "http://audience.example/", "http://audience", "audience.example"] {
        let (reason, message) = refusal(&clerk, &mint_mock(json!({"aud": aud}))).await;
        assert_eq!(reason, "token-verification-failed");
        assert_eq!(message, format!("Invalid JWT audience claim (aud) \"{aud}\". Is not included in \"[\"{a}\"]\"."));
    }
}

#[tokio::test]
async fn missing_or_mistyped_aud_is_refused_when_an_audience_is_configured() {
    // Deliberately stricter than Clerk, which skips the check when the token has no `aud`
    // (§6.8 "aud missing … ok"): with an audience configured, a token must name it (security §1.4.10).
    let clerk = clerk(pem_config().audience(["http://audience.example"]));
    for aud in [Value::Null, json!(""), json!([]), json!(123), json!(["http://audience.example", 1])] {
        assert_eq!(refusal(&clerk, &mint_mock(json!({"aud": aud}))).await.0, "token-verification-failed", "{aud}");
    }
}

#[tokio::test]
async fn crit_header_is_refused() {
    let token = mint_with_header(json!({"crit": ["exp"]}), json!({}));
    assert_eq!(refusal(&clerk(pem_config()), &token).await.0, "token-invalid");
}

#[tokio::test]
async fn a_category_other_than_a_sessions_is_a_type_mismatch_before_any_key_lookup() {
    // §5.4 `hasNonSessionJwtCategory`, checked by authenticateRequest before verifyToken.
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config());
    for cat in [json!("cl_B7d4PD222AAA"), json!("cl_B7d4PD333AAA"), json!("cl_other"), json!(7)] {
        let (reason, message) = refusal(&clerk, &create_jwt(json!({"cat": cat}), json!({}))).await;
        assert_eq!((reason.as_str(), message.as_str()), ("token-type-mismatch", ""), "{cat}");
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn the_session_categories_and_none_are_verified() {
    let clerk = clerk(pem_config());
    for header in [json!({}), json!({"cat": "cl_B7d4PD111AAA"}), json!({"cat": "cl_I7d4PD111III"})] {
        assert!(clerk.verify_token(&mint_with_header(header.clone(), json!({}))).await.is_ok(), "{header}");
    }
}

#[tokio::test]
async fn oversized_tokens_are_refused_before_decoding() {
    let token = format!("{}.{}.{}", "a".repeat(10_000), "b".repeat(10_000), "c");
    assert_eq!(refusal(&clerk(pem_config()), &token).await.0, "token-invalid");
}

#[tokio::test]
async fn verify_token_refuses_template_and_m2m_tokens_as_a_type_mismatch() {
    // The public function answers as the layer does (§5.4, §6.9 #24, #25).
    let clerk = clerk(pem_config());
    let template = mint_with_header(json!({"cat": "cl_B7d4PD222AAA"}), json!({"sid": null}));
    let m2m = mint(json!({"sub": "mch_2x", "sid": null, "iat": 1666648250, "exp": 1666648310}));
    for token in [template, m2m] {
        assert_eq!(refusal(&clerk, &token).await, ("token-type-mismatch".to_owned(), String::new()));
    }
}

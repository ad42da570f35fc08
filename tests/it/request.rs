//! Authenticating whole requests: clerk-semantics §6.9 (`authenticateRequest` cases, HEAD column),
//! token sources and the cookie flow (§5.2, §5.3), and the signed-out headers (§5.8).

use crate::common::*;
use axum_clerk::{AuthStatus, Clerk, ClerkConfigBuilder, FixedClock, PublishableKey, RequestState};
use serde_json::json;

const PK_TEST: &str = "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";
const PK_LIVE: &str = "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";
const USER: &str = "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr";

async fn setup(pk: &str) -> (JwksServer, ClerkConfigBuilder) {
    let server = JwksServer::clerk_fixture().await;
    let builder = server.config().secret_key("deadbeef").publishable_key(pk);
    (server, builder)
}

async fn request(clerk: &Clerk, method: &str, uri: &str, headers: &[(&str, &str)]) -> RequestState {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "example.com")
        .header("user-agent", "Mozilla/TestAgent");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    clerk.authenticate(&builder.body(()).unwrap()).await
}

async fn get(clerk: &Clerk, headers: &[(&str, &str)]) -> RequestState {
    request(clerk, "GET", "http://clerk.com/path", &[&[("sec-fetch-dest", "document")], headers].concat()).await
}

fn signed_out(state: &RequestState) -> (String, String) {
    assert_eq!(state.status(), AuthStatus::SignedOut);
    assert!(!state.auth().is_signed_in());
    (state.reason().unwrap().to_string(), state.message().to_owned())
}

/// Clerk's `handshake` status: the reason and message, and a redirect to the instance's
/// Frontend API (`clerk.inspired.puma-74.lcl.dev`).
fn handshake(state: &RequestState) -> (String, String) {
    assert_eq!(state.status(), AuthStatus::Handshake);
    assert!(!state.auth().is_signed_in());
    let location = state.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://clerk.inspired.puma-74.lcl.dev/v1/client/handshake?redirect_url="),
        "{location}"
    );
    assert_eq!(state.headers()["cache-control"], "no-store");
    (state.reason().unwrap().to_string(), state.message().to_owned())
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn case_01_empty_jwks_is_signed_out_jwk_remote_failed_to_load() {
    let (server, builder) = setup(PK_TEST).await;
    server.set_body(json!({}));
    let state = get(&clerk(builder), &[("authorization", &bearer(&fx("mockJwt")))]).await;
    assert_eq!(
        signed_out(&state),
        ("jwk-remote-failed-to-load".into(), "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com. Contact support@clerk.com (reason=jwk-remote-failed-to-load, token-carrier=header)".into())
    );
    assert!(state.is_infrastructure_failure());
}

#[tokio::test]
async fn case_02_header_token_is_signed_in_with_no_debug_headers() {
    let (_server, builder) = setup(PK_TEST).await;
    let state = get(&clerk(builder), &[("authorization", &bearer(&fx("mockJwt")))]).await;
    assert_eq!(state.status(), AuthStatus::SignedIn);
    assert_eq!(state.reason(), None);
    assert_eq!(state.auth().user_id(), Some(USER));
    assert_eq!(state.auth().session_id(), Some("sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9"));
    assert_eq!(state.auth().org_id(), None);
    assert!(state.debug_headers().is_empty());
    assert!(!state.is_infrastructure_failure());
}

#[tokio::test]
async fn case_03_azp_outside_authorized_parties_is_signed_out() {
    let (_server, builder) = setup(PK_TEST).await;
    let state = get(
        &clerk(builder.authorized_parties(["https://whatever.example"])),
        &[("authorization", &bearer(&fx("mockJwt")))],
    )
    .await;
    assert_eq!(
        signed_out(&state),
        ("token-invalid-authorized-parties".into(), "Invalid JWT Authorized party claim (azp) \"https://accounts.inspired.puma-74.lcl.dev\". Expected \"https://whatever.example\". (reason=token-invalid-authorized-parties, token-carrier=header)".into())
    );
}

#[tokio::test]
async fn case_04_expired_header_token_gets_a_handshake_with_clerks_reason() {
    let (_server, builder) = setup(PK_TEST).await;
    let state = get(
        &clerk(builder.clock(FixedClock::at_secs(PINNED_SECS + 3600))),
        &[("authorization", &bearer(&fx("mockJwt")))],
    )
    .await;
    let (reason, message) = handshake(&state);
    assert_eq!(reason, "session-token-expired-refresh-non-eligible-no-refresh-cookie");
    assert!(message.starts_with("JWT is expired"), "{message}");
    assert!(message.ends_with("(reason=token-expired, token-carrier=header)"), "{message}");
}

#[tokio::test]
async fn case_05_invalid_signature_header_token_is_signed_out() {
    let (_server, builder) = setup(PK_TEST).await;
    let state = get(&clerk(builder), &[("authorization", &bearer(&fx("mockInvalidSignatureJwt")))]).await;
    assert_eq!(
        signed_out(&state),
        (
            "token-invalid-signature".into(),
            "JWT signature is invalid. (reason=token-invalid-signature, token-carrier=header)".into()
        )
    );
}

#[tokio::test]
async fn case_06_non_jwt_header_token_is_token_invalid() {
    let (_server, builder) = setup(PK_TEST).await;
    let state = get(&clerk(builder), &[("authorization", "Bearer test_header_token")]).await;
    assert_eq!(signed_out(&state), ("token-invalid".into(), "Invalid JWT form. A JWT consists of three parts separated by dots. (reason=token-invalid, token-carrier=header)".into()));
}

#[tokio::test]
async fn case_08_zero_client_uat_on_production_is_session_token_and_uat_missing() {
    let (_server, builder) = setup(PK_LIVE).await;
    let state = request(
        &clerk(builder),
        "GET",
        "http://clerk.com/path",
        &[("cookie", "__client_uat=0"), ("sec-fetch-dest", "empty")],
    )
    .await;
    assert_eq!(signed_out(&state), ("session-token-and-uat-missing".into(), String::new()));
}

#[tokio::test]
async fn case_09_dev_browser_sync_query_gets_a_handshake() {
    let (_server, builder) = setup(PK_TEST).await;
    let uri = format!("http://satellite.example/path?__clerk_synced=true&__clerk_db_jwt={}", fx("mockJwt"));
    let state = request(&clerk(builder), "GET", &uri, &[("sec-fetch-dest", "document")]).await;
    assert_eq!(handshake(&state).0, "dev-browser-sync");
}

#[tokio::test]
async fn case_10_primary_responding_to_syncing_is_signed_out() {
    // Clerk redirects to `__clerk_redirect_url` with the dev-browser token: we run no satellite
    // sync and stay signed out (README, "Where we differ from Clerk").
    let (_server, builder) = setup(PK_TEST).await;
    let cookie = format!("__client_uat=12345; __session={}; __clerk_db_jwt=deadbeef", fx("mockJwt"));
    let uri = "http://clerk.com/path?__clerk_redirect_url=http%3A%2F%2Flocalhost%3A3000";
    let state = request(&clerk(builder), "GET", uri, &[("cookie", &cookie)]).await;
    assert_eq!(signed_out(&state).0, "primary-responds-to-syncing");
}

#[tokio::test]
async fn case_11_no_cookies_on_production_is_session_token_and_uat_missing() {
    let (_server, builder) = setup(PK_LIVE).await;
    let state = get(&clerk(builder.secret_key("live_deadbeef")), &[]).await;
    assert_eq!(signed_out(&state), ("session-token-and-uat-missing".into(), String::new()));
    assert_eq!(state.debug_headers().get("x-clerk-auth-status").unwrap(), "signed-out");
    assert_eq!(state.debug_headers().get("x-clerk-auth-reason").unwrap(), "session-token-and-uat-missing");
    assert!(state.debug_headers().get("x-clerk-auth-message").is_none(), "empty messages are not sent");
}

#[tokio::test]
async fn case_12_and_14_development_without_dev_browser_token_gets_a_handshake() {
    let (_server, builder) = setup(PK_TEST).await;
    let clerk = clerk(builder.secret_key("test_deadbeef"));
    assert_eq!(
        handshake(&get(&clerk, &[("cookie", &format!("__session={}", fx("mockJwt")))]).await).0,
        "dev-browser-missing"
    );
    assert_eq!(handshake(&get(&clerk, &[]).await).0, "dev-browser-missing");
}

#[tokio::test]
async fn case_13_session_without_client_uat_is_handshake() {
    let (_server, builder) = setup(PK_TEST).await;
    let cookie = format!("__clerk_db_jwt=deadbeef; __session={}", fx("mockJwt"));
    assert_eq!(handshake(&get(&clerk(builder), &[("cookie", &cookie)]).await).0, "session-token-but-no-client-uat");
}

#[tokio::test]
async fn case_16_client_uat_without_session_is_handshake() {
    let (_server, builder) = setup(PK_LIVE).await;
    assert_eq!(
        handshake(&get(&clerk(builder), &[("cookie", "__client_uat=12345")]).await).0,
        "client-uat-but-no-session-token"
    );
}

#[tokio::test]
async fn case_17_zero_client_uat_without_session_is_session_token_and_uat_missing() {
    let (_server, builder) = setup(PK_LIVE).await;
    assert_eq!(
        signed_out(&get(&clerk(builder), &[("cookie", "__client_uat=0")]).await).0,
        "session-token-and-uat-missing"
    );
}

#[tokio::test]
async fn case_18_session_issued_before_client_uat_is_handshake() {
    let (_server, builder) = setup(PK_TEST).await;
    let cookie = format!("__clerk_db_jwt=deadbeef; __client_uat={}; __session={}", PINNED_SECS + 10, fx("mockJwt"));
    assert_eq!(handshake(&get(&clerk(builder), &[("cookie", &cookie)]).await).0, "session-token-iat-before-client-uat");
}

#[tokio::test]
async fn case_19_cookie_token_without_sub_is_token_verification_failed() {
    let (_server, builder) = setup(PK_TEST).await;
    let cookie = format!(
        "__clerk_db_jwt=deadbeef; __client_uat={}; __session={}",
        PINNED_SECS - 10,
        mint_mock(json!({"sub": null}))
    );
    assert_eq!(
        signed_out(&get(&clerk(builder), &[("cookie", &cookie)]).await),
        ("token-verification-failed".into(), "Subject claim (sub) is required and must be a string. Received undefined. Make sure that this is a valid Clerk-generated JWT. (reason=token-verification-failed, token-carrier=cookie)".into())
    );
}

#[tokio::test]
async fn case_20_cookie_session_is_signed_in() {
    let (_server, builder) = setup(PK_TEST).await;
    let cookie = format!("__clerk_db_jwt=deadbeef; __client_uat={}; __session={}", PINNED_SECS - 10, fx("mockJwt"));
    let state = get(&clerk(builder), &[("cookie", &cookie)]).await;
    assert_eq!(state.status(), AuthStatus::SignedIn);
    assert_eq!(state.auth().user_id(), Some(USER));
}

#[tokio::test]
async fn case_21_expired_cookie_session_gets_a_handshake_with_clerks_reason() {
    let (_server, builder) = setup(PK_TEST).await;
    let cookie = format!("__clerk_db_jwt=deadbeef; __client_uat={}; __session={}", PINNED_SECS - 10, fx("mockJwt"));
    let state = get(&clerk(builder.clock(FixedClock::at_secs(PINNED_SECS + 3600))), &[("cookie", &cookie)]).await;
    let (reason, message) = handshake(&state);
    assert_eq!(reason, "session-token-expired-refresh-non-eligible-no-refresh-cookie");
    assert!(message.starts_with("JWT is expired"), "{message}");
}

#[tokio::test]
async fn case_22_production_cookie_session_is_signed_in() {
    let (_server, builder) = setup(PK_LIVE).await;
    let cookie = format!("__client_uat=12345; __session={}", fx("mockJwt"));
    let state =
        get(&clerk(builder.secret_key("test_deadbeef")), &[("user-agent", "Amazon CloudFront"), ("cookie", &cookie)])
            .await;
    assert_eq!(state.auth().user_id(), Some(USER));
}

#[tokio::test]
async fn case_23_scheme_less_header_is_used_whole_and_basic_falls_back_to_cookies() {
    let (server, builder) = setup(PK_LIVE).await;
    server.set_body(json!({}));
    let clerk = clerk(builder);
    let state = get(&clerk, &[("authorization", &fx("mockInvalidSignatureJwt"))]).await;
    assert_eq!(signed_out(&state).0, "jwk-remote-failed-to-load", "the bare value was taken as the token");
    let state = get(&clerk, &[("authorization", "Basic dXNlcjpwYXNzd29yZA==")]).await;
    assert_eq!(signed_out(&state).0, "session-token-and-uat-missing", "Basic is ignored: cookie path");
}

#[tokio::test]
async fn case_24_m2m_token_in_the_session_cookie_is_token_type_mismatch() {
    let (server, builder) = setup(PK_LIVE).await;
    let m2m = mint_mock(json!({"sub": "mch_2vYVtestTESTtestTESTtestTESTtest", "sid": null}));
    let state = get(&clerk(builder), &[("cookie", &format!("__client_uat=12345; __session={m2m}"))]).await;
    assert_eq!(signed_out(&state), ("token-type-mismatch".into(), String::new()));
    // Recognised after verification (one JWKS fetch on a cold cache), so tokens are decoded once.
    assert!(server.hits() <= 1);
}

#[tokio::test]
async fn case_25_jwt_template_token_is_token_type_mismatch_in_header_or_cookie() {
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let template = mint_with_header(json!({"cat": "cl_B7d4PD222AAA"}), json!({"sid": null}));
    assert_eq!(signed_out(&get(&clerk, &[("authorization", &bearer(&template))]).await).0, "token-type-mismatch");
    let cookie = format!("__client_uat=12345; __session={template}");
    assert_eq!(signed_out(&get(&clerk, &[("cookie", &cookie)]).await).0, "token-type-mismatch");
    let session_category = mint_with_header(json!({"cat": "cl_B7d4PD111AAA"}), json!({}));
    assert!(get(&clerk, &[("authorization", &bearer(&session_category))]).await.auth().is_signed_in());
}

#[tokio::test]
async fn case_26_post_with_client_uat_and_no_session_is_signed_out() {
    let (_server, builder) = setup(PK_LIVE).await;
    let state = request(
        &clerk(builder),
        "POST",
        "http://clerk.com/path",
        &[("sec-fetch-dest", "document"), ("cookie", "__client_uat=5")],
    )
    .await;
    assert_eq!(signed_out(&state).0, "client-uat-but-no-session-token");
}

#[tokio::test]
async fn machine_token_prefixes_are_token_type_mismatch_without_a_fetch() {
    let (server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    for token in ["ak_123", "mt_123", "oat_123"] {
        assert_eq!(signed_out(&get(&clerk, &[("authorization", &bearer(token))]).await).0, "token-type-mismatch");
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn header_wins_over_cookie_and_they_are_never_mixed() {
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let other = mint_mock(json!({"sub": "user_cookie"}));
    let cookie = format!("__client_uat=12345; __session={other}");
    let state = get(&clerk, &[("authorization", &bearer(&fx("mockJwt"))), ("cookie", &cookie)]).await;
    assert_eq!(state.auth().user_id(), Some(USER), "header user");
    let state = get(&clerk, &[("authorization", &bearer(&fx("mockInvalidSignatureJwt"))), ("cookie", &cookie)]).await;
    assert_eq!(
        signed_out(&state).0,
        "token-invalid-signature",
        "an invalid header token does not fall back to the cookie"
    );
}

#[tokio::test]
async fn lowercase_bearer_is_not_the_bearer_scheme_as_in_clerk() {
    let (_server, builder) = setup(PK_LIVE).await;
    let state = get(&clerk(builder), &[("authorization", &format!("bearer {}", fx("mockJwt")))]).await;
    assert_eq!(signed_out(&state).0, "session-token-and-uat-missing");
}

#[tokio::test]
async fn text_after_the_bearer_token_and_a_space_is_ignored_whether_or_not_the_token_was_seen() {
    // §5.2 HEAD: `[scheme, token] = value.split(' ', 2)` — the token ends at the next space.
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let token = fx("mockJwt");
    let with_text = format!("Bearer {token} trailing text");
    for round in ["first, verified in full", "again, from the verified-token cache"] {
        let state = get(&clerk, &[("authorization", &with_text)]).await;
        assert_eq!(state.auth().user_id(), Some(USER), "{round}");
    }
    assert_eq!(get(&clerk, &[("authorization", &bearer(&token))]).await.auth().user_id(), Some(USER));
    assert_eq!(axum_clerk::testing::cached_tokens(&clerk), 1, "the token, not the header value, is cached");
}

#[tokio::test]
async fn a_cached_bearer_token_with_text_glued_to_it_is_decoded_afresh_and_refused() {
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let token = fx("mockJwt");
    assert!(get(&clerk, &[("authorization", &bearer(&token))]).await.auth().is_signed_in());
    let state = get(&clerk, &[("authorization", &format!("Bearer {token}x"))]).await;
    assert_eq!(signed_out(&state).0, "token-invalid", "its signature part no longer decodes");
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let (_server, builder) = setup(PK_LIVE).await;
    let b = bearer(&fx("mockJwt"));
    let state = get(&clerk(builder), &[("authorization", &b), ("authorization", &b)]).await;
    let (reason, message) = signed_out(&state);
    assert_eq!(reason, "token-invalid");
    assert!(message.starts_with("More than one Authorization header was sent."), "{message}");
}

#[tokio::test]
async fn first_session_cookie_wins() {
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let b = mint_mock(json!({"sub": "user_b"}));
    let state =
        get(&clerk, &[("cookie", &format!("__client_uat=1; __session={}; __session={b}", fx("mockJwt")))]).await;
    assert_eq!(state.auth().user_id(), Some(USER));
    let state = get(&clerk, &[("cookie", &format!("__client_uat=1; __session=garbage; __session={b}"))]).await;
    assert_eq!(signed_out(&state).0, "token-invalid");
    let state = get(&clerk, &[("cookie", "__client_uat=1"), ("cookie", &format!("__session={b}"))]).await;
    assert_eq!(state.auth().user_id(), Some("user_b"), "cookies from every Cookie line are read");
}

#[tokio::test]
async fn an_encoded_separator_cannot_smuggle_a_session_cookie() {
    let (_server, builder) = setup(PK_LIVE).await;
    let cookie = format!("__client_uat=1; sid=x%3B__session%3D{}", fx("mockJwt"));
    assert_eq!(handshake(&get(&clerk(builder), &[("cookie", &cookie)]).await).0, "client-uat-but-no-session-token");
}

#[tokio::test]
async fn suffixed_cookies_are_used_when_only_they_are_present() {
    let (_server, builder) = setup(PK_LIVE).await;
    let sfx = PublishableKey::parse(PK_LIVE).unwrap().cookie_suffix();
    let cookie = format!("__client_uat_{sfx}=12345; __session_{sfx}={}", fx("mockJwt"));
    let state = get(&clerk(builder), &[("cookie", &cookie)]).await;
    assert_eq!(state.auth().user_id(), Some(USER));
}

#[tokio::test]
async fn an_unsuffixed_session_of_another_instance_yields_to_the_suffixed_one() {
    // usesSuffixedCookies rule 2: the unsuffixed token's iss is not our Frontend API.
    let (_server, builder) = setup(PK_LIVE).await;
    let sfx = PublishableKey::parse(PK_LIVE).unwrap().cookie_suffix();
    let foreign = mint_mock(json!({"iss": "https://clerk.other.example", "sub": "user_other"}));
    let cookie =
        format!("__client_uat=1; __session={foreign}; __client_uat_{sfx}=12345; __session_{sfx}={}", fx("mockJwt"));
    assert_eq!(get(&clerk(builder), &[("cookie", &cookie)]).await.auth().user_id(), Some(USER));
}

#[tokio::test]
async fn a_malformed_unsuffixed_session_is_used_and_signs_out() {
    // usesSuffixedCookies rule 1
    let (_server, builder) = setup(PK_LIVE).await;
    let sfx = PublishableKey::parse(PK_LIVE).unwrap().cookie_suffix();
    let cookie =
        format!("__client_uat=1; __session=garbage; __client_uat_{sfx}=12345; __session_{sfx}={}", fx("mockJwt"));
    assert_eq!(signed_out(&get(&clerk(builder), &[("cookie", &cookie)]).await).0, "token-invalid");
}

#[tokio::test]
async fn one_token_in_both_flavours_is_decided_alike_before_and_after_it_is_cached() {
    // What Clerk's front end sends: the same session token under both names.
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let sfx = PublishableKey::parse(PK_LIVE).unwrap().cookie_suffix();
    let both =
        |token: &str| format!("__client_uat=1; __client_uat_{sfx}=1; __session={token}; __session_{sfx}={token}");
    let token = mint_mock(json!({"sub": SUFFIXED_USER}));
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    for _ in 0..2 {
        assert_eq!(get(&clerk, &[("cookie", &both(&token))]).await.auth().user_id(), Some(SUFFIXED_USER));
        assert_eq!(signed_out(&get(&clerk, &[("cookie", &both(&forged))]).await).0, "token-invalid-signature");
    }
}

/// The user each cookie flavour's session belongs to, for the rules choosing between them.
const UNSUFFIXED_USER: &str = "user_unsuffixed";
const SUFFIXED_USER: &str = "user_suffixed";

/// Sends both cookie flavours — `__client_uat=1`, the suffixed client UAT `suffixed_uat` (none
/// when `None`), the sessions issued at `iats` (unsuffixed, suffixed) — three times: neither token
/// cached, then each primed in turn. Returns the user of every answer: the rules must not depend
/// on which tokens the verified-token cache already holds.
async fn suffixed_rule_answers(suffixed_uat: Option<&str>, iats: (i64, i64)) -> Vec<String> {
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let sfx = PublishableKey::parse(PK_LIVE).unwrap().cookie_suffix();
    let unsuffixed = mint_mock(json!({"sub": UNSUFFIXED_USER, "iat": iats.0}));
    let suffixed = mint_mock(json!({"sub": SUFFIXED_USER, "iat": iats.1}));
    let sfx_uat = suffixed_uat.map(|uat| format!("__client_uat_{sfx}={uat}; ")).unwrap_or_default();
    let cookie = format!("__client_uat=1; __session={unsuffixed}; {sfx_uat}__session_{sfx}={suffixed}");
    let mut users = Vec::new();
    for prime in [None, Some(&unsuffixed), Some(&suffixed)] {
        if let Some(token) = prime {
            assert!(get(&clerk, &[("authorization", &bearer(token))]).await.auth().is_signed_in());
        }
        users.push(get(&clerk, &[("cookie", &cookie)]).await.auth().user_id().unwrap_or("signed out").to_owned());
    }
    users
}

#[tokio::test]
async fn a_newer_unsuffixed_session_is_used_whatever_is_cached() {
    // usesSuffixedCookies rule 4
    let users = suffixed_rule_answers(Some("1"), (PINNED_SECS, PINNED_SECS - 5)).await;
    assert_eq!(users, [UNSUFFIXED_USER; 3]);
}

#[tokio::test]
async fn a_suffixed_session_at_least_as_new_is_used_whatever_is_cached() {
    // usesSuffixedCookies rule 8
    let users = suffixed_rule_answers(Some("1"), (PINNED_SECS - 5, PINNED_SECS)).await;
    assert_eq!(users, [SUFFIXED_USER; 3]);
}

#[tokio::test]
async fn a_zero_suffixed_client_uat_with_a_set_unsuffixed_one_uses_the_unsuffixed_cookies() {
    // usesSuffixedCookies rule 5
    let users = suffixed_rule_answers(Some("0"), (PINNED_SECS - 5, PINNED_SECS)).await;
    assert_eq!(users, [UNSUFFIXED_USER; 3]);
}

#[tokio::test]
async fn a_suffixed_session_without_its_client_uat_uses_the_unsuffixed_cookies() {
    // usesSuffixedCookies rule 7
    let users = suffixed_rule_answers(None, (PINNED_SECS - 5, PINNED_SECS)).await;
    assert_eq!(users, [UNSUFFIXED_USER; 3]);
}

/// The status, reason, user and session status of a request, for comparing answers.
type Outcome = (AuthStatus, Option<String>, Option<String>, Option<String>);

/// The [`Outcome`] of a request.
fn outcome(state: &RequestState) -> Outcome {
    let auth = state.auth();
    (
        state.status(),
        state.reason().map(|r| r.to_string()),
        auth.user_id().map(str::to_owned),
        auth.session_status().map(str::to_owned),
    )
}

/// The answers to a cookie carrying `mockJwt` with `changes`, asked three times: verified, then
/// answered from the verified-token cache (three times, so that any memo added later is asked
/// again too).
async fn three_cookie_answers(changes: serde_json::Value) -> Vec<Outcome> {
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let cookie = format!("__client_uat=1; __session={}", mint_mock(changes));
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(outcome(&get(&clerk, &[("cookie", &cookie)]).await));
    }
    answers
}

#[tokio::test]
async fn a_pending_session_cookie_is_decided_alike_before_and_after_it_is_cached() {
    // §5.2: `iat` against `__client_uat` is read from the token whatever its session status; a
    // pending session is signed out by its claims, not by a missing `iat`, and its state says
    // signed out as its `Auth` does.
    let pending = (AuthStatus::SignedOut, None, None, Some("pending".to_owned()));
    assert_eq!(three_cookie_answers(json!({"sts": "pending"})).await, vec![pending; 3]);
}

#[tokio::test]
async fn a_cookie_token_without_a_user_is_decided_alike_before_and_after_it_is_cached() {
    let no_user = (AuthStatus::SignedOut, None, None, None);
    assert_eq!(three_cookie_answers(json!({"sub": ""})).await, vec![no_user; 3]);
}

#[tokio::test]
async fn a_newer_pending_suffixed_session_is_chosen_whatever_is_cached() {
    // usesSuffixedCookies rule 4 reads the suffixed token's `iat` (and rule 1 the unsuffixed
    // one's `iss`) from the token: a pending session has them like any other.
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let sfx = PublishableKey::parse(PK_LIVE).unwrap().cookie_suffix();
    let unsuffixed = mint_mock(json!({"sub": UNSUFFIXED_USER, "iat": PINNED_SECS - 5}));
    let suffixed = mint_mock(json!({"sub": SUFFIXED_USER, "sts": "pending", "iat": PINNED_SECS}));
    let cookie = format!("__client_uat=1; __session={unsuffixed}; __client_uat_{sfx}=1; __session_{sfx}={suffixed}");
    let pending = (AuthStatus::SignedOut, None, None, Some("pending".to_owned()));
    for prime in [None, Some(&unsuffixed), Some(&suffixed)] {
        if let Some(token) = prime {
            get(&clerk, &[("authorization", &bearer(token))]).await;
        }
        for _ in 0..2 {
            assert_eq!(outcome(&get(&clerk, &[("cookie", &cookie)]).await), pending, "primed with {prime:?}");
        }
    }
}

#[tokio::test]
async fn without_a_publishable_key_only_unsuffixed_cookies_and_no_dev_browser_rules_apply() {
    let (server, _) = setup(PK_TEST).await;
    let clerk = clerk(server.config());
    let cookie = format!("__client_uat=1; __session={}", fx("mockJwt"));
    assert_eq!(get(&clerk, &[("cookie", &cookie)]).await.auth().user_id(), Some(USER));
}

#[tokio::test]
async fn a_pending_session_is_signed_out_in_its_state_as_in_its_auth() {
    let (_server, builder) = setup(PK_LIVE).await;
    let token = mint_mock(json!({"sts": "pending"}));
    let state = get(&clerk(builder), &[("authorization", &bearer(&token))]).await;
    assert_eq!(state.status(), AuthStatus::SignedOut);
    assert_eq!(state.reason(), None);
    assert!(!state.auth().is_signed_in());
    assert_eq!(state.auth().session_status(), Some("pending"));
}

#[tokio::test]
async fn non_ascii_authorization_is_signed_out_not_a_panic() {
    let (_server, builder) = setup(PK_LIVE).await;
    let mut req = http::Request::get("/").body(()).unwrap();
    req.headers_mut().insert("authorization", http::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap());
    let state = clerk(builder).authenticate(&req).await;
    assert_eq!(signed_out(&state).0, "token-invalid");
}

// Each thread remembers the cookie rules' outcome for the `Cookie` lines it saw last (the rules
// are a function of the line for one instance), from a line's second request in a row; these
// tests hold that this never changes an answer. (`#[tokio::test]` runs on one thread, so every
// request below meets what the previous ones left remembered.)

#[tokio::test]
async fn a_line_differing_from_a_remembered_one_in_any_byte_is_decided_as_if_new() {
    let (server, builder) = setup(PK_LIVE).await;
    let seen = clerk(builder);
    let unseen = clerk(server.config().publishable_key(PK_LIVE));
    let line = format!("__client_uat=1; __session={}; theme=dark", fx("mockJwt"));
    for at in 0..line.len() {
        // Asked twice, the line is remembered (again, if the changed line before took its slot).
        for _ in 0..2 {
            assert_eq!(get(&seen, &[("cookie", &line)]).await.auth().user_id(), Some(USER));
        }
        let mut changed = line.clone().into_bytes();
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).unwrap();
        let fresh = outcome(&get(&unseen, &[("cookie", &changed)]).await);
        assert_eq!(outcome(&get(&seen, &[("cookie", &changed)]).await), fresh, "byte {at} changed");
        assert_eq!(outcome(&get(&seen, &[("cookie", &changed)]).await), fresh, "byte {at} changed, seen again");
    }
    assert_eq!(get(&seen, &[("cookie", &line)]).await.auth().user_id(), Some(USER));
}

#[tokio::test]
async fn instances_do_not_share_remembered_lines() {
    // With a publishable key the newer suffixed session is chosen (rule 8); without one, only
    // `__session` is read.
    let (server, builder) = setup(PK_LIVE).await;
    let (with_key, without_key) = (clerk(builder), clerk(server.config()));
    let sfx = PublishableKey::parse(PK_LIVE).unwrap().cookie_suffix();
    let unsuffixed = mint_mock(json!({"sub": UNSUFFIXED_USER, "iat": PINNED_SECS - 5}));
    let suffixed = mint_mock(json!({"sub": SUFFIXED_USER, "iat": PINNED_SECS}));
    let line = format!("__client_uat=1; __session={unsuffixed}; __client_uat_{sfx}=1; __session_{sfx}={suffixed}");
    // Each asks three times in turn: a line is remembered from its second ask, so the other
    // instance then finds it in the slot, from another instance.
    for _ in 0..3 {
        for _ in 0..3 {
            assert_eq!(get(&with_key, &[("cookie", &line)]).await.auth().user_id(), Some(SUFFIXED_USER));
        }
        for _ in 0..3 {
            assert_eq!(get(&without_key, &[("cookie", &line)]).await.auth().user_id(), Some(UNSUFFIXED_USER));
        }
    }
}

#[tokio::test]
async fn a_choice_that_read_the_clock_is_made_again_on_every_request() {
    // usesSuffixedCookies rule 6 (not production, suffixed UAT set, unsuffixed UAT `0`): an
    // expired suffixed session sends the request to the unsuffixed cookies, which have none.
    let (_server, builder) = setup(PK_TEST).await;
    let clock = FixedClock::at_secs(PINNED_SECS);
    let clerk = clerk(builder.clock(clock.clone()));
    let sfx = PublishableKey::parse(PK_TEST).unwrap().cookie_suffix();
    let suffixed = mint_mock(json!({"sub": SUFFIXED_USER, "exp": PINNED_SECS + 60}));
    let line = format!(
        "__clerk_db_jwt=x; __clerk_db_jwt_{sfx}=x; __client_uat=0; __client_uat_{sfx}=1; __session_{sfx}={suffixed}"
    );
    for _ in 0..2 {
        assert_eq!(get(&clerk, &[("cookie", &line)]).await.auth().user_id(), Some(SUFFIXED_USER));
    }
    clock.advance_secs(61);
    for _ in 0..2 {
        assert_eq!(signed_out(&get(&clerk, &[("cookie", &line)]).await).0, "session-token-and-uat-missing");
    }
}

#[tokio::test]
async fn a_remembered_line_does_not_answer_for_it_and_a_second_cookie_line() {
    // Clerk reads cookies across every `Cookie` line: here `__client_uat` is only in the second,
    // so the first line's remembered outcome (no client UAT) is not this request's.
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder);
    let first = format!("__session={}", fx("mockJwt"));
    for _ in 0..2 {
        assert_eq!(handshake(&get(&clerk, &[("cookie", &first)]).await).0, "session-token-but-no-client-uat");
    }
    let both_lines = get(&clerk, &[("cookie", &first), ("cookie", "__client_uat=1")]).await;
    assert_eq!(both_lines.auth().user_id(), Some(USER));
}

#[tokio::test]
async fn an_expired_cookie_token_on_a_non_get_request_says_it_could_not_be_refreshed_for_that() {
    // §5.4 `handleSessionTokenError`: refreshing needs a GET.
    let (_server, builder) = setup(PK_LIVE).await;
    let clerk = clerk(builder.clock(FixedClock::at_ms((PINNED_SECS + 3600) * 1000)));
    let cookie = format!("__client_uat=1; __session={}", fx("mockJwt"));
    for (method, reason) in [
        (http::Method::POST, "session-token-expired-refresh-non-eligible-non-get"),
        (http::Method::DELETE, "session-token-expired-refresh-non-eligible-non-get"),
        (http::Method::GET, "session-token-expired-refresh-non-eligible-no-refresh-cookie"),
    ] {
        let request = http::Request::builder().method(method.clone()).uri("/").header("cookie", &cookie);
        let state = clerk.authenticate(&request.body(()).unwrap()).await;
        assert_eq!(state.reason().map(|r| r.as_str()), Some(reason), "{method}");
        assert!(state.message().starts_with("JWT is expired."), "{method}: {}", state.message());
    }
}

//! JWKS cache behaviour against a real HTTP server on 127.0.0.1 (security §5.3): rotation,
//! outage, kid flood, single flight, slow endpoint, and the key policy at ingest. The verified-token
//! cache is off here: these tests exercise the key path on every verification.

use crate::common::*;
use axum_clerk::{Clerk, JwksOptions};
use serde_json::json;
use std::time::Duration;

fn options() -> JwksOptions {
    JwksOptions { max_attempts: 1, ..JwksOptions::default() }
}

fn token_for(key: &str, kid: &str) -> String {
    sign_with(
        &test_key(key, "private_pem"),
        &json!({"alg": "RS256", "kid": kid, "typ": "JWT"}),
        &fixtures()["mockJwtPayload"],
    )
}

#[tokio::test]
async fn rotation_a_new_kid_is_picked_up_with_one_refetch() {
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(
        server
            .config()
            .verified_token_cache(0)
            .jwks_options(JwksOptions { min_refresh_interval: Duration::ZERO, ..options() }),
    );
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(server.hits(), 1);
    server.set_body(json!({"keys": [fixtures()["mockRsaJwk"], test_jwk("rsa2048b", "kid-2")]}));
    assert!(clerk.verify_token(&token_for("rsa2048b", "kid-2")).await.is_ok());
    assert_eq!(server.hits(), 2);
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok(), "the old kid stays valid while published");
    assert!(clerk.verify_token(&token_for("rsa2048b", "kid-2")).await.is_ok());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn kid_flood_makes_no_fetch_within_the_refresh_interval() {
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(options()));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    for i in 0..10_000 {
        let token = create_jwt(json!({"kid": format!("random-{i}")}), json!({}));
        assert_eq!(refusal(&clerk, &token).await.0, "jwk-kid-mismatch");
        if i % 1000 == 0 {
            assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok(), "valid tokens keep verifying");
        }
    }
    assert_eq!(server.hits(), 1, "10 000 unknown kids within the interval cause no fetch");
}

#[tokio::test]
async fn kid_flood_on_a_cold_cache_makes_one_fetch() {
    let server = JwksServer::clerk_fixture().await;
    server.set_delay(Duration::from_millis(100));
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(options()));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let clerk = clerk.clone();
        tasks.spawn(async move { clerk.verify_token(&create_jwt(json!({"kid": format!("k{i}")}), json!({}))).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap_err().reason().as_str(), "jwk-kid-mismatch");
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn concurrent_cold_misses_share_a_single_fetch() {
    let server = JwksServer::clerk_fixture().await;
    server.set_delay(Duration::from_millis(200));
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(options()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let clerk: Clerk = clerk.clone();
        tasks.spawn(async move { clerk.verify_token(&fx("mockJwt")).await.map(|a| a.user_id().map(str::to_owned)) });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap().as_deref(), Some("user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr"));
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn outage_after_ttl_keeps_using_the_last_good_keys() {
    let server = JwksServer::clerk_fixture().await;
    let ttl = Duration::from_millis(100);
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(JwksOptions {
        ttl,
        failure_backoff: Duration::ZERO,
        ..options()
    }));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    server.set_raw(http::StatusCode::INTERNAL_SERVER_ERROR, "oops");
    tokio::time::sleep(ttl * 2).await;
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok(), "stale keys serve during the outage");
    assert_eq!(server.hits(), 2, "the refresh was attempted");
}

#[tokio::test]
async fn outage_beyond_max_stale_is_an_infrastructure_failure() {
    let server = JwksServer::clerk_fixture().await;
    let ttl = Duration::from_millis(50);
    let opts = JwksOptions { ttl, max_stale: Duration::from_millis(50), failure_backoff: Duration::ZERO, ..options() };
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(opts));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    server.set_raw(http::StatusCode::INTERNAL_SERVER_ERROR, "oops");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let err = clerk.verify_token(&fx("mockJwt")).await.unwrap_err();
    assert_eq!(err.reason().as_str(), "jwk-remote-failed-to-load");
    assert!(err.is_infrastructure());
}

#[tokio::test]
async fn cold_outage_fails_closed_backs_off_and_recovers_without_restart() {
    let server = JwksServer::clerk_fixture().await;
    server.set_raw(http::StatusCode::SERVICE_UNAVAILABLE, "");
    let backoff = Duration::from_millis(200);
    let clerk = clerk(
        server.config().verified_token_cache(0).jwks_options(JwksOptions { failure_backoff: backoff, ..options() }),
    );
    for _ in 0..20 {
        let err = clerk.verify_token(&fx("mockJwt")).await.unwrap_err();
        assert_eq!(err.reason().as_str(), "jwk-remote-failed-to-load");
        assert!(err.is_infrastructure());
    }
    assert_eq!(server.hits(), 1, "one attempt per backoff window");
    server.set_body(fixtures()["mockJwks"].clone());
    tokio::time::sleep(backoff + Duration::from_millis(50)).await;
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn slow_endpoint_times_out_without_stalling_known_kid_verifications() {
    let server = JwksServer::clerk_fixture().await;
    let opts = JwksOptions { timeout: Duration::from_millis(1500), min_refresh_interval: Duration::ZERO, ..options() };
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(opts));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    server.set_delay(Duration::from_secs(10));
    let slow = {
        let clerk = clerk.clone();
        tokio::spawn(async move { clerk.verify_token(&token_for("rsa2048b", "rotated")).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..10 {
        assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    }
    assert!(!slow.is_finished(), "known-kid verifications finished while the fetch was still pending");
    let err = slow.await.unwrap().unwrap_err();
    assert_eq!(err.reason().as_str(), "jwk-remote-failed-to-load");
    assert!(err.message().contains("timed out after 1500 ms"), "{}", err.message());
    assert!(err.is_infrastructure());
}

#[tokio::test]
async fn a_revoked_key_is_refused_after_the_next_refresh() {
    let server = JwksServer::clerk_fixture().await;
    let ttl = Duration::from_millis(50);
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(JwksOptions { ttl, ..options() }));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    server.set_body(json!({"keys": [test_jwk("rsa2048b", "kid-2")]}));
    tokio::time::sleep(ttl * 3).await;
    assert_eq!(refusal(&clerk, &fx("mockJwt")).await.0, "jwk-kid-mismatch");
}

#[tokio::test]
async fn a_kid_published_twice_is_unusable_while_other_keys_work() {
    let mut other = fixtures()["mockRsaJwk"].clone();
    other["n"] = json!(test_key("rsa2048b", "n"));
    let server =
        JwksServer::start(json!({"keys": [fixtures()["mockRsaJwk"], other, test_jwk("rsa2048b", "kid-2")]})).await;
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(options()));
    assert_eq!(refusal(&clerk, &fx("mockJwt")).await.0, "jwk-kid-mismatch");
    assert!(clerk.verify_token(&token_for("rsa2048b", "kid-2")).await.is_ok());
}

#[tokio::test]
async fn keys_outside_the_policy_are_ignored_at_ingest() {
    let base = test_jwk("rsa2048b", "x");
    let with = |kid: &str, change: serde_json::Value| {
        let mut jwk = base.clone();
        jwk["kid"] = json!(kid);
        for (k, v) in change.as_object().unwrap() {
            jwk[k] = v.clone();
        }
        jwk
    };
    let bad = vec![
        json!({"kty": "oct", "kid": "oct", "k": "c2VjcmV0"}),
        json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}),
        with("enc", json!({"use": "enc"})),
        with("ops", json!({"key_ops": ["encrypt"]})),
        with("small", json!({"n": test_key("rsa1024", "n")})),
        with("e1", json!({"e": "AQ"})),
        with("private", json!({"d": "AQAB"})),
        with("es256", json!({"alg": "ES256"})),
        with("nokid", json!({"kid": null})),
    ];
    let mut keys = bad.clone();
    keys.push(test_jwk("rsa2048b", "good"));
    let server = JwksServer::start(json!({"keys": keys})).await;
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(options()));
    assert!(clerk.verify_token(&token_for("rsa2048b", "good")).await.is_ok());
    for kid in ["oct", "ec", "enc", "ops", "small", "e1", "private", "es256"] {
        assert_eq!(refusal(&clerk, &token_for("rsa2048b", kid)).await.0, "jwk-kid-mismatch", "{kid}");
    }
}

#[tokio::test]
async fn a_jwk_whose_alg_differs_from_the_token_is_refused() {
    let mut jwk = fixtures()["mockRsaJwk"].clone();
    jwk["alg"] = json!("RS512");
    let server = JwksServer::start(json!({"keys": [jwk]})).await;
    assert_eq!(
        refusal(&clerk(server.config().verified_token_cache(0)), &fx("mockJwt")).await.0,
        "token-verification-failed"
    );
}

#[tokio::test]
async fn clerks_sample_jwks_with_an_unusual_exponent_is_accepted() {
    // §6.5 fixtures/jwks.json: e = "BQGF" (odd, > 3) passes the policy.
    let server = JwksServer::start(fixtures()["sampleJwksUnusualExponent"].clone()).await;
    let token = create_jwt(json!({"kid": "ins_1234"}), json!({}));
    assert_eq!(
        refusal(&clerk(server.config().verified_token_cache(0)), &token).await.0,
        "token-invalid-signature",
        "key found, signature checked"
    );
}

#[tokio::test]
async fn unusable_responses_are_errors_and_keep_the_previous_keys() {
    let server = JwksServer::clerk_fixture().await;
    let ttl = Duration::from_millis(30);
    let opts = JwksOptions { ttl, failure_backoff: Duration::ZERO, ..options() };
    let clerk = clerk(server.config().verified_token_cache(0).jwks_options(opts));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    let huge = format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(200_000));
    for body in ["<html>hi</html>", "{\"keys\":[]}", "[1,2]", huge.as_str()] {
        server.set_raw(http::StatusCode::OK, body);
        tokio::time::sleep(ttl * 2).await;
        assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok(), "previous keys kept after {:.20}", body);
    }
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = JwksServer::clerk_fixture().await;
    server.set_raw(http::StatusCode::FOUND, "");
    let err = clerk(server.config().verified_token_cache(0).jwks_options(options()))
        .verify_token(&fx("mockJwt"))
        .await
        .unwrap_err();
    assert!(err.message().ends_with("with code=302"), "{}", err.message());
}

#[tokio::test]
async fn malformed_kids_are_refused_before_any_fetch() {
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config().verified_token_cache(0));
    for kid in [json!("k".repeat(10_000)), json!("a\nb"), json!("a b"), json!(42), json!(["x"])] {
        let (reason, message) = refusal(&clerk, &create_jwt(json!({"kid": kid}), json!({}))).await;
        assert_eq!((reason.as_str(), message.as_str()), ("token-invalid", "Invalid JWT key ID (kid)."));
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn the_http_client_given_to_the_builder_fetches_the_jwks() {
    let agents = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = agents.clone();
    let app = axum::Router::new().route(
        "/v1/jwks",
        axum::routing::get(move |headers: http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let agent = headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default();
                seen.lock().unwrap().push(agent.to_owned());
                axum::Json(json!({"keys": [fixtures()["mockRsaJwk"]]}))
            }
        }),
    );
    let api = serve(app).await;
    let client = reqwest::Client::builder().user_agent("the-app/7").build().unwrap();
    let config = axum_clerk::ClerkConfig::builder().secret_key("sk_test_x").api_url(&api).clock(pinned_clock());
    let clerk = clerk(config.http_client(client));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(*agents.lock().unwrap(), ["the-app/7"]);
}

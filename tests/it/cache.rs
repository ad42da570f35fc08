//! The verified-token cache (performance issue): the same token skips the RSA check, and the
//! cache never turns a rejection into an acceptance.

use crate::common::*;
use axum_clerk::{FixedClock, JwksOptions};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_repeated_token_is_served_from_the_cache() {
    let clerk = clerk(pem_config());
    assert_eq!(axum_clerk::testing::cached_tokens(&clerk), 0);
    for _ in 0..5 {
        assert_eq!(
            clerk.verify_token(&fx("mockJwt")).await.unwrap().user_id(),
            Some("user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr")
        );
    }
    assert_eq!(axum_clerk::testing::cached_tokens(&clerk), 1);
}

#[tokio::test]
async fn failures_are_never_cached() {
    let clerk = clerk(pem_config());
    for token in [fx("mockInvalidSignatureJwt"), fx("mockExpiredJwt"), "a.b.c".to_owned()] {
        for _ in 0..2 {
            assert!(clerk.verify_token(&token).await.is_err());
        }
    }
    assert_eq!(axum_clerk::testing::cached_tokens(&clerk), 0);
}

#[tokio::test]
async fn a_cached_token_expires_with_its_exp() {
    let clock = pinned_clock();
    let clerk = clerk(pem_config().clock(clock.clone()));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    clock.advance_secs(60 + 5); // exp + skew
    let (reason, _) = refusal(&clerk, &fx("mockJwt")).await;
    assert_eq!(reason, "token-expired");
}

#[tokio::test]
async fn a_cached_token_is_refused_when_the_clock_goes_back_before_nbf() {
    let clock = pinned_clock();
    let clerk = clerk(pem_config().clock(clock.clone()));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    clock.set_ms((PINNED_SECS - 60) * 1000);
    assert_eq!(refusal(&clerk, &fx("mockJwt")).await.0, "token-not-active-yet");
}

#[tokio::test]
async fn a_token_differing_in_one_byte_is_verified_in_full() {
    let clerk = clerk(pem_config());
    let token = fx("mockJwt");
    assert!(clerk.verify_token(&token).await.is_ok());
    let (hp, sig) = token.rsplit_once('.').unwrap();
    let last = sig.chars().last().unwrap();
    let tampered = format!("{hp}.{}{}", &sig[..sig.len() - 1], if last == 'w' { 'x' } else { 'w' });
    assert!(clerk.verify_token(&tampered).await.is_err());
    let longer = format!("{token}A");
    assert!(clerk.verify_token(&longer).await.is_err());
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_invalidates_cached_tokens() {
    let server = JwksServer::clerk_fixture().await;
    let ttl = Duration::from_millis(50);
    let clerk = clerk(server.config().jwks_options(JwksOptions { ttl, max_attempts: 1, ..JwksOptions::default() }));
    // The first verification fetches the keys (a new generation), the second is cached.
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(axum_clerk::testing::cached_tokens(&clerk), 1);
    server.set_body(json!({"keys": [test_jwk("rsa2048b", "kid-2")]}));
    tokio::time::sleep(ttl * 3).await;
    // A token of the new key triggers the refresh that changes the key set…
    let rotated = sign_with(
        &test_key("rsa2048b", "private_pem"),
        &json!({"alg": "RS256", "kid": "kid-2", "typ": "JWT"}),
        &fixtures()["mockJwtPayload"],
    );
    assert!(clerk.verify_token(&rotated).await.is_ok());
    // …after which the cached token of the removed key is no longer accepted.
    assert_eq!(refusal(&clerk, &fx("mockJwt")).await.0, "jwk-kid-mismatch");
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let clerk = clerk(pem_config().verified_token_cache(0));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(axum_clerk::testing::cached_tokens(&clerk), 0);
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let clerk = clerk(pem_config().verified_token_cache(8).clock(FixedClock::at_secs(PINNED_SECS)));
    for i in 0..40 {
        assert!(clerk.verify_token(&mint_mock(json!({"sid": format!("sess_{i}")}))).await.is_ok());
        assert!(axum_clerk::testing::cached_tokens(&clerk) <= 8);
    }
}

#[tokio::test]
async fn a_cached_token_stops_counting_once_its_key_leaves_the_jwks_after_the_ttl() {
    // Nothing but the cached token is presented: the hit itself refreshes the stale key set.
    let server = JwksServer::clerk_fixture().await;
    let ttl = Duration::from_millis(200);
    let options = JwksOptions { ttl, max_attempts: 1, ..JwksOptions::default() };
    let clerk = clerk(server.config().jwks_options(options));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    server.set_body(json!({"keys": [test_jwk("rsa2048b", "kid-2")]}));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok(), "within the TTL the cached verification holds");
    assert_eq!(server.hits(), 1);
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert_eq!(refusal(&clerk, &fx("mockJwt")).await.0, "jwk-kid-mismatch");
    assert_eq!(server.hits(), 2, "one refresh, on the hit past the TTL (the unknown kid waits its interval)");
}

#[tokio::test]
async fn a_cached_token_keeps_counting_when_the_refresh_shows_its_key_still_there() {
    let server = JwksServer::clerk_fixture().await;
    let ttl = Duration::from_millis(100);
    let options = JwksOptions { ttl, min_refresh_interval: Duration::ZERO, max_attempts: 1, ..JwksOptions::default() };
    let clerk = clerk(server.config().jwks_options(options));
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!((server.hits(), axum_clerk::testing::cached_tokens(&clerk)), (2, 1));
}

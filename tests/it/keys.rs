//! Key loading: clerk-semantics §6.10 (local PEM and remote JWKS) and the key policy of
//! security §1.3 applied to PEM input.

use crate::common::*;
use axum_clerk::{ClerkConfig, JwksOptions, KeyError, PublicKey};
use serde_json::json;
use std::time::Duration;

#[test]
fn bare_base64_spki_and_pem_give_the_same_jwk_modulus_as_clerk() {
    // §6.10 "local: mockPEMKey (bare base64) and mockPEMJwtKey (PEM)" -> mockPEMJwk
    let expected_n = fixtures()["mockPEMJwk"]["n"].as_str().unwrap();
    for text in [fx("mockPEMKey"), fx("mockPEMJwtKey")] {
        let key = PublicKey::from_pem(&text).unwrap();
        assert_eq!(key.modulus_base64url(), expected_n);
        assert_eq!(key.exponent_base64url(), "AQAB");
        assert_eq!(key.bits(), 2048);
    }
}

#[test]
fn head_public_pem_matches_the_jwks_modulus() {
    let key = PublicKey::from_pem(&fx("pemEncodedPublicKey")).unwrap();
    assert_eq!(key.modulus_base64url(), fixtures()["mockRsaJwk"]["n"].as_str().unwrap());
}

#[test]
fn pkcs1_public_pem_is_accepted() {
    let key = PublicKey::from_pem(&test_key("rsa2048b", "public_pkcs1_pem")).unwrap();
    assert_eq!(key.modulus_base64url(), test_key("rsa2048b", "n"));
}

#[test]
fn env_file_style_escaped_newlines_and_surrounding_space_are_accepted() {
    let escaped = format!("  {}  ", fx("pemEncodedPublicKey").replace('\n', "\\n"));
    assert!(PublicKey::from_pem(&escaped).is_ok());
}

#[test]
fn private_key_pem_is_refused_with_a_clear_error() {
    for pem in [fx("pemEncodedSignKey"), test_key("rsa2048b", "private_pkcs1_pem")] {
        let err = PublicKey::from_pem(&pem).unwrap_err();
        assert_eq!(err, KeyError::PrivateKey);
        assert!(err.to_string().contains("BEGIN PUBLIC KEY"), "{err}");
    }
}

#[test]
fn garbage_is_refused() {
    for text in [
        "",
        "hello",
        "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\nAAAA",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "MIIB",
    ] {
        assert!(PublicKey::from_pem(text).is_err(), "{text:?}");
    }
}

#[test]
fn ec_key_is_refused_as_not_rsa() {
    assert_eq!(PublicKey::from_pem(&test_key("ec_p256", "public_pem")).unwrap_err(), KeyError::NotRsa);
}

#[test]
fn rsa_1024_is_refused_as_too_small() {
    assert_eq!(PublicKey::from_pem(&test_key("rsa1024", "public_pem")).unwrap_err(), KeyError::TooSmall(1024));
}

#[tokio::test]
async fn rsa_3072_pem_key_verifies_its_tokens() {
    // Any RSA size from 2048 up, unlike Clerk's 2048-only string surgery.
    let token = sign_with(
        &test_key("rsa3072", "private_pem"),
        &json!({"alg": "RS256", "kid": "k", "typ": "JWT"}),
        &fixtures()["mockJwtPayload"],
    );
    let clerk = clerk(ClerkConfig::builder().jwt_key(test_key("rsa3072", "public_pem")).clock(pinned_clock()));
    assert_eq!(PublicKey::from_pem(&test_key("rsa3072", "public_pem")).unwrap().bits(), 3072);
    assert!(clerk.verify_token(&token).await.is_ok());
}

#[test]
fn bad_jwt_key_is_a_config_error_naming_clerk_jwt_key() {
    let err = ClerkConfig::builder().jwt_key(fx("pemEncodedSignKey")).build().unwrap_err();
    assert_eq!(err.setting(), "CLERK_JWT_KEY");
    let err = ClerkConfig::builder().jwt_key("").build().unwrap_err();
    assert_eq!(err.setting(), "CLERK_JWT_KEY");
}

#[tokio::test]
async fn pem_key_makes_no_network_request_for_any_kid() {
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config().jwt_key(fx("pemEncodedPublicKey")));
    let token = mint_with_header(json!({"kid": "some-other-kid"}), json!({}));
    assert!(clerk.verify_token(&token).await.is_ok());
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(server.hits(), 0, "CLERK_JWT_KEY wins over the JWKS");
}

#[tokio::test]
async fn remote_jwks_is_fetched_from_the_backend_api_with_the_secret_key() {
    // §6.10 "remote: secretKey sk_test_deadbeef" and "apiUrl https://api.clerk.test"
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config());
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(server.hits(), 1);
    assert_eq!(server.last_authorization().as_deref(), Some("Bearer sk_test_deadbeef"));
}

#[tokio::test]
async fn second_verification_is_served_from_the_cache() {
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config());
    for _ in 0..5 {
        assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_jwk_remote_failed_to_load() {
    // §6.10 "remote: 503, 500, 500, 500, 542 -> after 5 calls throws"
    let server = JwksServer::clerk_fixture().await;
    server.set_raw(http::StatusCode::SERVICE_UNAVAILABLE, "{}");
    let options = JwksOptions { max_attempts: 5, ..JwksOptions::default() };
    let clerk = clerk(server.config().jwks_options(options));
    let err = clerk.verify_token(&fx("mockJwt")).await.unwrap_err();
    assert_eq!(err.reason().as_str(), "jwk-remote-failed-to-load");
    assert_eq!(err.action().map(|a| a.as_str()), Some("Contact support@clerk.com"));
    assert!(err.message().ends_with("with code=503"), "{}", err.message());
    assert!(err.is_infrastructure());
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn invalid_secret_key_answer_is_secret_key_invalid_without_retries() {
    let server = JwksServer::clerk_fixture().await;
    server.set_raw(
        http::StatusCode::UNAUTHORIZED,
        r#"{"errors":[{"code":"clerk_key_invalid","message":"Secret key invalid","long_message":"The provided Clerk Secret Key is invalid."}]}"#,
    );
    let err = clerk(server.config()).verify_token(&fx("mockJwt")).await.unwrap_err();
    assert_eq!(err.reason().as_str(), "secret-key-invalid");
    assert_eq!(err.message(), "The provided Clerk Secret Key is invalid.");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn empty_jwks_is_jwk_remote_failed_to_load_with_clerks_message() {
    // §6.9 #1: the JWKS returns {} -> the exact full message.
    let server = JwksServer::start(json!({})).await;
    let err = clerk(server.config()).verify_token(&fx("mockJwt")).await.unwrap_err();
    assert_eq!(err.reason().as_str(), "jwk-remote-failed-to-load");
    assert_eq!(
        err.clone().full_message(),
        "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com. Contact support@clerk.com (reason=jwk-remote-failed-to-load, token-carrier=undefined)"
    );
}

#[test]
fn no_key_source_is_a_config_error() {
    // §6.10 "remote: no secretKey -> jwk-remote-failed-to-load": here it is refused at start-up.
    let err = ClerkConfig::builder().build().unwrap_err();
    assert!(err.problem().contains("CLERK_JWT_KEY"), "{err}");
}

#[tokio::test]
async fn unknown_kid_is_jwk_kid_mismatch_with_clerks_message() {
    // §6.10 "remote: kid ins_whatever not in JWKS" (HEAD wording, no kid list)
    let server = JwksServer::clerk_fixture().await;
    let token = mint_with_header(json!({"kid": "ins_whatever"}), json!({}));
    let (reason, message) = refusal(&clerk(server.config()), &token).await;
    assert_eq!(reason, "jwk-kid-mismatch");
    assert_eq!(
        message,
        "Unable to find a signing key in JWKS that matches the kid='ins_whatever' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
    );
}

#[tokio::test]
async fn each_secret_key_has_its_own_cache() {
    // §6.10 HEAD "cache is per secretKey/apiUrl/apiVersion" (Clerk #9394)
    let server = JwksServer::clerk_fixture().await;
    let a = clerk(server.config().secret_key("sk_test_a"));
    let b = clerk(server.config().secret_key("sk_test_b"));
    assert!(a.verify_token(&fx("mockJwt")).await.is_ok());
    assert!(b.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(server.hits(), 2);
    assert_eq!(server.last_authorization().as_deref(), Some("Bearer sk_test_b"));
}

#[tokio::test]
async fn a_token_from_another_instance_is_not_accepted_through_a_shared_kid() {
    // Two issuers publish the same kid with different keys: no cross-acceptance.
    let ours = JwksServer::clerk_fixture().await;
    let theirs = JwksServer::start(json!({"keys": [test_jwk("rsa2048b", KID)]})).await;
    let their_token =
        sign_with(&test_key("rsa2048b", "private_pem"), &fixtures()["mockJwtHeader"], &fixtures()["mockJwtPayload"]);
    assert!(clerk(theirs.config()).verify_token(&their_token).await.is_ok());
    assert_eq!(refusal(&clerk(ours.config()), &their_token).await.0, "token-invalid-signature");
}

#[tokio::test]
async fn generic_jwks_url_is_fetched_without_credentials() {
    let server = JwksServer::clerk_fixture().await;
    let builder = ClerkConfig::builder().jwks_url(format!("{}/v1/jwks", server.url)).clock(pinned_clock());
    assert!(clerk(builder).verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(server.last_authorization(), None);
}

#[tokio::test]
async fn prefetch_warms_the_cache_and_reports_outages() {
    let server = JwksServer::clerk_fixture().await;
    let clerk = clerk(server.config().jwks_options(JwksOptions {
        failure_backoff: Duration::ZERO,
        max_attempts: 1,
        ..JwksOptions::default()
    }));
    clerk.prefetch_keys().await.unwrap();
    assert!(clerk.verify_token(&fx("mockJwt")).await.is_ok());
    assert_eq!(server.hits(), 1);
    let down = JwksServer::clerk_fixture().await;
    down.set_raw(http::StatusCode::BAD_GATEWAY, "");
    let cold =
        crate::common::clerk(down.config().jwks_options(JwksOptions { max_attempts: 1, ..JwksOptions::default() }));
    assert_eq!(cold.prefetch_keys().await.unwrap_err().reason().as_str(), "jwk-remote-failed-to-load");
}

//! Claims → `Auth` (clerk-semantics §2.6) and v2 permission decoding (§2.7, data:
//! tests/data/permission-decoding.json), through real signed tokens.

use crate::common::*;
use axum_clerk::{Auth, ClerkConfig};
use serde_json::{json, Value};

async fn verify(claims: Value) -> Auth {
    let mut payload = mock_payload();
    for (k, v) in claims.as_object().unwrap() {
        payload.insert(k.clone(), v.clone());
    }
    clerk(pem_config()).verify_token(&mint(Value::Object(payload))).await.unwrap()
}

#[tokio::test]
async fn v2_org_permissions_decode_like_clerk() {
    let vectors: Value = serde_json::from_str(include_str!("../data/permission-decoding.json")).unwrap();
    for v in vectors["vectors"].as_array().unwrap() {
        let mut o = json!({"id": "org_1", "rol": "admin", "slg": "acme"});
        if let Some(per) = v["per"].as_str() {
            o["per"] = json!(per);
            o["fpm"] = v["fpm"].clone();
        }
        let auth = verify(json!({"v": 2, "fea": v["fea"], "o": o})).await;
        let expected: Vec<String> = serde_json::from_value(v["orgPermissions"].clone()).unwrap();
        assert_eq!(auth.org_permissions().unwrap(), expected.as_slice(), "fea={} fpm={}", v["fea"], v["fpm"]);
        assert_eq!(auth.org_role(), Some("org:admin"));
    }
}

#[tokio::test]
async fn v2_role_gets_the_org_prefix_and_org_fields_map() {
    let auth = verify(json!({"v": 2, "o": {"id": "org_1", "rol": "member", "slg": "acme"}})).await;
    assert_eq!((auth.org_id(), auth.org_role(), auth.org_slug()), (Some("org_1"), Some("org:member"), Some("acme")));
    assert_eq!(auth.org_permissions(), Some(&[][..]));
}

#[tokio::test]
async fn v2_token_without_o_has_no_organisation() {
    let auth = verify(json!({"v": 2, "fea": "u:dashboard"})).await;
    assert_eq!((auth.org_id(), auth.org_role(), auth.org_slug(), auth.org_permissions()), (None, None, None, None));
}

#[tokio::test]
async fn v1_org_claims_map_unchanged() {
    let auth =
        verify(json!({"org_id": "org_1", "org_role": "admin", "org_slug": "acme", "org_permissions": ["org:f1:read"]}))
            .await;
    assert_eq!(auth.org_role(), Some("admin"), "v1 roles are kept as sent; has() normalises");
    assert_eq!(auth.org_permissions().unwrap(), ["org:f1:read".to_owned()]);
}

#[tokio::test]
async fn v1_and_v2_tokens_of_the_same_user_give_equal_auth_objects() {
    // authObjects.test.ts: "o:impersonation" / "read,manage" / "3" == v1 org_permissions
    let v1 = verify(json!({"org_id": "orgId", "org_role": "org:admin", "org_slug": "orgSlug", "org_permissions": ["org:impersonation:read", "org:impersonation:manage"]})).await;
    let v2 = verify(json!({"v": 2, "fea": "o:impersonation", "o": {"id": "orgId", "rol": "admin", "slg": "orgSlug", "per": "read,manage", "fpm": "3"}})).await;
    for field in ["userId", "sessionId", "orgId", "orgRole", "orgSlug", "orgPermissions"] {
        assert_eq!(serde_json::to_value(&v1).unwrap()[field], serde_json::to_value(&v2).unwrap()[field], "{field}");
    }
}

#[tokio::test]
async fn pending_session_is_signed_out_by_default_keeping_its_status() {
    let auth = verify(json!({"sts": "pending"})).await;
    assert!(!auth.is_signed_in());
    assert_eq!(auth.user_id(), None);
    assert_eq!(auth.session_status(), Some("pending"));
}

#[tokio::test]
async fn pending_session_can_be_treated_as_signed_in_when_asked() {
    let clerk = clerk(pem_config().pending_sessions_signed_in(true));
    let auth = clerk.verify_token(&mint_mock(json!({"sts": "pending"}))).await.unwrap();
    assert!(auth.is_signed_in());
    assert_eq!(auth.session_status(), Some("pending"));
}

#[tokio::test]
async fn auth_serialises_with_clerks_field_names() {
    // §6.9 #2: toAuth() of mockJwt.
    let auth = clerk(pem_config()).verify_token(&fx("mockJwt")).await.unwrap();
    let json = serde_json::to_value(&auth).unwrap();
    assert_eq!(json["userId"], "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(json["sessionId"], "sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9");
    assert_eq!(json["sessionClaims"], fixtures()["mockJwtPayload"]);
    for field in ["orgId", "orgRole", "orgSlug", "orgPermissions", "actor", "factorVerificationAge", "sessionStatus"] {
        assert_eq!(json[field], Value::Null, "{field}");
    }
    assert_eq!(json["isAuthenticated"], true);
}

#[tokio::test]
async fn actor_fva_and_status_are_exposed() {
    let auth =
        verify(json!({"act": {"sub": "user_admin", "type": "impersonation"}, "fva": [3, -1], "sts": "active"})).await;
    let json = serde_json::to_value(&auth).unwrap();
    assert_eq!(json["actor"]["sub"], "user_admin");
    assert_eq!(json["factorVerificationAge"], json!([3, -1]));
    assert_eq!(json["sessionStatus"], "active");
}

#[test]
fn debug_output_leaves_out_the_token_and_the_secret_key() {
    let config = ClerkConfig::builder().secret_key("sk_test_supersecret").build().unwrap();
    assert!(!format!("{config:?}").contains("supersecret"));
}

#[tokio::test]
async fn a_v2_test_session_with_extra_features_keeps_its_permissions_aligned() {
    let issuer = axum_clerk::testing::TestIssuer::new();
    let clerk =
        axum_clerk::Clerk::new(axum_clerk::ClerkConfig::builder().jwt_key(issuer.public_key_pem()).build().unwrap())
            .unwrap();
    let token = issuer
        .session("user_1")
        .org("org_1", "acme", "org:admin")
        .permissions(["org:team_settings:manage"])
        .v2()
        .claim("fea", serde_json::json!("o:teams,u:beta"))
        .mint();
    let auth = clerk.verify_token(&token).await.unwrap();
    assert!(auth.has(&axum_clerk::Check::permission("org:team_settings:manage")));
    assert!(auth.has(&axum_clerk::Check::feature("teams")) && auth.has(&axum_clerk::Check::feature("u:beta")));
    assert!(!auth.has(&axum_clerk::Check::permission("org:teams:manage")), "the added feature has no permissions");
}

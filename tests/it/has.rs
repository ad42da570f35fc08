//! `has()` decision tables of clerk-semantics §2.8 (data: tests/data/has-vectors.json), run on
//! real tokens: each claim set is signed with the fixture key and verified before `has` is asked.

use crate::common::*;
use axum_clerk::{Auth, Check, Reverification, ReverificationLevel};
use serde_json::{json, Value};

fn check_from(row: &Value) -> Check {
    let mut check = Check::default();
    for (name, value) in row.as_object().unwrap() {
        check = match (name.as_str(), value) {
            ("role", Value::String(v)) => check.and_role(v),
            ("permission", Value::String(v)) => check.and_permission(v),
            ("feature", Value::String(v)) => check.and_feature(v),
            ("plan", Value::String(v)) => check.and_plan(v),
            ("reverification", Value::String(preset)) => {
                match Reverification::from_preset(preset) {
                    Some(r) => check.and_reverification(r),
                    // An unknown preset cannot be expressed as a preset; an invalid custom level is its equal.
                    None => check.and_reverification(Reverification::Custom {
                        level: ReverificationLevel::MultiFactor,
                        after_minutes: 0,
                    }),
                }
            }
            ("reverification", Value::Object(custom)) => {
                let level = match custom["level"].as_str() {
                    Some("first_factor") => ReverificationLevel::FirstFactor,
                    Some("second_factor") => ReverificationLevel::SecondFactor,
                    _ => ReverificationLevel::MultiFactor,
                };
                // Missing or non-positive minutes are invalid; 0 is how the typed API says so.
                let after_minutes = custom.get("afterMinutes").and_then(Value::as_u64).unwrap_or(0) as u32;
                check.and_reverification(Reverification::Custom { level, after_minutes })
            }
            other => panic!("unsupported check {other:?}"),
        };
    }
    check
}

async fn signed_in(claims: &Value) -> Auth {
    let mut payload = mock_payload();
    payload.remove("azp");
    for (k, v) in claims.as_object().unwrap() {
        payload.insert(k.clone(), v.clone());
    }
    clerk(pem_config()).verify_token(&mint(Value::Object(payload))).await.unwrap()
}

#[tokio::test]
async fn has_decision_tables_match_clerk() {
    let vectors: Value = serde_json::from_str(include_str!("../data/has-vectors.json")).unwrap();
    let mut asked = 0;
    for group in vectors["groups"].as_array().unwrap() {
        let auth = signed_in(&group["claims"]).await;
        for row in group["rows"].as_array().unwrap() {
            let expected = row["expected"].as_bool().unwrap();
            assert_eq!(auth.has(&check_from(&row["check"])), expected, "{}: {}", group["name"], row["check"]);
            asked += 1;
        }
    }
    assert!(asked > 100, "all rows ran");
}

#[tokio::test]
async fn signed_out_has_nothing() {
    let auth = Auth::signed_out();
    for check in [
        Check::role("org:admin"),
        Check::permission("org:x:y"),
        Check::feature("x"),
        Check::plan("x"),
        Check::reverification(Reverification::Lax),
    ] {
        assert!(!auth.has(&check));
    }
}

#[tokio::test]
async fn nothing_asked_is_false_even_for_an_admin() {
    let auth = signed_in(&json!({"org_id": "org_1", "org_role": "org:admin", "org_permissions": ["org:a:b"]})).await;
    assert!(!auth.has(&Check::default()));
}

#[tokio::test]
async fn every_asked_dimension_must_pass() {
    // Clerk's mixed-argument bypass (#8372) fixed: role AND permission AND reverification.
    let auth =
        signed_in(&json!({"org_id": "org_1", "org_role": "org:admin", "org_permissions": ["org:a:b"], "fva": [0, -1]}))
            .await;
    assert!(auth.has(&Check::role("org:admin").and_permission("org:a:b")));
    assert!(!auth.has(&Check::role("org:admin").and_permission("org:a:c")));
    assert!(!auth.has(&Check::role("org:member").and_permission("org:a:b")));
    assert!(auth.has(&Check::permission("org:a:b").and_reverification(Reverification::Strict)));
    assert!(!auth.has(&Check::permission("org:a:b").and_feature("missing")));
}

#[tokio::test]
async fn system_permissions_are_never_in_session_tokens_so_has_is_false() {
    let auth = signed_in(
        &json!({"org_id": "org_1", "org_role": "org:admin", "org_permissions": ["org:team_settings:manage"]}),
    )
    .await;
    assert!(!auth.has(&Check::permission("org:sys_memberships:manage")));
    assert!(auth.has(&Check::role("admin")), "check the role instead");
}

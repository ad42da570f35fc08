//! Arbitrary claims (v1 and v2 shapes, masks of any size) to `Auth` and `has`: never panics, and
//! every decoded permission is `org:<an fea feature>:<an o.per action>`.
#![no_main]

use axum_clerk::{Check, Reverification};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(auth) = axum_clerk::testing::auth_from_verified_claims_json(data) else { return };
    let claims: serde_json::Value = match serde_json_from(data) {
        Some(v) => v,
        None => return,
    };
    if let Some(permissions) = auth.org_permissions() {
        if claims["v"] == 2 {
            let per = claims["o"]["per"].as_str().unwrap_or_default();
            let fea = claims["fea"].as_str().unwrap_or_default();
            // Each permission must be `org:` + an fea feature + `:` + a per action (features and
            // actions may themselves contain ':', so every split is tried).
            let features: Vec<&str> = fea.split(',').filter_map(|f| f.trim().split_once(':').map(|(_, v)| v)).collect();
            let actions: Vec<&str> = per.split(',').map(str::trim).collect();
            for p in permissions {
                let rest = p.strip_prefix("org:").expect("org: prefix");
                let explained = features.iter().any(|f| {
                    rest.strip_prefix(f).and_then(|r| r.strip_prefix(':')).is_some_and(|a| actions.contains(&a))
                });
                assert!(explained, "{p} is not an fea feature with a per action (fea {fea}, per {per})");
            }
        }
    }
    for check in [
        Check::role("org:admin"),
        Check::permission("org:a:b").and_feature("x").and_plan("u:y"),
        Check::reverification(Reverification::StrictMfa),
    ] {
        let _ = auth.has(&check);
    }
    let _ = serde_json_to(&auth);
});

fn serde_json_from(data: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(data).ok()
}

fn serde_json_to(auth: &axum_clerk::Auth) -> String {
    serde_json::to_string(auth).unwrap_or_default()
}

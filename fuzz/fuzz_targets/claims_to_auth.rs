//! Arbitrary claims (v1 and v2 shapes, masks of any size) to `Auth` and `has`: never panics, and
//! every decoded permission is `org:<an fea feature>:<an o.per action>`.
#![no_main]

use axum_clerk::{Check, Reverification};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(auth) = axum_clerk::__private::auth_from_verified_claims_json(data) else { return };
    let claims: serde_json::Value = match serde_json_from(data) {
        Some(v) => v,
        None => return,
    };
    if let Some(permissions) = auth.org_permissions() {
        if claims["v"] == 2 {
            let per = claims["o"]["per"].as_str().unwrap_or_default();
            let fea = claims["fea"].as_str().unwrap_or_default();
            for p in permissions {
                let rest = p.strip_prefix("org:").expect("org: prefix");
                let (feature, action) = rest.rsplit_once(':').expect("feature:action");
                assert!(fea.contains(feature), "{p} not from fea {fea}");
                assert!(per.split(',').any(|a| a.trim() == action), "{p} not from per {per}");
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

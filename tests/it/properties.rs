//! Property tests (proptest): the invariants the fuzz targets check, run in the normal suite.

use crate::common::*;
use axum_clerk::{validate_return_url, Auth, Check};
use proptest::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

fn verifier() -> &'static axum_clerk::Clerk {
    static CLERK: OnceLock<axum_clerk::Clerk> = OnceLock::new();
    // The genuine token is verified (and so cached) first: mutations must miss the cache.
    CLERK.get_or_init(|| {
        let clerk = clerk(pem_config());
        assert!(runtime().block_on(clerk.verify_token(&fx("mockJwt"))).is_ok());
        clerk
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Changing any single byte of a valid token makes it fail (a signature, decoding or
    /// algorithm error — never acceptance).
    #[test]
    fn any_single_byte_mutation_of_a_valid_token_is_rejected(position in 0usize..2000, byte in any::<u8>()) {
        let token = fx("mockJwt");
        let position = position % token.len();
        prop_assume!(token.as_bytes()[position] != byte);
        let mut bytes = token.into_bytes();
        bytes[position] = byte;
        if let Ok(mutated) = String::from_utf8(bytes) {
            prop_assert!(runtime().block_on(verifier().verify_token(&mutated)).is_err());
        }
    }

    /// Truncating or extending a valid token makes it fail.
    #[test]
    fn truncated_or_extended_tokens_are_rejected(cut in 1usize..600, suffix in "[A-Za-z0-9_.-]{1,8}") {
        let token = fx("mockJwt");
        let cut = cut.min(token.len() - 1);
        prop_assert!(runtime().block_on(verifier().verify_token(&token[..token.len() - cut])).is_err());
        let extended = format!("{token}{suffix}");
        prop_assert!(runtime().block_on(verifier().verify_token(&extended)).is_err());
    }

    /// Every decoded v2 permission is `org:<org-scoped feature>:<action of per>` whose bit is set
    /// in that feature's mask.
    #[test]
    fn decoded_v2_permissions_are_within_what_the_masks_allow(
        features in proptest::collection::vec(("(o|u|ou|uo)", "[a-z]{1,6}"), 0..6),
        actions in proptest::collection::vec("[a-z]{1,5}", 1..8),
        masks in proptest::collection::vec(0u64..512, 0..7),
    ) {
        let fea = features.iter().map(|(s, f)| format!("{s}:{f}")).collect::<Vec<_>>().join(",");
        let per = actions.join(",");
        let fpm = masks.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let claims = json!({"sub": "u", "v": 2, "fea": fea, "o": {"id": "org", "rol": "admin", "per": per, "fpm": fpm}});
        let auth = axum_clerk::testing::auth_from_verified_claims_json(claims.to_string().as_bytes()).unwrap();
        let org_features: Vec<&str> = features.iter().filter(|(s, _)| s.contains('o')).map(|(_, f)| f.as_str()).collect();
        let mut allowed = Vec::new();
        for (i, feature) in org_features.iter().enumerate() {
            let Some(mask) = masks.get(i) else { continue };
            for (bit, action) in actions.iter().enumerate() {
                if bit < 64 && mask >> bit & 1 == 1 {
                    allowed.push(format!("org:{feature}:{action}"));
                }
            }
        }
        let decoded = auth.org_permissions().unwrap_or_default();
        for permission in decoded {
            prop_assert!(allowed.contains(permission), "{permission} not allowed by the masks");
        }
        prop_assert_eq!(decoded.len(), allowed.len());
    }

    /// Signed out, nothing is ever allowed.
    #[test]
    fn signed_out_has_nothing(role in "[a-z:]{0,12}", permission in "[a-z:_]{0,20}", feature in "[a-z:]{0,10}") {
        let auth = Auth::signed_out();
        prop_assert!(!auth.has(&Check::role(role.clone()).and_permission(permission.clone())));
        prop_assert!(!auth.has(&Check::feature(feature)));
    }

    /// An accepted return URL stays on the application's origin, never with a `//` path.
    #[test]
    fn accepted_return_urls_stay_on_the_origin(input in "\\PC{0,40}") {
        let origin = url::Url::parse("https://app.example.com").unwrap();
        if let Some(url) = validate_return_url(&input, Some(&origin), &[]) {
            prop_assert_eq!(url.origin(), origin.origin());
            prop_assert!(!url.path().starts_with("//"));
        }
    }

    /// Same, for inputs built from the characters redirect attacks are made of.
    #[test]
    fn accepted_return_urls_from_attack_alphabet_stay_on_the_origin(input in "[/\\\\:@.a-z%0-9?#\\t ]{0,24}") {
        let origin = url::Url::parse("https://app.example.com").unwrap();
        if let Some(url) = validate_return_url(&input, Some(&origin), &[]) {
            prop_assert_eq!(url.host_str(), Some("app.example.com"), "{} -> {}", input, url);
        }
    }
}

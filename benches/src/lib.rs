//! Shared set-up of the benchmarks: an issuer, tokens, and a configured `Clerk`.

use axum_clerk::testing::TestIssuer;
use axum_clerk::{Clerk, ClerkConfig};
use std::time::Duration;

/// An issuer, a `Clerk` verifying its tokens through its PEM key (networkless, so benchmarks
/// measure verification, not HTTP), and a valid admin token.
pub struct Setup {
    pub issuer: TestIssuer,
    pub clerk: Clerk,
    pub token: String,
}

impl Setup {
    pub fn new(cache: usize) -> Self {
        let issuer = TestIssuer::new();
        let config =
            ClerkConfig::builder().jwt_key(issuer.public_key_pem()).verified_token_cache(cache).build().unwrap();
        let clerk = Clerk::new(config).unwrap();
        let token = admin_token(&issuer, "sess_bench");
        Self { issuer, clerk, token }
    }
}

/// A long-lived admin token with `org:team_settings:manage`, signed with the issuer's `kid`
/// replaced by none: PEM mode accepts any `kid`.
pub fn admin_token(issuer: &TestIssuer, sid: &str) -> String {
    issuer
        .session("user_bench")
        .session_id(sid)
        .org("org_bench", "bench", "org:admin")
        .permissions(["org:team_settings:manage"])
        .lifetime(Duration::from_secs(3600))
        .mint()
}

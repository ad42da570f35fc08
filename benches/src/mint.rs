//! Prints a fresh issuer's PEM public key and tokens as JSON, for the Node.js peer benchmark:
//! `{"pem": "...", "token": "...", "tokens": ["...", ...]}`.

use axum_clerk::testing::TestIssuer;
use axum_clerk_benches::admin_token;

fn main() {
    let issuer = TestIssuer::new();
    let tokens: Vec<String> = (0..512).map(|i| admin_token(&issuer, &format!("sess_{i}"))).collect();
    let out = serde_json::json!({
        "pem": issuer.public_key_pem(),
        "token": admin_token(&issuer, "sess_repeat"),
        "tokens": tokens,
    });
    println!("{out}");
}

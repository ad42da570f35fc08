//! Verifies one session token with the configuration from the environment and prints the
//! resulting `Auth` as Clerk-named JSON, or Clerk's reason for refusing it.
//!
//! ```text
//! CLERK_SECRET_KEY=sk_test_… cargo run --example verify_token -- eyJhbGciOi…
//! CLERK_JWT_KEY="$(cat clerk.pem)" cargo run --example verify_token -- eyJhbGciOi…
//! ```

use axum_clerk::{Clerk, ClerkConfig};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(token) = std::env::args().nth(1) else {
        eprintln!("usage: verify_token <session token>");
        return ExitCode::from(2);
    };
    let clerk = match ClerkConfig::from_env().and_then(Clerk::new) {
        Ok(clerk) => clerk,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    match clerk.verify_token(&token).await {
        Ok(auth) => {
            println!("{}", serde_json::to_string_pretty(&auth).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("signed out: {} — {}", err.reason(), err.full_message());
            ExitCode::FAILURE
        }
    }
}

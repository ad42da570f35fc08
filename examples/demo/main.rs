//! The demo site: every example of Clerk's `auth()` page as a route.
//!
//! Run with
//!
//! ```not_rust
//! cargo run --example dashboard
//! ```
//!
//! With no `CLERK_*` variables it signs users in through an embedded development issuer; with
//! `CLERK_JWT_KEY` or `CLERK_SECRET_KEY`/`CLERK_PUBLISHABLE_KEY` it verifies real Clerk tokens.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // RUST_LOG=axum_clerk=debug shows every authentication's outcome and the Backend API calls.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,axum_clerk=info".into()),
        )
        .init();
    match axum_clerk_examples::dashboard::run_from_env().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dashboard: {err}");
            ExitCode::from(2)
        }
    }
}

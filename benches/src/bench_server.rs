//! The server of the end-to-end benchmark: one binary, three routes that do the same work.
//!
//! - `GET /open`: no authentication at all (no `ClerkLayer`);
//! - `GET /protected`: behind `ClerkLayer`, `#[protect(permission = "org:team_settings:manage")]`;
//! - `GET /hand`: behind `ClerkLayer`, the same rule written with the runtime API.
//!
//! It prints `token=<a valid admin token>` and `listening=<addr>` on stdout, then serves until
//! killed. Verification goes through the issuer's JWKS over HTTP, as in production.

use axum::routing::get;
use axum::Router;
use axum_clerk::testing::TestIssuer;
use axum_clerk::{protect, Auth, Clerk, ClerkLayer, Protect, ProtectRejection};
use axum_clerk_benches::admin_token;

#[protect(permission = "org:team_settings:manage")]
async fn protected() -> &'static str {
    "ok"
}

async fn hand(auth: Auth) -> Result<&'static str, ProtectRejection> {
    static RULE: std::sync::LazyLock<Protect> =
        std::sync::LazyLock::new(|| Protect::permission("org:team_settings:manage"));
    auth.protect(&RULE)?;
    Ok("ok")
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let issuer = TestIssuer::new();
    let jwks = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", jwks.local_addr().unwrap());
    let issuer_router = issuer.router();
    tokio::spawn(async move { axum::serve(jwks, issuer_router).await });
    let clerk = Clerk::new(issuer.config(&api).build().unwrap()).unwrap();
    clerk.prefetch_keys().await.unwrap();
    let protected_routes =
        Router::new().route("/protected", get(protected)).route("/hand", get(hand)).layer(ClerkLayer::new(clerk));
    let app = Router::new().route("/open", get(|| async { "ok" })).merge(protected_routes);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    println!("token={}", admin_token(&issuer, "sess_e2e"));
    println!("listening={}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}

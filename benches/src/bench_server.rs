//! The server of the end-to-end benchmark: one binary, routes that do the same work.
//!
//! - `GET /open`: no authentication at all (no `ClerkLayer`);
//! - `GET /protected`: behind `ClerkLayer`, `#[protect(permission = "org:team_settings:manage")]`;
//! - `GET /hand`: behind `ClerkLayer`, the same rule written with the runtime API;
//! - `GET /public`: behind `ClerkLayer`, no rule: a public page, which a visitor without a
//!   session reaches signed out (with Clerk's `x-clerk-auth-*` headers);
//! - `GET /layered`: no authentication, behind a layer that does nothing (`tower_layer::Identity`):
//!   what any layer costs in axum (the route is wrapped once more);
//! - `GET /peer/clerk-rs`: behind clerk-rs 0.5's own axum `ClerkLayer` (JWKS through its
//!   `MemoryCacheJwksProvider` from the same issuer's Backend API), bearer token required;
//! - `GET /peer/jwt-authorizer`: jwt-authorizer 0.15's `Authorizer::check_auth` on the bearer
//!   token with the issuer's PEM key, in an axum middleware (its own layer is built for axum 0.7).
//!
//!
//! A second listener serves the other way of installing the layer: `ClerkLayer` around the whole
//! `Router` (`ClerkLayer::layer(router)`, served with `axum::ServiceExt::into_make_service`), so
//! that axum does not wrap each route once more; `GET /protected` and `GET /public` there are the
//! same handlers.
//!
//! It prints `token=<a valid admin token>`, `pem=<the public key, one line>`,
//! `listening=<addr>` and `outer_listening=<addr>` on stdout, then serves until killed. Our
//! routes verify through the issuer's JWKS over HTTP, as in production.
//!
//! With `BENCH_PUBLISHABLE_KEY=1` our instance also has a production publishable key
//! (`pk_live_…`), as a deployed app does: a browser then holds both cookie flavours
//! (`__session` and `__session_<suffix>`, with their `__client_uat`), and every request runs
//! Clerk's suffixed-cookie rules. The suffix is printed as `cookie_suffix=<suffix>`.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_clerk::testing::TestIssuer;
use axum_clerk::{protect, Auth, Clerk, ClerkLayer, Protect, ProtectRejection, PublishableKey};
use axum_clerk_benches::admin_token;
use serde_json::Value;
use std::sync::Arc;

#[protect(permission = "org:team_settings:manage")]
async fn protected() -> &'static str {
    "ok"
}

async fn public() -> &'static str {
    "ok"
}

async fn hand(auth: Auth) -> Result<&'static str, ProtectRejection> {
    static RULE: std::sync::LazyLock<Protect> =
        std::sync::LazyLock::new(|| Protect::permission("org:team_settings:manage"));
    auth.protect(&RULE)?;
    Ok("ok")
}

/// jwt-authorizer's check on the bearer token; 401 when it fails.
async fn jwt_authorizer_check(
    authorizer: Arc<jwt_authorizer::Authorizer<Value>>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    match token {
        Some(token) => match authorizer.check_auth(&token).await {
            Ok(claims) => {
                request.extensions_mut().insert(claims);
                next.run(request).await
            }
            Err(_) => StatusCode::UNAUTHORIZED.into_response(),
        },
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let issuer = TestIssuer::new();
    let jwks = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", jwks.local_addr().unwrap());
    let issuer_router = issuer.router();
    tokio::spawn(async move { axum::serve(jwks, issuer_router).await });
    let publishable_key = (std::env::var("BENCH_PUBLISHABLE_KEY").as_deref() == Ok("1"))
        // The issuer's host (TestIssuer's `iss`): the tokens belong to this instance, as in a
        // deployment, so Clerk's rules compare the two flavours instead of stopping at `iss`.
        .then(|| PublishableKey::for_frontend_api("clerk.dev-issuer.local"));
    let mut config = issuer.config(&api);
    if let Some(pk) = &publishable_key {
        config = config.publishable_key(pk.as_str());
    }
    let clerk = Clerk::new(config.build().unwrap()).unwrap();
    clerk.prefetch_keys().await.unwrap();
    let whole_app = tower_layer::Layer::layer(
        &ClerkLayer::new(clerk.clone()),
        Router::new().route("/protected", get(protected)).route("/hand", get(hand)).route("/public", get(public)),
    );
    let ours = Router::new()
        .route("/protected", get(protected))
        .route("/hand", get(hand))
        .route("/public", get(public))
        .layer(ClerkLayer::new(clerk));

    let clerk_rs_config = clerk_rs::ClerkConfiguration::new(issuer.secret_key()).with_base_path(format!("{api}/v1"));
    let clerk_rs_layer = clerk_rs::validators::axum::ClerkLayer::new(
        clerk_rs::validators::jwks::MemoryCacheJwksProvider::new(clerk_rs::clerk::Clerk::new(clerk_rs_config)),
        None,
        false,
    );
    let clerk_rs_routes = Router::new().route("/peer/clerk-rs", get(|| async { "ok" })).layer(clerk_rs_layer);

    let authorizer = Arc::new(
        jwt_authorizer::JwtAuthorizer::<Value>::from_rsa_pem_text(issuer.public_key_pem()).build().await.unwrap(),
    );
    let jwt_authorizer_routes = Router::new()
        .route("/peer/jwt-authorizer", get(|| async { "ok" }))
        .layer(middleware::from_fn(move |request, next| jwt_authorizer_check(Arc::clone(&authorizer), request, next)));

    let layered = Router::new().route("/layered", get(|| async { "ok" })).layer(tower_layer::Identity::new());
    let app = Router::new()
        .route("/open", get(|| async { "ok" }))
        .merge(layered)
        .merge(ours)
        .merge(clerk_rs_routes)
        .merge(jwt_authorizer_routes);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    println!("token={}", admin_token(&issuer, "sess_e2e"));
    println!("pem={}", issuer.public_key_pem().replace('\n', "\\n"));
    if let Some(pk) = &publishable_key {
        println!("cookie_suffix={}", pk.cookie_suffix());
    }
    println!("listening={}", listener.local_addr().unwrap());
    let outer = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("outer_listening={}", outer.local_addr().unwrap());
    let make_service = axum::ServiceExt::<Request>::into_make_service(whole_app);
    tokio::spawn(async move { axum::serve(outer, make_service).await });
    axum::serve(listener, app).await.unwrap();
}

//! The demo site's routes, one per example of Clerk's `auth()` page (`shared/seed`), plus the
//! embedded development issuer's sign-in pages.

pub mod clerk_permissions;
mod dev;
mod pages;
mod webhooks;

use axum::extract::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_clerk::testing::TestIssuer;
use axum_clerk::{
    auth, protect, AcceptsToken, Auth, Check, Clerk, ClerkConfig, ClerkLayer, GetToken, Protect, ProtectLayer,
    RequireDecision, WebhookVerifier, CONFIG_VARIABLES,
};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub use dev::{DemoUser, DEMO_USERS};

/// How the demo authenticates.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The embedded development issuer signs users in; its JWKS is served by the demo itself
    /// under `/__dev/issuer` and read over HTTP like Clerk's Backend API.
    Development(TestIssuer),
    /// Real Clerk (or any issuer) configured from `CLERK_*` variables; no built-in sign-in.
    Clerk,
}

/// Reads `PORT` (default 3000) and the `CLERK_*` variables, then serves until Ctrl-C.
///
/// # Errors
/// A message naming the variable that is malformed, or why the port cannot be bound.
pub async fn run_from_env() -> Result<(), String> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.trim().parse().map_err(|_| format!("PORT: `{p}` is not a port number"))?,
        Err(_) => 3000,
    };
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let clerk_configured = choose_mode(&vars)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (clerk, mode) = if clerk_configured {
        let config = ClerkConfig::from_env().map_err(|e| e.to_string())?;
        (Clerk::new(config).map_err(|e| e.to_string())?, Mode::Clerk)
    } else {
        let issuer = TestIssuer::new();
        let clerk = dev_clerk(&issuer, addr, |name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
        (clerk, Mode::Development(issuer))
    };
    match &mode {
        Mode::Development(_) => println!(
            "dashboard: http://{addr}/ — development issuer (no CLERK_* variable is set; anyone can sign in as a demo user)"
        ),
        Mode::Clerk => println!("dashboard: http://{addr}/ — Clerk, configured from the CLERK_* variables"),
    }
    axum::serve(listener, app(clerk, mode))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

/// Which mode the environment asks for, explicitly: the development issuer only when no Clerk
/// variable is set at all (`Ok(false)`); real Clerk when they name a key source (`Ok(true)`).
/// A Clerk-looking variable the demo does not know (a typo), or Clerk variables without a key
/// source, is an error naming it — never a silent fall-back to the issuer that signs anyone in.
///
/// # Errors
/// What is missing or misspelled.
pub fn choose_mode(vars: &[(String, String)]) -> Result<bool, String> {
    let set: Vec<&str> = vars
        .iter()
        .filter(|(name, value)| {
            (name.starts_with("CLERK_") || name.starts_with("NEXT_PUBLIC_CLERK_")) && !value.trim().is_empty()
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if let Some(unknown) = set.iter().find(|name| !CONFIG_VARIABLES.contains(name)) {
        return Err(format!(
            "{unknown} is not a variable the demo reads; Clerk's are: {}",
            CONFIG_VARIABLES.join(", ")
        ));
    }
    if set.is_empty() {
        return Ok(false);
    }
    if !set.iter().any(|name| ["CLERK_SECRET_KEY", "CLERK_JWT_KEY", "CLERK_JWKS_URL"].contains(name)) {
        return Err(format!(
            "{} set, but no key to verify tokens with: set CLERK_SECRET_KEY (or CLERK_JWT_KEY / CLERK_JWKS_URL), or unset \
             every CLERK_* variable to run with the development issuer",
            set.join(", ")
        ));
    }
    Ok(true)
}

/// The configuration of development mode: a development instance (the issuer's `pk_test_`
/// key) whose Frontend API and Backend API are this server's `/__dev/issuer`, so that Clerk's
/// handshake and dev-browser flow run against the embedded issuer; sign-in is `/sign-in`.
/// `CLERK_AUTHORIZED_PARTIES` and the rest still apply.
///
/// # Errors
/// A malformed variable.
pub fn dev_clerk(
    issuer: &TestIssuer,
    addr: SocketAddr,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Clerk, axum_clerk::ConfigError> {
    let api = format!("http://{addr}/__dev/issuer");
    let config = ClerkConfig::from_vars(|name| match name {
        "CLERK_SECRET_KEY" => Some(issuer.secret_key().to_owned()),
        "CLERK_PUBLISHABLE_KEY" => Some(issuer.publishable_key()),
        "CLERK_API_URL" | "CLERK_PROXY_URL" => Some(api.clone()),
        "CLERK_SIGN_IN_URL" => Some("/sign-in".to_owned()),
        "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY" | "CLERK_JWT_KEY" | "CLERK_JWKS_URL" => None,
        other => env(other),
    })?;
    Clerk::new(config)
}

/// The whole site.
pub fn app(clerk: Clerk, mode: Mode) -> Router {
    let dashboard = Router::new()
        .route("/dashboard", get(pages::dashboard))
        .route("/dashboard/{*rest}", get(pages::dashboard_section))
        .route_layer(ProtectLayer::new(Protect::signed_in()));
    let mut site = Router::new()
        .route("/", get(pages::home))
        .route("/team-settings", get(team_settings))
        .route("/role", get(role))
        .route("/api/teams", post(create_team))
        .route("/api/data", get(data))
        .route("/api/me", get(me))
        .route("/api/machine", get(machine))
        .route("/webhooks", get(webhooks::page))
        .route("/api/keys-only", get(keys_only))
        .merge(dashboard);
    let issuer = match mode {
        Mode::Development(issuer) => {
            site = site.merge(dev::sign_in_routes(issuer.clone()));
            Some(issuer)
        }
        Mode::Clerk => None,
    };
    // Clerk's webhooks: verified with CLERK_WEBHOOK_SIGNING_SECRET, or the development issuer's
    // secret; without either the route answers 500 (misconfigured), never an unverified event.
    let verifier = match &issuer {
        Some(issuer) => WebhookVerifier::new([issuer.webhook_secret()]).ok(),
        None => WebhookVerifier::from_env().ok(),
    };
    let mut receive = post(webhooks::receive);
    if let Some(verifier) = verifier {
        receive = receive.layer(Extension(verifier));
    }
    let site = site.route("/api/webhooks/clerk", receive).layer(Extension(webhooks::Received::default()));
    // With real Clerk and a publishable key, pages load ClerkJS from the instance.
    let chrome = match (&issuer, clerk.config().publishable_key()) {
        (None, Some(pk)) => pages::Site::with_clerk_js(pk.as_str(), pk.frontend_api()),
        _ => pages::Site::default(),
    };
    // Every token type is verified here; each route says which it takes.
    // Deny by default: a route added without #[public], #[auth] or #[protect] (or another
    // authorization decision) answers 404 until someone decides.
    let layer = ClerkLayer::new(clerk).accepts_token(AcceptsToken::ANY).require_decision(RequireDecision::Deny);
    let mut app = site
        .layer(layer)
        .layer(Extension(chrome))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/site.css", get(pages::stylesheet));
    if let Some(issuer) = issuer {
        app = app.nest("/__dev/issuer", issuer.router());
    }
    app
}

/// "Use `has()` to check if a user is authorized": the settings only with the permission, a
/// page saying so otherwise (403).
#[auth]
async fn team_settings(Extension(site): Extension<pages::Site>) -> Response {
    let allowed = auth.has(&Check::permission(clerk_permissions::permissions::TEAM_SETTINGS_MANAGE));
    let page = pages::MessagePage {
        chrome: pages::Chrome::new("Team Settings", &auth, &site),
        heading: if allowed { "Team Settings" } else { "You don't have access" }.to_owned(),
        text: if allowed {
            "You can manage this organization's teams.".to_owned()
        } else {
            "Team settings need the org:team_settings:manage permission in your active organization.".to_owned()
        },
        muted: !allowed,
    };
    let status = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
    (status, pages::render(&page)).into_response()
}

/// "Check your current user's role".
#[auth]
async fn role(Extension(site): Extension<pages::Site>) -> Response {
    let role = auth.org_role().unwrap_or("none");
    pages::render(&pages::MessagePage {
        chrome: pages::Chrome::new("Role", &auth, &site),
        heading: "Your role".to_owned(),
        text: format!("Your current role is {role}"),
        muted: false,
    })
}

#[derive(Deserialize)]
struct NewTeam {
    name: String,
}

/// "Use `protect()` to check if a user is authorized": the check runs before the JSON body is read.
#[protect(permission = "org:team_settings:manage")]
async fn create_team(Json(team): Json<NewTeam>) -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::CREATED,
        Json(json!({ "team": { "name": team.name, "orgId": auth.org_id() }, "userId": auth.user_id() })),
    )
}

/// "Use `auth()` for data fetching": 401 when signed out, else a `supabase` template token.
#[auth]
async fn data() -> Response {
    if !auth.is_signed_in() {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    match auth.get_token(&GetToken::template("supabase")).await {
        Ok(Some(token)) => {
            Json(json!({ "data": { "userId": auth.user_id(), "template": "supabase", "token": token } }))
                .into_response()
        }
        Ok(None) => (StatusCode::UNAUTHORIZED, "Unauthorized").into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

/// "Use `auth()` to retrieve `userId`": the whole auth object, Clerk-named.
#[auth]
async fn me(auth: Auth) -> Json<Auth> {
    Json(auth)
}

/// Any token type (`acceptsToken: 'any'`): the auth object of a session or of a machine (API
/// key, M2M or OAuth token) in Clerk's field names; 401 without a valid token.
#[protect(token = "any")]
async fn machine() -> Json<Auth> {
    Json(auth.into_auth())
}

/// API keys only: 401 for a session, an M2M or OAuth token, or no token.
#[protect(token = "api_key")]
async fn keys_only() -> Json<Auth> {
    Json(auth.into_auth())
}

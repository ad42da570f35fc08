//! The README quick start, built by CI so it stays true.
use axum::{
    routing::{get, post},
    Json, Router,
};
use axum_clerk::{auth, protect, Check, Clerk, ClerkConfig, ClerkLayer, Protect, ProtectLayer};

#[derive(serde::Deserialize)]
struct NewTeam {
    name: String,
}

#[protect(permission = "org:team_settings:manage")] // checked before the body is read
async fn create_team(Json(team): Json<NewTeam>) -> String {
    format!("{} created {}", auth.user_id(), team.name) // `auth` is bound, user_id() is a &str
}

#[auth] // signed in or not
async fn team_settings() -> &'static str {
    if auth.has(&Check::permission("org:team_settings:manage")) {
        "<h1>Team Settings</h1>"
    } else {
        ""
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clerk = Clerk::new(ClerkConfig::from_env()?)?; // CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, …
    let dashboard = Router::new()
        .route("/dashboard", get(|| async { "dashboard" }))
        .route_layer(ProtectLayer::new(Protect::signed_in())); // like auth.protect() in layout.tsx
    let app = Router::new()
        .route("/api/teams", post(create_team))
        .route("/team-settings", get(team_settings))
        .merge(dashboard)
        .layer(ClerkLayer::new(clerk)); // authenticates each request once
    axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
    Ok(())
}

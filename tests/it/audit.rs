//! The route inventory and deny-by-default (issue: authorization you can audit): handlers
//! declared with `#[public]`, `#[auth]` and `#[protect]` are listed at run time, and
//! `ClerkLayer::require_decision` catches a response produced without any decision.

use axum::routing::get;
use axum::Router;
use axum_clerk::{
    auth, declared_routes, protect, public, Access, Auth, ClerkLayer, Protect, ProtectLayer, RequireDecision,
};

use crate::common::*;

#[public]
async fn landing() -> &'static str {
    "landing"
}

#[public]
async fn landing_with_viewer(viewer: Option<Auth>) -> String {
    viewer.map_or_else(|| "anonymous".to_owned(), |a| a.user_id().unwrap_or_default().to_owned())
}

#[auth]
async fn whoami() -> String {
    auth.user_id().unwrap_or("nobody").to_owned()
}

#[protect(role = "org:admin")]
async fn admin_only() -> &'static str {
    "admin"
}

async fn forgotten() -> &'static str {
    "forgotten"
}

async fn reads_the_extractor(auth: Auth) -> String {
    auth.is_signed_in().to_string()
}

async fn calls_auth_fn() -> String {
    axum_clerk::auth().map(|a| a.is_signed_in().to_string()).unwrap_or_default()
}

fn app(mode: RequireDecision) -> Router {
    Router::new()
        .route("/landing", get(landing))
        .route("/landing-viewer", get(landing_with_viewer))
        .route("/whoami", get(whoami))
        .route("/admin", get(admin_only))
        .route("/forgotten", get(forgotten))
        .route("/extractor", get(reads_the_extractor))
        .route("/auth-fn", get(calls_auth_fn))
        .route("/layered", get(forgotten).route_layer(ProtectLayer::new(Protect::signed_in())))
        .layer(ClerkLayer::new(clerk(pem_config())).require_decision(mode))
}

#[test]
fn every_declared_handler_is_listed_with_where_it_is_and_what_it_requires() {
    let routes = declared_routes();
    let find = |name: &str| *routes.iter().find(|r| r.function == name).unwrap_or_else(|| panic!("{name} is listed"));
    let landing = find("landing");
    assert_eq!((landing.module, landing.access, landing.rule), ("it::audit", Access::Public, ""));
    assert!(landing.file.ends_with("audit.rs"), "{}", landing.file);
    assert_eq!(landing.line, 14, "the line of the function's name");
    assert_eq!(find("whoami").access, Access::Auth);
    let admin = find("admin_only");
    assert_eq!((admin.access, admin.rule), (Access::Protect, r#"role = "org:admin""#));
    assert!(routes.iter().all(|r| r.function != "forgotten"), "an undeclared handler is not listed");
    // The handlers of the other modules are there too, sorted by module then name.
    assert!(routes.iter().any(|r| r.module == "it::macros" && r.function == "by_permission"));
    assert!(routes.windows(2).all(|w| (w[0].module, w[0].function) <= (w[1].module, w[1].function)));
}

#[tokio::test]
async fn deny_answers_404_to_a_route_that_made_no_decision_and_lets_the_others_through() {
    let app = app(RequireDecision::Deny);
    let (k, admin) = bearer(&mint_mock(serde_json::json!({"org_id": "org_1", "org_role": "org:admin"})));
    let status = |path: &'static str, signed_in: bool| {
        let app = app.clone();
        let admin = admin.clone();
        async move {
            let headers: Vec<(&str, &str)> = if signed_in { vec![(k, admin.as_str())] } else { vec![] };
            let reply = send(&app, "GET", path, &headers).await;
            (reply.status.as_u16(), reply.body)
        }
    };
    assert_eq!(status("/forgotten", true).await, (404, String::new()), "no decision: 404, even signed in");
    assert_eq!(status("/landing", false).await, (200, "landing".to_owned()));
    assert_eq!(status("/landing-viewer", false).await, (200, "anonymous".to_owned()));
    assert_eq!(status("/whoami", false).await, (200, "nobody".to_owned()));
    assert_eq!(status("/admin", true).await, (200, "admin".to_owned()));
    assert_eq!(status("/admin", false).await.0, 404, "protect's own answer");
    assert_eq!(status("/extractor", false).await, (200, "false".to_owned()));
    assert_eq!(status("/auth-fn", true).await, (200, "true".to_owned()));
    assert_eq!(status("/layered", true).await, (200, "forgotten".to_owned()), "ProtectLayer decided");
}

#[tokio::test]
async fn log_lets_the_response_through_and_names_the_route() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt().with_writer(captured.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let reply = send(&app(RequireDecision::Log), "GET", "/forgotten", &[]).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "forgotten"));
    send(&app(RequireDecision::Log), "GET", "/landing", &[]).await;
    let log = captured.text();
    assert!(log.contains("without any authorization decision") && log.contains("path=\"/forgotten\""), "{log}");
    assert!(!log.contains("/landing"), "{log}");
}

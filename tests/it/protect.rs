//! `protect`: every row of clerk-semantics §1.6 and the §1.7 cases that mean something outside
//! Next.js, plus the extensions (503 on key outage, htmx, API status hook, route trees).

use crate::common::*;
use axum::extract::Request;
use axum::routing::{get, post};
use axum::Router;
use axum_clerk::{
    auth, Auth, Check, ClerkConfigBuilder, ClerkLayer, Denial, JwksOptions, Protect, ProtectLayer, SignedIn,
};
use http::StatusCode;
use serde_json::json;

const PK: &str = "pk_test_Y2xlcmsuaW5jbHVkZWQua2F0eWRpZC05Mi5sY2wuZGV2JA";
const SIGN_IN: &str = "https://accounts.included.katydid-92.lcl.dev/sign-in";
/// A browser of this development instance has its dev-browser token; without it, a page request
/// goes through Clerk's handshake before any handler (see `case_09_and_10_…`).
const DEV_BROWSER: (&str, &str) = ("cookie", "__clerk_db_jwt=test_jwt");
const DB: &str = "&__clerk_db_jwt=test_jwt";

fn config() -> ClerkConfigBuilder {
    pem_config().publishable_key(PK).app_origin("https://www.clerk.com")
}

/// A route per rule, each answering "ok <user>" when let through.
fn app_with(config: ClerkConfigBuilder) -> Router {
    fn route(rule: Protect) -> axum::routing::MethodRouter {
        get(move |auth: Auth| {
            let rule = rule.clone();
            async move {
                match auth.protect(&rule) {
                    Ok(user) => Ok(format!("ok {}", user.user_id())),
                    Err(rejection) => Err(rejection),
                }
            }
        })
    }
    Router::new()
        .route("/protected", route(Protect::signed_in()))
        .route("/role", route(Protect::role("random-role")))
        .route("/admin", route(Protect::role("org:admin")))
        .route("/hello", route(Protect::signed_in().unauthenticated_url("https://www.clerk.com/hello")))
        .route(
            "/both",
            route(
                Protect::role("random-role")
                    .unauthorized_url("https://www.clerk.com/discover")
                    .unauthenticated_url("https://www.clerk.com/hello"),
            ),
        )
        .route(
            "/permission",
            route(
                Protect::permission("random-permission")
                    .unauthenticated_url("https://www.clerk.com/unauthenticatedUrl")
                    .unauthorized_url("https://www.clerk.com/unauthorizedUrl"),
            ),
        )
        .route("/denied", route(Protect::role("random-role").unauthorized_url("/denied-page")))
        .route("/only-url", route(Protect::signed_in().unauthorized_url("https://www.clerk.com/denied")))
        .route(
            "/predicate",
            route(Protect::predicate(|a| a.has(&Check::permission("org:a:b")) || a.org_slug() == Some("acme"))),
        )
        .route("/bad-target", route(Protect::role("x").unauthorized_url("javascript:alert(1)")))
        .layer(ClerkLayer::new(clerk(config)))
}

fn app() -> Router {
    app_with(config())
}

fn member_token() -> String {
    mint_mock(json!({"org_id": "org_1", "org_role": "org:member", "org_slug": "other", "org_permissions": ["org:a:b"]}))
}

fn admin_token() -> String {
    mint_mock(json!({"org_id": "org_1", "org_role": "org:admin", "org_slug": "acme", "org_permissions": []}))
}

async fn as_user(path: &str, token: &str, extra: &[(&str, &str)]) -> Reply {
    let (k, v) = bearer(token);
    send(&app(), "GET", path, &[&[(k, v.as_str())], extra].concat()).await
}

// ---- §1.6 decision table ------------------------------------------------------------------

#[tokio::test]
async fn row_1_signed_out_with_unauthenticated_url_redirects_there_for_any_request_kind() {
    for headers in [&[PAGE, DEV_BROWSER][..], &[][..]] {
        let reply = send(&app(), "GET", "/hello", headers).await;
        assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(reply.header("location"), Some("https://www.clerk.com/hello"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn row_2_signed_out_page_request_redirects_to_sign_in_with_the_current_url() {
    for page in [PAGE, ("sec-fetch-dest", "iframe"), ("accept", "text/html,application/xhtml+xml,*/*;q=0.8")] {
        let reply = send(&app(), "GET", "/protected", &[page, DEV_BROWSER]).await;
        assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{page:?}");
        assert_eq!(
            reply.header("location"),
            Some(&*format!("{SIGN_IN}?redirect_url=https%3A%2F%2Fwww.clerk.com%2Fprotected{DB}"))
        );
        assert_eq!(reply.header("x-clerk-auth-status"), Some("signed-out"));
    }
}

#[tokio::test]
async fn row_4_signed_out_api_request_is_404_with_an_empty_body() {
    for headers in
        [&[][..], &[("sec-fetch-dest", "empty"), ("accept", "application/json")][..], &[("accept", "*/*")][..]]
    {
        let reply = send(&app(), "GET", "/protected", headers).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.body, "");
        assert!(reply.header("location").is_none());
    }
}

#[tokio::test]
async fn row_5_signed_in_and_authorized_or_no_params_passes() {
    assert_eq!(as_user("/protected", &member_token(), &[PAGE]).await.body, "ok user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(as_user("/admin", &admin_token(), &[]).await.body, "ok user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
}

#[tokio::test]
async fn row_6_signed_in_unauthorized_with_unauthorized_url_redirects_there() {
    let reply = as_user("/both", &member_token(), &[PAGE]).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(reply.header("location"), Some("https://www.clerk.com/discover"));
}

#[tokio::test]
async fn row_7_signed_in_unauthorized_is_404_even_for_a_page_request() {
    for headers in [&[PAGE][..], &[][..]] {
        let reply = as_user("/role", &member_token(), headers).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "never a sign-in redirect: it would loop");
    }
}

// ---- §1.7 cases -----------------------------------------------------------------------------

#[tokio::test]
async fn case_07_signed_out_with_both_urls_goes_to_unauthenticated_url() {
    let reply = send(&app(), "GET", "/permission", &[PAGE, DEV_BROWSER]).await;
    assert_eq!(reply.header("location"), Some("https://www.clerk.com/unauthenticatedUrl"));
}

#[tokio::test]
async fn case_08_signed_in_without_permission_goes_to_unauthorized_url() {
    let reply = as_user("/permission", &member_token(), &[PAGE]).await;
    assert_eq!(reply.header("location"), Some("https://www.clerk.com/unauthorizedUrl"));
}

#[tokio::test]
async fn case_09_and_10_sign_in_location_is_exact_and_carries_the_dev_browser_token() {
    // Without a dev browser, a development instance's page request is a handshake first.
    let reply = send(&app(), "GET", "/protected", &[PAGE]).await;
    assert_eq!(
        reply.header("location"),
        Some(
            "https://clerk.included.katydid-92.lcl.dev/v1/client/handshake?redirect_url=https%3A%2F%2Fwww.clerk.com\
             %2Fprotected&__clerk_api_version=2026-05-12&suffixed_cookies=false&__clerk_hs_reason=dev-browser-missing\
             &format=nonce"
        )
    );
    assert_eq!(reply.header("x-clerk-auth-status"), Some("handshake"));
    let reply = send(&app(), "GET", "/protected", &[PAGE, ("cookie", "__clerk_db_jwt=test_jwt")]).await;
    assert_eq!(
        reply.header("location"),
        Some(&*format!("{SIGN_IN}?redirect_url=https%3A%2F%2Fwww.clerk.com%2Fprotected&__clerk_db_jwt=test_jwt"))
    );
}

#[tokio::test]
async fn case_19_role_and_unauthorized_url_in_one_rule_still_checks_the_role() {
    // The mixed-argument bypass (#8372): the role must not be dropped.
    let reply = as_user("/denied", &member_token(), &[PAGE]).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(reply.header("location"), Some("https://www.clerk.com/denied-page"), "relative target made absolute");
}

#[tokio::test]
async fn case_21_authorized_role_with_unauthorized_url_passes() {
    let app = Router::new()
        .route(
            "/",
            get(|auth: Auth| async move {
                auth.protect(&Protect::role("org:admin").unauthorized_url("/denied")).map(|_| "ok")
            }),
        )
        .layer(ClerkLayer::new(clerk(config())));
    let (k, v) = bearer(&admin_token());
    assert_eq!(send(&app, "GET", "/", &[(k, &v)]).await.body, "ok");
}

#[tokio::test]
async fn case_22_only_a_url_option_means_signed_in_only() {
    assert_eq!(as_user("/only-url", &member_token(), &[PAGE]).await.status, StatusCode::OK);
}

// ---- beyond Clerk -------------------------------------------------------------------------

#[tokio::test]
async fn custom_predicate_over_has_decides() {
    assert_eq!(as_user("/predicate", &member_token(), &[]).await.status, StatusCode::OK, "has permission");
    assert_eq!(as_user("/predicate", &admin_token(), &[]).await.status, StatusCode::OK, "slug acme");
    let neither =
        mint_mock(json!({"org_id": "org_1", "org_role": "org:member", "org_slug": "x", "org_permissions": []}));
    assert_eq!(as_user("/predicate", &neither, &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn htmx_requests_get_hx_redirect_instead_of_a_307() {
    let reply = send(&app(), "GET", "/protected", &[("hx-request", "true")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("hx-redirect"),
        Some(&*format!("{SIGN_IN}?redirect_url=https%3A%2F%2Fwww.clerk.com%2Fprotected"))
    );
    assert!(reply.header("location").is_none());
    let reply = as_user("/both", &member_token(), &[("hx-request", "true")]).await;
    assert_eq!(reply.header("hx-redirect"), Some("https://www.clerk.com/discover"));
}

#[tokio::test]
async fn api_rejection_status_hook_turns_404s_into_401_and_403() {
    let app = app_with(config().api_rejection_status(|d| match d {
        Denial::Unauthenticated => StatusCode::UNAUTHORIZED,
        Denial::Unauthorized => StatusCode::FORBIDDEN,
    }));
    assert_eq!(send(&app, "GET", "/protected", &[]).await.status, StatusCode::UNAUTHORIZED);
    let (k, v) = bearer(&member_token());
    assert_eq!(send(&app, "GET", "/role", &[(k, &v)]).await.status, StatusCode::FORBIDDEN);
    let reply = send(&app, "GET", "/protected", &[PAGE]).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "page requests still go to sign-in");
}

#[tokio::test]
async fn key_outage_is_503_with_retry_after_never_a_sign_in_redirect() {
    let server = JwksServer::clerk_fixture().await;
    server.set_raw(StatusCode::BAD_GATEWAY, "");
    let opts =
        JwksOptions { max_attempts: 1, failure_backoff: std::time::Duration::from_secs(7), ..JwksOptions::default() };
    let app = app_with(server.config().publishable_key(PK).jwks_options(opts));
    let (k, v) = bearer(&fx("mockJwt"));
    for headers in [vec![(k, v.as_str()), PAGE], vec![(k, v.as_str())], vec![(k, v.as_str()), ("hx-request", "true")]] {
        let reply = send(&app, "GET", "/protected", &headers).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{headers:?}");
        assert_eq!(reply.header("retry-after"), Some("7"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert!(reply.header("location").is_none() && reply.header("hx-redirect").is_none());
        assert_eq!(reply.header("x-clerk-auth-reason"), Some("jwk-remote-failed-to-load"));
    }
}

#[tokio::test]
async fn pending_session_page_request_goes_to_sign_in_tasks() {
    let (k, v) = bearer(&mint_mock(json!({"sts": "pending"})));
    let reply = send(&app(), "GET", "/protected", &[(k, &v), PAGE]).await;
    assert_eq!(
        reply.header("location"),
        Some(&*format!("{SIGN_IN}/tasks?redirect_url=https%3A%2F%2Fwww.clerk.com%2Fprotected"))
    );
}

#[axum_clerk::protect]
async fn macro_protected() -> String {
    format!("ok {}", auth.user_id())
}

#[tokio::test]
async fn a_pending_session_never_passes_protect_even_when_configured_signed_in() {
    // Clerk's `protect` treats `pending` as unauthenticated whatever `treatPendingAsSignedOut`
    // says; `auth()` may call the session signed in, `protect` still sends it to its tasks.
    let routes = Router::new()
        .route("/protected", get(|auth: Auth| async move { auth.protect(&Protect::signed_in()).map(|_| "ok") }))
        .route("/signed-in", get(|_: SignedIn| async { "ok" }))
        .route("/macro", get(macro_protected))
        .merge(
            Router::new().route("/layer", get(|| async { "ok" })).route_layer(ProtectLayer::new(Protect::signed_in())),
        )
        .route("/me", get(|auth: Auth| async move { format!("{:?} {:?}", auth.user_id(), auth.session_status()) }));
    let app = routes.layer(ClerkLayer::new(clerk(config().pending_sessions_signed_in(true))));
    let (k, v) = bearer(&mint_mock(json!({"sts": "pending"})));
    let me = send(&app, "GET", "/me", &[(k, &v)]).await;
    assert_eq!(me.body, "Some(\"user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr\") Some(\"pending\")", "auth() calls it signed in");
    for path in ["/protected", "/signed-in", "/macro", "/layer"] {
        let api = send(&app, "GET", path, &[(k, &v)]).await;
        assert_eq!(api.status, StatusCode::NOT_FOUND, "{path}: {}", api.body);
        let page = send(&app, "GET", path, &[(k, &v), PAGE]).await;
        assert_eq!(page.status, StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert!(page.header("location").unwrap().starts_with(&format!("{SIGN_IN}/tasks?")), "{path}");
    }
}

#[tokio::test]
async fn a_malformed_redirect_target_in_code_is_a_500_not_a_redirect() {
    let reply = as_user("/bad-target", &member_token(), &[PAGE]).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.header("location").is_none());
}

async fn whoami(user: SignedIn) -> String {
    let id: &str = user.user_id();
    format!("{id} in {:?}", user.org_id())
}

#[tokio::test]
async fn signed_in_extractor_is_protect_without_arguments() {
    let app = Router::new().route("/", get(whoami)).layer(ClerkLayer::new(clerk(config())));
    let (k, v) = bearer(&admin_token());
    assert_eq!(send(&app, "GET", "/", &[(k, &v)]).await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr in Some(\"org_1\")");
    assert_eq!(send(&app, "GET", "/", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, "GET", "/", &[PAGE]).await.status, StatusCode::TEMPORARY_REDIRECT);
}

// ---- route-tree protection (layout.tsx + auth.protect()) ---------------------------------

fn dashboard_app() -> Router {
    let dashboard = Router::new()
        .route("/", get(|| async { "dashboard" }))
        .route("/settings", get(|| async { "settings" }))
        .route(
            "/teams",
            post(|_: Request| async move {
                format!("created by {:?}", auth().ok().and_then(|a| a.user_id().map(str::to_owned)))
            }),
        )
        .route_layer(ProtectLayer::new(Protect::signed_in()));
    let admin =
        Router::new().route("/", get(|| async { "admin" })).route_layer(ProtectLayer::new(Protect::role("org:admin")));
    Router::new()
        .route("/", get(|| async { "home" }))
        .nest("/dashboard", dashboard)
        .nest("/admin", admin)
        .layer(ClerkLayer::new(clerk(config())))
}

#[tokio::test]
async fn a_protect_layer_covers_every_route_below_it() {
    let app = dashboard_app();
    for path in ["/dashboard", "/dashboard/settings"] {
        let reply = send(&app, "GET", path, &[PAGE, DEV_BROWSER]).await;
        assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{path}");
        let expected =
            format!("{SIGN_IN}?redirect_url=https%3A%2F%2Fwww.clerk.com%2F{}{DB}", &path[1..].replace('/', "%2F"));
        assert_eq!(reply.header("location"), Some(expected.as_str()));
        assert_eq!(send(&app, "GET", path, &[]).await.status, StatusCode::NOT_FOUND);
        let (k, v) = bearer(&member_token());
        assert_eq!(send(&app, "GET", path, &[(k, &v)]).await.status, StatusCode::OK);
    }
    assert_eq!(send(&app, "GET", "/", &[]).await.body, "home", "routes outside stay public");
    let (k, v) = bearer(&member_token());
    assert_eq!(
        send(&app, "POST", "/dashboard/teams", &[(k, &v)]).await.body,
        "created by Some(\"user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr\")"
    );
    assert_eq!(send(&app, "GET", "/dashboard/nope", &[(k, &v)]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_protect_layer_with_a_role_refuses_other_members() {
    let app = dashboard_app();
    let (k, v) = bearer(&member_token());
    assert_eq!(send(&app, "GET", "/admin", &[(k, &v), PAGE]).await.status, StatusCode::NOT_FOUND);
    let (k, v) = bearer(&admin_token());
    assert_eq!(send(&app, "GET", "/admin", &[(k, &v)]).await.body, "admin");
}

#[tokio::test]
async fn a_protect_layer_without_clerk_layer_is_a_500() {
    let app: Router =
        Router::new().route("/", get(|| async { "x" })).route_layer(ProtectLayer::new(Protect::signed_in()));
    let reply = send(&app, "GET", "/", &[]).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.body.contains("ClerkLayer"));
}

#[tokio::test]
async fn a_user_who_must_verify_again_gets_clerks_reverification_error_when_the_rule_asks_for_it() {
    use axum_clerk::{Reverification, ReverificationLevel};
    let strict = Check::reverification(Reverification::Strict);
    let custom = Reverification::Custom { level: ReverificationLevel::FirstFactor, after_minutes: 5 };
    let app = Router::new()
        .route(
            "/strict",
            get(|| async { "ok" })
                .route_layer(ProtectLayer::new(Protect::check(strict.clone()).reverification_error())),
        )
        .route(
            "/custom",
            get(|| async { "ok" })
                .route_layer(ProtectLayer::new(Protect::check(Check::reverification(custom)).reverification_error())),
        )
        .route("/default", get(|| async { "ok" }).route_layer(ProtectLayer::new(Protect::check(strict.clone()))))
        .route(
            "/and-permission",
            get(|| async { "ok" }).route_layer(ProtectLayer::new(
                Protect::check(strict.and_permission("org:a:b")).reverification_error(),
            )),
        )
        .layer(ClerkLayer::new(clerk(config())));
    let stale = mint_mock(json!({"fva": [20, 20], "org_id": "org_1", "org_role": "org:member", "org_permissions": []}));
    let fresh = mint_mock(json!({"fva": [1, 1]}));
    let call = |path: &'static str, token: &str| {
        let (k, v) = bearer(token);
        let app = app.clone();
        async move { send(&app, "GET", path, &[(k, v.as_str())]).await }
    };
    let reply = call("/strict", &stale).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        body,
        json!({"clerk_error": {"type": "forbidden", "reason": "reverification-error", "metadata": {"reverification": "strict"}}})
    );
    let body: serde_json::Value = serde_json::from_str(&call("/custom", &stale).await.body).unwrap();
    assert_eq!(body["clerk_error"]["metadata"]["reverification"], json!({"level": "first_factor", "afterMinutes": 5}));
    assert_eq!(call("/strict", &fresh).await.status, StatusCode::OK);
    assert_eq!(call("/default", &stale).await.status, StatusCode::NOT_FOUND, "Clerk's protect default");
    assert_eq!(call("/and-permission", &stale).await.status, StatusCode::NOT_FOUND, "the permission fails too");
}

//! `#[auth]` and `#[protect]` through a real `Router`: every argument form against the request
//! matrix (signed-out page, signed-out API, signed-in unauthorized, authorized), the check
//! running before any other extractor, the extractor shapes that must keep working, and
//! equivalence with the same rule written by hand.

use crate::common::*;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_clerk::{auth, protect, Auth, Check, ClerkLayer, Protect, SignedIn};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

const PK: &str = "pk_test_Y2xlcmsuaW5jbHVkZWQua2F0eWRpZC05Mi5sY2wuZGV2JA";
const SIGN_IN: &str = "https://accounts.included.katydid-92.lcl.dev/sign-in";
const MANAGE: &str = "org:team_settings:manage";

fn layer() -> ClerkLayer {
    ClerkLayer::new(clerk(pem_config().publishable_key(PK).app_origin("https://app.example.com")))
}

fn admin() -> String {
    mint_mock(json!({
        "org_id": "org_1", "org_role": "org:admin", "org_slug": "acme",
        "org_permissions": [MANAGE, "org:billing:read"],
        "fea": "o:teams,u:beta", "pla": "o:pro", "fva": [3, 5]
    }))
}

fn member() -> String {
    mint_mock(json!({
        "org_id": "org_1", "org_role": "org:member", "org_slug": "acme",
        "org_permissions": ["org:team_settings:read"], "fea": "u:dashboard", "pla": "u:free", "fva": [90, -1]
    }))
}

#[protect]
async fn signed_in_only() -> String {
    format!("hello {}", auth.user_id())
}

#[protect(permission = "org:team_settings:manage")]
async fn by_permission() -> &'static str {
    "ok"
}

#[protect(permission = MANAGE)]
async fn by_permission_const() -> &'static str {
    "ok"
}

#[protect(role = "org:admin")]
async fn by_role() -> &'static str {
    "ok"
}

#[protect(feature = "o:teams")]
async fn by_feature() -> &'static str {
    "ok"
}

#[protect(plan = "pro")]
async fn by_plan() -> &'static str {
    "ok"
}

#[protect(reverification = "strict")]
async fn by_reverification() -> &'static str {
    "ok"
}

#[protect(role = "org:admin", permission = "org:billing:read")]
async fn by_role_and_permission() -> &'static str {
    "ok"
}

#[protect(any(role = "org:owner", all(permission = MANAGE, feature = "teams")))]
async fn by_combinators() -> &'static str {
    "ok"
}

#[protect(not(role = "org:member"))]
async fn by_not() -> &'static str {
    "ok"
}

fn slug_is_acme_admin(auth: &Auth) -> bool {
    auth.org_slug() == Some("acme") && auth.has(&Check::role("org:admin"))
}

#[protect(has = slug_is_acme_admin)]
async fn by_fn_predicate() -> &'static str {
    "ok"
}

#[protect(has = |a| a.org_role() == Some("org:admin"))]
async fn by_closure_predicate() -> &'static str {
    "ok"
}

#[protect(role = "org:admin", unauthorized_url = "/no-access", unauthenticated_url = "/welcome")]
async fn with_urls() -> &'static str {
    "ok"
}

fn forms() -> Router {
    Router::new()
        .route("/signed-in", get(signed_in_only))
        .route("/permission", get(by_permission))
        .route("/permission-const", get(by_permission_const))
        .route("/role", get(by_role))
        .route("/feature", get(by_feature))
        .route("/plan", get(by_plan))
        .route("/reverification", get(by_reverification))
        .route("/role-and-permission", get(by_role_and_permission))
        .route("/combinators", get(by_combinators))
        .route("/not", get(by_not))
        .route("/fn-predicate", get(by_fn_predicate))
        .route("/closure-predicate", get(by_closure_predicate))
        .route("/urls", get(with_urls))
        .layer(layer())
}

#[tokio::test]
async fn every_argument_form_follows_the_protect_decision_table() {
    let app = forms();
    let paths = [
        "/permission",
        "/permission-const",
        "/role",
        "/feature",
        "/plan",
        "/reverification",
        "/role-and-permission",
        "/combinators",
        "/not",
        "/fn-predicate",
        "/closure-predicate",
    ];
    let (k, admin) = bearer(&admin());
    let (_, member) = bearer(&member());
    for path in paths {
        // A browser of this development instance, with its dev-browser token.
        let page = send(&app, "GET", path, &[PAGE, ("cookie", "__clerk_db_jwt=db")]).await;
        assert_eq!(page.status, StatusCode::TEMPORARY_REDIRECT, "{path}: signed-out page");
        assert_eq!(
            page.header("location"),
            Some(&*format!("{SIGN_IN}?redirect_url=https%3A%2F%2Fapp.example.com%2F{}&__clerk_db_jwt=db", &path[1..]))
        );
        assert_eq!(send(&app, "GET", path, &[]).await.status, StatusCode::NOT_FOUND, "{path}: signed-out API");
        let refused = send(&app, "GET", path, &[(k, &member), PAGE]).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{path}: signed-in unauthorized");
        let allowed = send(&app, "GET", path, &[(k, &admin)]).await;
        assert_eq!((allowed.status, allowed.body.as_str()), (StatusCode::OK, "ok"), "{path}: authorized");
    }
}

#[tokio::test]
async fn no_arguments_means_signed_in_and_binds_the_signed_in_view() {
    let app = forms();
    let (k, v) = bearer(&member());
    assert_eq!(send(&app, "GET", "/signed-in", &[(k, &v)]).await.body, "hello user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(send(&app, "GET", "/signed-in", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, "GET", "/signed-in", &[PAGE]).await.status, StatusCode::TEMPORARY_REDIRECT);
}

#[tokio::test]
async fn url_arguments_redirect_signed_out_and_unauthorized_requests() {
    let app = forms();
    let reply = send(&app, "GET", "/urls", &[]).await;
    assert_eq!(
        (reply.status, reply.header("location")),
        (StatusCode::TEMPORARY_REDIRECT, Some("https://app.example.com/welcome"))
    );
    let (k, v) = bearer(&member());
    let reply = send(&app, "GET", "/urls", &[(k, &v)]).await;
    assert_eq!(reply.header("location"), Some("https://app.example.com/no-access"));
    let (k, v) = bearer(&admin());
    assert_eq!(send(&app, "GET", "/urls", &[(k, &v)]).await.body, "ok");
}

#[tokio::test]
async fn the_rule_is_described_for_audits() {
    use axum_clerk::__private::ProtectRule as _;
    let rule = __axum_clerk_protect_by_combinators::rule();
    assert_eq!(rule.description(), Some("any(role = \"org:owner\", all(permission = MANAGE, feature = \"teams\"))"));
}

// ---- the check runs before any other extractor ------------------------------------------------

#[derive(Deserialize)]
struct NewTeam {
    name: String,
}

#[protect(permission = "org:team_settings:manage")]
async fn create_team(Json(team): Json<NewTeam>) -> Json<serde_json::Value> {
    Json(json!({ "name": team.name, "userId": auth.user_id() }))
}

#[tokio::test]
async fn an_unauthorized_caller_never_has_its_body_parsed() {
    let app = Router::new().route("/api/teams", post(create_team)).layer(layer());
    let json = ("content-type", "application/json");
    assert_eq!(send(&app, "POST", "/api/teams", &[json]).await.status, StatusCode::NOT_FOUND, "signed out, empty body");
    let (k, v) = bearer(&member());
    let reply = send_body(&app, "/api/teams", &[(k, &v), json], "{not json").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "auth rejection, not 400/422");
    let (k, admin) = bearer(&admin());
    let reply = send_body(&app, "/api/teams", &[(k, &admin), json], "{not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "authorized callers get the Json rejection");
    let reply = send_body(&app, "/api/teams", &[(k, &admin), json], r#"{"name":"core"}"#).await;
    assert_eq!(reply.body, r#"{"name":"core","userId":"user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr"}"#);
}

async fn send_body(app: &Router, uri: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let mut req = http::Request::post(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = app.clone().oneshot(req.body(axum::body::Body::from(body.to_owned())).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

// ---- extractor shapes that must keep working --------------------------------------------------

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[derive(Deserialize)]
struct Paging {
    page: u32,
}

#[protect(role = "org:admin")]
async fn with_state_path_query(State(state): State<AppState>, Path(id): Path<u32>, Query(q): Query<Paging>) -> String {
    format!("{} {} team {id} page {}", state.greeting, auth.user_id(), q.page)
}

#[protect(role = "org:admin")]
async fn with_form(Form(team): Form<NewTeam>) -> impl IntoResponse {
    (StatusCode::CREATED, team.name)
}

#[protect(role = "org:admin")]
async fn with_multipart(mut multipart: Multipart) -> Result<String, StatusCode> {
    let field = multipart.next_field().await.map_err(|_| StatusCode::BAD_REQUEST)?.ok_or(StatusCode::BAD_REQUEST)?;
    Ok(field.name().unwrap_or_default().to_owned())
}

#[protect]
async fn generic<T>(State(state): State<T>) -> String
where
    T: Clone + Send + Sync + std::fmt::Debug + 'static,
{
    format!("{state:?} for {}", auth.user_id())
}

#[tokio::test]
async fn state_path_query_form_multipart_generics_and_return_types_keep_working() {
    let app = Router::new()
        .route("/teams/{id}", get(with_state_path_query))
        .route("/form", post(with_form))
        .route("/upload", post(with_multipart))
        .with_state(AppState { greeting: "hi" })
        .layer(layer());
    let (k, v) = bearer(&admin());
    assert_eq!(
        send(&app, "GET", "/teams/7?page=2", &[(k, &v)]).await.body,
        "hi user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr team 7 page 2"
    );
    let form = ("content-type", "application/x-www-form-urlencoded");
    let reply = send_body(&app, "/form", &[(k, &v), form], "name=core").await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::CREATED, "core"));
    let multipart = ("content-type", "multipart/form-data; boundary=X");
    let body = "--X\r\nContent-Disposition: form-data; name=\"avatar\"\r\n\r\nbytes\r\n--X--\r\n";
    assert_eq!(send_body(&app, "/upload", &[(k, &v), multipart], body).await.body, "avatar");
    let (_, member) = bearer(&member());
    assert_eq!(send_body(&app, "/upload", &[(k, &member), multipart], "garbage").await.status, StatusCode::NOT_FOUND);

    let generic_app = Router::new().route("/", get(generic::<u8>)).with_state(42_u8).layer(layer());
    assert_eq!(send(&generic_app, "GET", "/", &[(k, &v)]).await.body, "42 for user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
}

// ---- #[auth] ----------------------------------------------------------------------------------

#[auth]
async fn whoami() -> String {
    auth.user_id().unwrap_or("signed out").to_owned()
}

#[auth]
async fn already_takes_auth(me: Auth, Path(n): Path<u8>) -> String {
    format!("{n} {}", me.is_signed_in())
}

#[tokio::test]
async fn auth_binds_the_auth_object_signed_in_or_not() {
    let app = Router::new().route("/", get(whoami)).route("/n/{n}", get(already_takes_auth)).layer(layer());
    let (k, v) = bearer(&member());
    assert_eq!(send(&app, "GET", "/", &[(k, &v)]).await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(send(&app, "GET", "/", &[]).await.body, "signed out");
    assert_eq!(send(&app, "GET", "/n/3", &[(k, &v)]).await.body, "3 true");
    let missing_layer = Router::new().route("/", get(whoami));
    assert_eq!(send(&missing_layer, "GET", "/", &[]).await.status, StatusCode::INTERNAL_SERVER_ERROR);
}

// ---- equivalence with the runtime API ------------------------------------------------------------

#[protect(any(role = "org:admin", permission = "org:team_settings:read"), unauthorized_url = "/no-access")]
async fn macro_version() -> String {
    format!("ok {}", auth.user_id())
}

async fn hand_written(auth: Auth) -> Result<String, axum_clerk::ProtectRejection> {
    let rule =
        Protect::predicate(|a| a.has(&Check::role("org:admin")) || a.has(&Check::permission("org:team_settings:read")))
            .unauthorized_url("/no-access");
    let user: SignedIn = auth.protect(&rule)?;
    Ok(format!("ok {}", user.user_id()))
}

#[tokio::test]
async fn a_macro_handler_answers_exactly_like_the_hand_written_rule() {
    let app = Router::new().route("/macro", get(macro_version)).route("/hand", get(hand_written)).layer(layer());
    let outsider = mint_mock(json!({"org_id": "org_2", "org_role": "org:guest", "org_permissions": []}));
    let tokens = [None, Some(admin()), Some(member()), Some(outsider), Some(fx("mockInvalidSignatureJwt"))];
    let kinds: [&[(&str, &str)]; 4] = [&[], &[PAGE], &[("hx-request", "true")], &[("accept", "application/json")]];
    let mut compared = 0;
    for token in &tokens {
        for kind in kinds {
            let mut headers: Vec<(&str, String)> = kind.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            if let Some(token) = token {
                headers.push(bearer(token));
            }
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let a = send(&app, "GET", "/macro", &headers).await;
            let b = send(&app, "GET", "/hand", &headers).await;
            assert_eq!(a.status, b.status, "{headers:?}");
            assert_eq!(a.body, b.body);
            for name in ["location", "hx-redirect", "cache-control", "x-clerk-auth-status", "x-clerk-auth-reason"] {
                let normalise = |v: Option<&str>| v.map(|v| v.replace("%2Fmacro", "%2F_").replace("%2Fhand", "%2F_"));
                assert_eq!(normalise(a.header(name)), normalise(b.header(name)), "{name} for {headers:?}");
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 20);
}

#[protect(token = "api_key")]
async fn keys_only() -> String {
    format!("key of {}", auth.machine().map(|m| m.subject().to_owned()).unwrap_or_default())
}

#[protect(token = any("session_token", "oauth_token"), scope = "read:reports")]
async fn reports() -> &'static str {
    "reports"
}

#[tokio::test]
async fn token_and_scope_arguments_take_machine_tokens() {
    use axum_clerk::testing::TestIssuer;
    use axum_clerk::AcceptsToken;
    let issuer = TestIssuer::new();
    let url = serve(issuer.router()).await;
    let clerk = axum_clerk::Clerk::new(issuer.config(&url).build().unwrap()).unwrap();
    let app = Router::new()
        .route("/keys-only", get(keys_only))
        .route("/reports", get(reports))
        .layer(ClerkLayer::new(clerk).accepts_token(AcceptsToken::ANY));
    let call = |path: &'static str, token: String| {
        let app = app.clone();
        async move {
            let bearer = format!("Bearer {token}");
            let reply = send(&app, "GET", path, &[("authorization", &bearer)]).await;
            (reply.status.as_u16(), reply.body)
        }
    };
    assert_eq!(call("/keys-only", issuer.api_key("user_9", "k", &[])).await, (200, "key of user_9".to_owned()));
    assert_eq!(call("/keys-only", issuer.session("user_9").mint()).await.0, 401);
    assert_eq!(call("/reports", issuer.oauth_jwt("user_9", "c", &["read:reports"])).await.0, 200);
    assert_eq!(call("/reports", issuer.oauth_jwt("user_9", "c", &["other"])).await.0, 401);
    assert_eq!(call("/reports", issuer.session("user_9").mint()).await.0, 200);
    assert_eq!(call("/reports", issuer.m2m_jwt("mch_1", &["read:reports"])).await.0, 401);
}

#[auth]
async fn with_optional_auth(maybe: Option<Auth>) -> String {
    maybe.and_then(|a| a.user_id().map(str::to_owned)).unwrap_or_else(|| "nobody".to_owned())
}

#[auth]
async fn with_signed_in(user: SignedIn) -> String {
    user.user_id().to_owned()
}

#[tokio::test]
async fn auth_keeps_a_handler_that_already_reads_the_auth_state() {
    let app = Router::new()
        .route("/optional", get(with_optional_auth))
        .route("/signed-in", get(with_signed_in))
        .layer(layer());
    assert_eq!(send(&app, "GET", "/optional", &[]).await.body, "nobody");
    let (k, v) = bearer(&member());
    assert_eq!(send(&app, "GET", "/optional", &[(k, &v)]).await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(send(&app, "GET", "/signed-in", &[(k, &v)]).await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
}

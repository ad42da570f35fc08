//! `ClerkLayer`, the `Auth` extractor, `Option<Auth>` and `auth()` (clerk-semantics §1.1, §5.8),
//! through a real `Router` and, for one suite, over a real TCP socket.

use crate::common::*;
use axum::routing::get;
use axum::{Json, Router};
use axum_clerk::{auth, Auth, Clerk, ClerkConfig, ClerkLayer, Clock, FixedClock, JwksOptions, MissingClerkLayer};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

async fn me(auth: Auth) -> Json<Auth> {
    Json(auth)
}

fn app(clerk: Clerk) -> Router {
    Router::new().route("/me", get(me)).layer(ClerkLayer::new(clerk))
}

#[tokio::test]
async fn signed_in_request_reaches_the_handler_with_auth_and_no_debug_headers() {
    let (k, v) = bearer(&fx("mockJwt"));
    let reply = send(&app(clerk(pem_config())), "GET", "/me", &[(k, &v)]).await;
    assert_eq!(reply.status, 200);
    let json: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(json["userId"], "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    for name in ["x-clerk-auth-status", "x-clerk-auth-reason", "x-clerk-auth-message"] {
        assert!(reply.header(name).is_none(), "{name}");
    }
}

#[tokio::test]
async fn signed_out_response_carries_clerks_debug_headers() {
    let (k, v) = bearer(&fx("mockInvalidSignatureJwt"));
    let reply = send(&app(clerk(pem_config())), "GET", "/me", &[(k, &v)]).await;
    assert_eq!(reply.status, 200, "the handler still runs: auth() is signed out");
    assert_eq!(serde_json::from_str::<Value>(&reply.body).unwrap()["userId"], Value::Null);
    assert_eq!(reply.header("x-clerk-auth-status"), Some("signed-out"));
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid-signature"));
    assert_eq!(
        reply.header("x-clerk-auth-message"),
        Some("JWT signature is invalid. (reason=token-invalid-signature, token-carrier=header)")
    );
}

#[tokio::test]
async fn signed_out_without_a_message_sends_status_and_reason_only() {
    let reply = send(&app(clerk(pem_config())), "GET", "/me", &[]).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-and-uat-missing"));
    assert!(reply.header("x-clerk-auth-message").is_none());
}

#[tokio::test]
async fn a_debug_header_the_handler_set_is_kept_and_the_others_are_added() {
    let app = Router::new()
        .route("/", get(|| async { ([("x-clerk-auth-reason", "the-handler-s-own")], "ok") }))
        .layer(ClerkLayer::new(clerk(pem_config())));
    let reply = send(&app, "GET", "/", &[]).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("the-handler-s-own"));
    assert_eq!(reply.header("x-clerk-auth-status"), Some("signed-out"));
}

async fn deep_helper() -> Option<String> {
    auth().ok()?.user_id().map(str::to_owned)
}

async fn via_task_local() -> Result<String, MissingClerkLayer> {
    let direct = auth()?.user_id().unwrap_or("none").to_owned();
    let deep = deep_helper().await.unwrap_or_else(|| "none".into());
    Ok(format!("{direct} {deep}"))
}

#[tokio::test]
async fn auth_function_works_anywhere_in_the_request_task() {
    let app = Router::new().route("/", get(via_task_local)).layer(ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&fx("mockJwt"));
    let reply = send(&app, "GET", "/", &[(k, &v)]).await;
    assert_eq!(reply.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(send(&app, "GET", "/", &[]).await.body, "none none");
}

#[tokio::test]
async fn auth_function_outside_the_layer_says_clerk_layer_is_missing() {
    let err = auth().unwrap_err();
    assert!(err.to_string().contains("ClerkLayer"), "{err}");
    let app = Router::new().route("/", get(via_task_local));
    let reply = send(&app, "GET", "/", &[]).await;
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("`ClerkLayer` is not installed"), "{}", reply.body);
}

#[tokio::test]
async fn auth_extractor_without_the_layer_is_a_500_naming_clerk_layer() {
    let app = Router::new().route("/me", get(me));
    let reply = send(&app, "GET", "/me", &[]).await;
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("ClerkLayer"), "{}", reply.body);
}

async fn optional(auth: Option<Auth>) -> String {
    match auth {
        Some(auth) => format!("signed in as {}", auth.user_id().unwrap_or_default()),
        None => "signed out".into(),
    }
}

#[tokio::test]
async fn optional_auth_is_none_when_signed_out_and_still_500_without_the_layer() {
    let with_layer = Router::new().route("/", get(optional)).layer(ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&fx("mockJwt"));
    assert_eq!(send(&with_layer, "GET", "/", &[(k, &v)]).await.body, "signed in as user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(send(&with_layer, "GET", "/", &[]).await.body, "signed out");
    let without = Router::new().route("/", get(optional));
    assert_eq!(send(&without, "GET", "/", &[]).await.status, 500);
}

async fn in_extensions(request: axum::extract::Request) -> String {
    match request.extensions().get::<Auth>() {
        Some(auth) => format!("in extensions: {}", auth.user_id().unwrap_or("signed out")),
        None => "not in extensions".into(),
    }
}

#[tokio::test]
async fn the_auth_is_always_in_the_extensions_and_every_extractor_finds_it() {
    async fn extension(axum::Extension(auth): axum::Extension<Auth>) -> String {
        auth.user_id().unwrap_or("signed out").to_owned()
    }
    let app = Router::new()
        .route("/extensions", get(in_extensions))
        .route("/extension", get(extension))
        .route("/me", get(me))
        .route("/optional", get(optional))
        .route("/auth", get(via_task_local))
        .layer(ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&fx("mockJwt"));
    let user = "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr";
    assert_eq!(send(&app, "GET", "/extensions", &[(k, &v)]).await.body, format!("in extensions: {user}"));
    assert_eq!(send(&app, "GET", "/extension", &[(k, &v)]).await.body, user);
    assert_eq!(send(&app, "GET", "/extensions", &[]).await.body, "in extensions: signed out");
    let me = send(&app, "GET", "/me", &[(k, &v)]).await;
    assert_eq!(serde_json::from_str::<Value>(&me.body).unwrap()["userId"], user);
    assert_eq!(send(&app, "GET", "/optional", &[(k, &v)]).await.body, format!("signed in as {user}"));
    assert_eq!(send(&app, "GET", "/auth", &[(k, &v)]).await.body, format!("{user} {user}"));
}

/// A middleware inside `ClerkLayer` that runs the rest of the request on a task of its own, where
/// the layer's task-local is not set.
async fn on_another_task(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    tokio::spawn(next.run(request)).await.unwrap()
}

#[tokio::test]
async fn a_request_moved_to_another_task_keeps_its_auth() {
    let app = Router::new()
        .route("/me", get(me))
        .layer(axum::middleware::from_fn(on_another_task))
        .layer(ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&fx("mockJwt"));
    let reply = send(&app, "GET", "/me", &[(k, &v)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(serde_json::from_str::<Value>(&reply.body).unwrap()["userId"], "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
}

/// A handler that dispatches a sub-request to a router without `ClerkLayer`, on its own task.
async fn dispatch_inner(_parent: Auth) -> String {
    use tower::ServiceExt as _;
    let inner: Router = Router::new().route("/inner", get(me));
    let request = axum::extract::Request::get("/inner").body(axum::body::Body::empty()).unwrap();
    let response = inner.oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    format!("{status} {}", String::from_utf8_lossy(&body))
}

#[tokio::test]
async fn a_sub_request_without_the_layer_gets_missing_clerk_layer_not_its_parents_identity() {
    let app = Router::new().route("/outer", get(dispatch_inner)).layer(ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&fx("mockJwt"));
    let reply = send(&app, "GET", "/outer", &[(k, &v)]).await;
    assert!(reply.body.starts_with("500 "), "{}", reply.body);
    assert!(reply.body.contains("ClerkLayer"), "{}", reply.body);
    assert!(!reply.body.contains("user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr"), "{}", reply.body);
}

#[tokio::test]
async fn auth_is_set_in_the_inner_services_call_and_its_future_on_every_path() {
    #[derive(Clone)]
    struct SeesAuthInCall;
    impl tower::Service<axum::extract::Request> for SeesAuthInCall {
        type Response = axum::response::Response;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
        fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: axum::extract::Request) -> Self::Future {
            let user = auth().map(|a| a.user_id().unwrap_or("signed out").to_owned());
            let body = user.unwrap_or_else(|missing| missing.to_string());
            std::future::ready(Ok(axum::response::IntoResponse::into_response(body)))
        }
    }
    let app = Router::new().route_service("/svc", SeesAuthInCall).layer(ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&fx("mockJwt"));
    // Twice: a token verified, then the same token from the verified-token cache.
    for _ in 0..2 {
        assert_eq!(send(&app, "GET", "/svc", &[(k, &v)]).await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    }
    assert_eq!(send(&app, "GET", "/svc", &[]).await.body, "signed out");
}

#[tokio::test]
async fn a_nested_tower_service_reads_auth_in_its_future() {
    let service = tower::service_fn(|_: axum::extract::Request| async move {
        let user = auth().map(|a| a.user_id().unwrap_or("signed out").to_owned());
        Ok::<_, std::convert::Infallible>(user.unwrap_or_else(|missing| missing.to_string()))
    });
    let app = Router::new().route_service("/svc", service).layer(ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&fx("mockJwt"));
    assert_eq!(send(&app, "GET", "/svc", &[(k, &v)]).await.body, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(send(&app, "GET", "/svc", &[]).await.body, "signed out");
}

/// A clock that counts how often the verifier asked for the time: once per verification.
#[derive(Debug, Clone)]
struct CountingClock(FixedClock, Arc<AtomicUsize>);

impl Clock for CountingClock {
    fn now_ms(&self) -> i64 {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.now_ms()
    }
}

#[tokio::test]
async fn each_request_is_authenticated_exactly_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let clerk = clerk(pem_config().clock(CountingClock(pinned_clock(), Arc::clone(&calls))));
    async fn three_reads(a: Auth, b: Option<Auth>) -> String {
        let c = auth().unwrap();
        format!("{:?} {:?} {:?}", a.user_id(), b.map(|b| b.is_signed_in()), c.user_id())
    }
    let app = Router::new().route("/", get(three_reads)).layer(ClerkLayer::new(clerk));
    let (k, v) = bearer(&fx("mockJwt"));
    let reply = send(&app, "GET", "/", &[(k, &v)]).await;
    assert!(reply.body.starts_with("Some(\"user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr\")"), "{}", reply.body);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_cookie_request_with_a_publishable_key_reads_the_clock_once() {
    // The suffixed-cookie rules, the `iat` check and the verification all use one time.
    let calls = Arc::new(AtomicUsize::new(0));
    let config = pem_config()
        .publishable_key("pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA")
        .clock(CountingClock(pinned_clock(), Arc::clone(&calls)));
    let app = Router::new()
        .route("/", get(|a: Auth| async move { format!("{:?}", a.user_id()) }))
        .layer(ClerkLayer::new(clerk(config)));
    let cookie = format!("__client_uat=1; __session={}", fx("mockJwt"));
    for expected in 1..=2 {
        let reply = send(&app, "GET", "/", &[("cookie", &cookie)]).await;
        assert_eq!(reply.body, "Some(\"user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr\")");
        assert_eq!(calls.load(Ordering::SeqCst), expected, "request {expected} (the second one is a cache hit)");
    }
}

#[tokio::test]
async fn jwks_outage_is_signed_out_with_clerks_reason_never_signed_in() {
    let server = JwksServer::clerk_fixture().await;
    server.set_raw(http::StatusCode::SERVICE_UNAVAILABLE, "");
    let clerk = clerk(server.config().jwks_options(JwksOptions { max_attempts: 1, ..JwksOptions::default() }));
    let (k, v) = bearer(&fx("mockJwt"));
    let reply = send(&app(clerk), "GET", "/me", &[(k, &v)]).await;
    assert_eq!(serde_json::from_str::<Value>(&reply.body).unwrap()["userId"], Value::Null);
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("jwk-remote-failed-to-load"));
}

#[tokio::test]
async fn over_a_real_socket_cookie_and_header_sessions_work_end_to_end() {
    let server = JwksServer::clerk_fixture().await;
    let app = Router::new()
        .route("/me", get(me))
        .route("/whoami", get(|| async { json!(auth().ok().and_then(|a| a.user_id().map(str::to_owned))).to_string() }))
        .layer(ClerkLayer::new(clerk(
            server.config().publishable_key("pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"),
        )));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();
    let by_cookie = client
        .get(format!("http://{addr}/me"))
        .header("cookie", format!("__client_uat=1; __session={}", fx("mockJwt")))
        .send()
        .await
        .unwrap();
    assert!(by_cookie.headers().get("x-clerk-auth-status").is_none());
    let json: Value = serde_json::from_str(&by_cookie.text().await.unwrap()).unwrap();
    assert_eq!(json["sessionId"], "sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9");
    let by_header = client.get(format!("http://{addr}/whoami")).bearer_auth(fx("mockJwt")).send().await.unwrap();
    assert_eq!(by_header.text().await.unwrap(), "\"user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr\"");
    let signed_out = client.get(format!("http://{addr}/whoami")).send().await.unwrap();
    assert_eq!(signed_out.headers()["x-clerk-auth-status"], "signed-out");
    assert_eq!(signed_out.text().await.unwrap(), "null");
    assert_eq!(server.hits(), 1);
}

#[test]
fn clerk_layer_builds_from_a_config_without_a_runtime() {
    // Construction does no I/O: a Router can be assembled before the runtime starts.
    let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build().unwrap()).unwrap();
    let _app: Router = app(clerk);
}

#[tokio::test(flavor = "current_thread")]
async fn each_request_has_a_span_with_its_outcome_and_a_debug_event_when_not_signed_in() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                tracing::info!("handled");
                "ok"
            }),
        )
        .layer(axum_clerk::ClerkLayer::new(clerk(pem_config())));
    let (k, v) = bearer(&mint_mock(serde_json::json!({"org_id": "org_9"})));
    send(&app, "GET", "/", &[(k, &v)]).await;
    send(&app, "GET", "/", &[("authorization", "Bearer not-a-token")]).await;
    let log = captured.text();
    let line = |needle: &str| log.lines().find(|l| l.contains(needle)).unwrap_or_default().to_owned();
    let signed_in = line("user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    for field in [
        r#"clerk.status="signed-in""#,
        r#"clerk.token_carrier="header""#,
        r#"enduser.id="user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr""#,
        r#"clerk.org_id="org_9""#,
    ] {
        assert!(signed_in.contains(field) && signed_in.ends_with("handled"), "{field} in {log}");
    }
    let event = line("clerk: not signed in");
    assert!(event.contains("DEBUG") && event.contains(r#"reason="token-invalid""#), "{log}");
    assert!(
        event.contains(r#"clerk.status="signed-out""#) && event.contains(r#"clerk.reason="token-invalid""#),
        "{log}"
    );
}

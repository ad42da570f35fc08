//! Machine tokens (clerk-semantics §5.4, §6.6; `tokens/machine.ts`, `tokens/verify.ts`,
//! `jwt/verifyMachineJwt.ts`, `tokens/authObjects.ts` at HEAD): API keys, M2M and OAuth tokens,
//! opaque (verified by the Backend API — the development issuer on a real socket) and JWT
//! (verified with the instance's keys), on a layer that accepts them.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_clerk::testing::TestIssuer;
use axum_clerk::{
    AcceptsToken, Auth, Check, Clerk, ClerkConfigBuilder, ClerkLayer, FixedClock, Protect, ProtectLayer, Reason,
    TokenType,
};
use serde_json::{json, Value};
use std::time::Duration;

use crate::common::{send, serve, Reply};

const NOW: i64 = 1_700_000_000;

struct Api {
    issuer: TestIssuer,
    clerk: Clerk,
    clock: FixedClock,
}

async fn api(tweak: impl FnOnce(ClerkConfigBuilder) -> ClerkConfigBuilder) -> Api {
    let clock = FixedClock::at_secs(NOW);
    let issuer = TestIssuer::with_clock(clock.clone());
    let url = serve(issuer.router()).await;
    let clerk = Clerk::new(tweak(issuer.config(&url).clock(clock.clone())).build().unwrap()).unwrap();
    Api { issuer, clerk, clock }
}

impl Api {
    fn app(&self, accepts: AcceptsToken) -> Router {
        Router::new()
            .route("/whoami", get(|auth: Auth| async move { Json(auth) }))
            .route("/session-only", get(|| async { "session" }).route_layer(ProtectLayer::new(Protect::signed_in())))
            .layer(ClerkLayer::new(self.clerk.clone()).accepts_token(accepts))
    }

    async fn whoami(&self, accepts: AcceptsToken, token: &str) -> (Reply, Value) {
        let bearer = format!("Bearer {token}");
        let reply = send(&self.app(accepts), "GET", "/whoami", &[("authorization", &bearer)]).await;
        let json = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
        (reply, json)
    }
}

#[tokio::test]
async fn an_api_key_is_verified_by_the_backend_api_and_reads_as_clerks_object() {
    let api = api(|c| c).await;
    let key = api.issuer.api_key("user_42", "ci", &["read:reports"]);
    let (reply, json) = api.whoami(AcceptsToken::ANY, &key).await;
    assert_eq!(reply.status, 200);
    assert_eq!(json["tokenType"], "api_key");
    assert_eq!(json["subject"], "user_42");
    assert_eq!(json["name"], "ci");
    assert_eq!(json["scopes"], json!(["read:reports"]));
    assert_eq!((json["userId"].clone(), json["orgId"].clone()), (json!("user_42"), Value::Null));
    assert_eq!(json["isAuthenticated"], true);
    assert!(json["id"].as_str().unwrap().starts_with("ak_id_"));
    assert!(json.get("sessionId").is_none(), "a machine's object has no session fields");
    let org_key = api.issuer.api_key("org_7", "org", &[]);
    let (_, json) = api.whoami(AcceptsToken::ANY, &org_key).await;
    assert_eq!((json["userId"].clone(), json["orgId"].clone()), (Value::Null, json!("org_7")));
}

#[tokio::test]
async fn m2m_and_oauth_tokens_verify_opaque_and_as_jwts() {
    let api = api(|c| c).await;
    let cases = [
        (api.issuer.m2m_token("mch_1", &["mch_2"]), "m2m_token"),
        (api.issuer.m2m_jwt("mch_1", &["mch_2"]), "m2m_token"),
        (api.issuer.oauth_token("user_1", "client_1", &["email"]), "oauth_token"),
        (api.issuer.oauth_jwt("user_1", "client_1", &["email"]), "oauth_token"),
    ];
    for (token, kind) in cases {
        let (reply, json) = api.whoami(AcceptsToken::ANY, &token).await;
        assert_eq!(reply.status, 200, "{kind}: {}", reply.body);
        assert_eq!(json["tokenType"], kind);
        if kind == "m2m_token" {
            assert_eq!((json["machineId"].clone(), json["scopes"].clone()), (json!("mch_1"), json!(["mch_2"])));
        } else {
            assert_eq!((json["userId"].clone(), json["clientId"].clone()), (json!("user_1"), json!("client_1")));
            assert_eq!(json["scopes"], json!(["email"]));
        }
    }
}

#[tokio::test]
async fn a_machine_is_never_a_session() {
    let api = api(|c| c).await;
    let key = api.issuer.api_key("user_42", "ci", &[]);
    let state = api
        .clerk
        .authenticate_accepting(
            &http::Request::get("/").header("authorization", format!("Bearer {key}")).body(()).unwrap(),
            AcceptsToken::ANY,
        )
        .await;
    let auth = state.auth();
    assert!(auth.is_authenticated() && !auth.is_signed_in());
    assert_eq!((auth.user_id(), auth.session_id(), auth.org_id()), (None, None, None));
    assert!(!auth.has(&Check::permission("org:a:b")), "has() is false for machines, as in Clerk");
    assert_eq!(auth.token_type(), TokenType::ApiKey);
    assert_eq!(auth.machine().unwrap().user_id(), Some("user_42"));
    // A route for sessions refuses it: 401, Clerk's answer in a machine context.
    let reply =
        send(&api.app(AcceptsToken::ANY), "GET", "/session-only", &[("authorization", &format!("Bearer {key}"))]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // And in a cookie it is nothing.
    let jwt = api.issuer.m2m_jwt("mch_1", &[]);
    for cookie in [format!("__client_uat=1; __session={key}"), format!("__client_uat=1; __session={jwt}")] {
        let reply = send(&api.app(AcceptsToken::ANY), "GET", "/whoami", &[("cookie", &cookie)]).await;
        let json: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(json["isAuthenticated"], false, "{cookie}");
    }
}

#[tokio::test]
async fn a_machine_token_on_a_layer_for_sessions_is_a_type_mismatch() {
    let api = api(|c| c).await;
    for token in [
        api.issuer.api_key("user_1", "k", &[]),
        api.issuer.m2m_token("mch_1", &[]),
        api.issuer.m2m_jwt("mch_1", &[]),
        api.issuer.oauth_jwt("user_1", "c", &[]),
    ] {
        let (reply, json) = api.whoami(AcceptsToken::default(), &token).await;
        assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-type-mismatch"), "{token}");
        assert_eq!(json["isAuthenticated"], false);
    }
    // A layer for API keys only: other machines and sessions are mismatches; no token is Clerk's reason.
    let keys = AcceptsToken::only(TokenType::ApiKey);
    let session = api.issuer.session("user_1").mint();
    for token in [api.issuer.m2m_token("mch_1", &[]), session] {
        let (reply, _) = api.whoami(keys, &token).await;
        assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-type-mismatch"));
    }
    let reply = send(&api.app(keys), "GET", "/whoami", &[]).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("No token in header"));
}

#[tokio::test]
async fn an_unknown_or_revoked_opaque_token_is_token_invalid() {
    let api = api(|c| c.machine_token_cache_ttl(Duration::from_secs(10))).await;
    for (token, message) in [
        ("ak_unknown", "API key not found"),
        ("mt_unknown", "Machine token not found"),
        ("oat_unknown", "OAuth token not found"),
    ] {
        let (reply, _) = api.whoami(AcceptsToken::ANY, token).await;
        assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid"));
        assert_eq!(reply.header("x-clerk-auth-message"), Some(&*format!("{message} (code=token-invalid, status=404)")));
    }
    // Revoked: trusted for the cache's time at most, then refused.
    let key = api.issuer.api_key("user_1", "k", &[]);
    assert_eq!(api.whoami(AcceptsToken::ANY, &key).await.1["isAuthenticated"], true);
    api.issuer.revoke(&key);
    assert_eq!(api.whoami(AcceptsToken::ANY, &key).await.1["isAuthenticated"], true, "within the 10 s");
    api.clock.advance_secs(11);
    let (reply, _) = api.whoami(AcceptsToken::ANY, &key).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid"));
}

#[tokio::test]
async fn a_jwt_machine_token_signed_by_another_key_or_expired_is_refused() {
    let api = api(|c| c).await;
    let genuine = api.issuer.m2m_jwt("mch_1", &[]);
    let other = api.issuer.oauth_jwt("user_1", "c", &[]);
    let forged = format!("{}.{}", genuine.rsplit_once('.').unwrap().0, other.rsplit_once('.').unwrap().1);
    let (reply, _) = api.whoami(AcceptsToken::ANY, &forged).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-verification-failed"));
    assert_eq!(
        reply.header("x-clerk-auth-message"),
        Some("JWT signature is invalid. (code=token-verification-failed, status=n/a)")
    );
    // A session token dressed as M2M (`sub: mch_…`, session category) is not an M2M token.
    let session_class = api.issuer.session("mch_1").mint();
    let (reply, _) = api.whoami(AcceptsToken::ANY, &session_class).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid"));
    api.clock.advance_secs(7200);
    let (reply, _) = api.whoami(AcceptsToken::ANY, &genuine).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-verification-failed"));
    assert!(reply.header("x-clerk-auth-message").unwrap().starts_with("JWT is expired"));
}

/// A Backend API that answers every verify with `status` and `body`.
async fn backend_answering(
    status: StatusCode,
    body: &'static str,
    headers: &'static [(&'static str, &'static str)],
) -> String {
    serve(Router::new().route(
        "/{*path}",
        post(move || async move {
            let mut response = axum::response::IntoResponse::into_response((status, body));
            for (k, v) in headers {
                response.headers_mut().insert(*k, v.parse().unwrap());
            }
            response
        }),
    ))
    .await
}

#[tokio::test]
async fn a_backend_api_that_cannot_answer_is_an_outage_never_an_acceptance() {
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let limited = backend_answering(StatusCode::TOO_MANY_REQUESTS, "{}", &[("retry-after", "30")]).await;
    let broken = backend_answering(StatusCode::INTERNAL_SERVER_ERROR, "oops", &[]).await;
    let garbage = backend_answering(StatusCode::OK, r#"{"id": "x", "subject": "user_1", "scopes": [1]}"#, &[]).await;
    let no_id = backend_answering(StatusCode::OK, r#"{"object": "api_key"}"#, &[]).await;
    // (Backend API, reason, status through protect): an answer that names no token is a broken
    // Backend API (503) like one that is down; scopes that are not strings refuse the token (a
    // failed machine token: 401).
    for (url, reason, expected) in [
        (dead, Reason::UnexpectedError, 503),
        (limited, Reason::UnexpectedError, 503),
        (broken, Reason::UnexpectedError, 503),
        (garbage, Reason::TokenVerificationFailed, 401),
        (no_id, Reason::TokenVerificationFailed, 503),
    ] {
        let issuer = TestIssuer::new();
        let clerk = Clerk::new(issuer.config(&url).build().unwrap()).unwrap();
        let request = http::Request::get("/").header("authorization", "Bearer ak_123").body(()).unwrap();
        let state = clerk.authenticate_accepting(&request, AcceptsToken::ANY).await;
        assert!(!state.auth().is_authenticated(), "{url}");
        assert_eq!(state.reason(), Some(reason), "{url}");
        assert_eq!(state.is_infrastructure_failure(), expected == 503, "{url}");
        // Through protect, an outage is a 503.
        let app = Router::new()
            .route("/", get(|| async { "in" }).route_layer(ProtectLayer::new(Protect::signed_in())))
            .layer(ClerkLayer::new(clerk).accepts_token(AcceptsToken::ANY));
        let reply = send(&app, "GET", "/", &[("authorization", "Bearer ak_123")]).await;
        assert_eq!(reply.status, expected, "{url}");
    }
}

#[tokio::test]
async fn protect_takes_the_token_types_of_the_route_and_answers_401_to_the_others() {
    let api = api(|c| c).await;
    let keys_only = Protect::signed_in().token(TokenType::ApiKey);
    let people_or_apps = Protect::signed_in()
        .token(AcceptsToken::only(TokenType::SessionToken).or(TokenType::OAuthToken))
        .scope("read:reports");
    let app = Router::new()
        .route("/keys-only", get(|| async { "keys" }).route_layer(ProtectLayer::new(keys_only)))
        .route("/reports", get(|| async { "reports" }).route_layer(ProtectLayer::new(people_or_apps)))
        .layer(ClerkLayer::new(api.clerk.clone()).accepts_token(AcceptsToken::ANY));
    let get = |path: &'static str, token: String| {
        let app = app.clone();
        async move {
            let bearer = format!("Bearer {token}");
            let headers: Vec<(&str, &str)> = if token.is_empty() { vec![] } else { vec![("authorization", &bearer)] };
            send(&app, "GET", path, &headers).await.status.as_u16()
        }
    };
    let session = api.issuer.session("user_1").mint();
    assert_eq!(get("/keys-only", api.issuer.api_key("user_1", "k", &[])).await, 200);
    assert_eq!(get("/keys-only", session.clone()).await, 401);
    assert_eq!(get("/keys-only", api.issuer.m2m_token("mch_1", &[])).await, 401);
    assert_eq!(get("/keys-only", api.issuer.oauth_jwt("user_1", "c", &[])).await, 401);
    assert_eq!(get("/keys-only", String::new()).await, 401);
    assert_eq!(get("/keys-only", "ak_unknown".to_owned()).await, 401);
    assert_eq!(get("/reports", api.issuer.oauth_jwt("user_1", "c", &["read:reports"])).await, 200);
    assert_eq!(get("/reports", api.issuer.oauth_token("user_1", "c", &["read:reports", "x"])).await, 200);
    assert_eq!(get("/reports", api.issuer.oauth_jwt("user_1", "c", &["write:reports"])).await, 401, "no scope");
    assert_eq!(get("/reports", session).await, 200, "a session is judged by the session rule");
    assert_eq!(get("/reports", api.issuer.api_key("user_1", "k", &["read:reports"])).await, 401);
}

#[tokio::test]
async fn a_failed_oauth_token_is_answered_with_www_authenticate() {
    let api = api(|c| c).await;
    let issuer = api.issuer.clone();
    let url = serve(issuer.router()).await;
    let clerk = Clerk::new(issuer.config(&url).publishable_key(issuer.publishable_key()).build().unwrap()).unwrap();
    let app = Router::new()
        .route(
            "/",
            get(|| async { "in" }).route_layer(ProtectLayer::new(Protect::signed_in().token(TokenType::ApiKey))),
        )
        .layer(ClerkLayer::new(clerk).accepts_token(AcceptsToken::ANY));
    for token in ["oat_unknown".to_owned(), issuer.oauth_jwt("user_1", "c", &[])] {
        let reply = send(&app, "GET", "/", &[("authorization", &format!("Bearer {token}"))]).await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer resource_metadata=\"https://clerk.dev-issuer.local/.well-known/oauth-protected-resource\"")
        );
    }
    let reply = send(&app, "GET", "/", &[("authorization", "Bearer mt_unknown")]).await;
    assert_eq!((reply.status.as_u16(), reply.header("www-authenticate")), (401, None));
}

#[tokio::test]
async fn an_unknown_prefix_is_read_as_a_session_token_and_fails_as_one() {
    let api = api(|c| c).await;
    for token in ["xx_123", "AK_123", "sk_live_123"] {
        let (reply, json) = api.whoami(AcceptsToken::ANY, token).await;
        assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid"), "{token}");
        assert_eq!(json["isAuthenticated"], false);
    }
}

#[tokio::test]
async fn m2m_tokens_are_verified_with_the_machine_secret_key_when_one_is_configured() {
    // The issuer knows only its own secret key: a wrong machine secret key fails M2M tokens
    // (an outage, not the caller's fault) and leaves API keys, verified with the secret key, alone.
    let api = api(|c| c.machine_secret_key("ak_machine_secret_unknown_to_the_issuer")).await;
    let m2m = api.issuer.m2m_token("mch_1", &[]);
    let request = http::Request::get("/").header("authorization", format!("Bearer {m2m}")).body(()).unwrap();
    let state = api.clerk.authenticate_accepting(&request, AcceptsToken::ANY).await;
    assert_eq!(state.reason(), Some(Reason::SecretKeyInvalid));
    assert!(state.is_infrastructure_failure());
    let key = api.issuer.api_key("user_1", "k", &[]);
    assert_eq!(api.whoami(AcceptsToken::ANY, &key).await.1["isAuthenticated"], true);
}

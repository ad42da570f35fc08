//! `get_token` (clerk-semantics §4) against a real HTTP server playing Clerk's Backend API
//! `POST /v1/sessions/{sid}/tokens/{template}`.

use crate::common::*;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use axum_clerk::{Auth, Clerk, ClerkConfig, ClerkLayer, GetToken, GetTokenError};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One Backend API call: `sid/template`, the Authorization header, the body.
type Call = (String, Option<String>, String);

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Call>>>);

async fn mint_template(
    State(seen): State<Seen>,
    Path((sid, template)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    seen.0.lock().unwrap().push((format!("{sid}/{template}"), authorization.clone(), body));
    if authorization.as_deref() != Some("Bearer sk_test_backend") {
        let error = json!({"errors": [{"code": "authentication_invalid", "message": "Unauthorized", "long_message": "Invalid secret key"}]});
        return (StatusCode::UNAUTHORIZED, error.to_string()).into_response();
    }
    match template.as_str() {
        "supabase" => json!({"object": "token", "jwt": format!("supabase-jwt-for-{sid}")}).to_string().into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            "{}".into_response()
        }
        "empty" => json!({"object": "token"}).to_string().into_response(),
        _ => {
            let error = json!({"errors": [{"code": "resource_not_found", "message": "not found", "long_message": "JWT template not found"}]});
            (StatusCode::NOT_FOUND, error.to_string()).into_response()
        }
    }
}

async fn backend_api() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new().route("/v1/sessions/{sid}/tokens/{template}", post(mint_template)).with_state(seen.clone());
    (serve(app).await, seen)
}

fn instance(api: &str) -> Clerk {
    clerk(pem_config().secret_key("sk_test_backend").api_url(api).api_timeout(Duration::from_millis(500)))
}

async fn signed_in(clerk: &Clerk) -> Auth {
    clerk.verify_token(&fx("mockJwt")).await.unwrap()
}

#[tokio::test]
async fn without_a_template_it_is_the_verified_session_token_and_no_call() {
    let (api, seen) = backend_api().await;
    let auth = signed_in(&instance(&api)).await;
    assert_eq!(auth.get_token(&GetToken::session()).await.unwrap(), Some(fx("mockJwt")));
    assert!(seen.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn signed_out_has_no_token() {
    assert_eq!(Auth::signed_out().get_token(&GetToken::template("supabase")).await.unwrap(), None);
}

#[tokio::test]
async fn a_template_token_is_minted_by_the_backend_api_with_the_secret_key() {
    let (api, seen) = backend_api().await;
    let auth = signed_in(&instance(&api)).await;
    let token = auth.get_token(&GetToken::template("supabase")).await.unwrap();
    assert_eq!(token.as_deref(), Some("supabase-jwt-for-sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9"));
    let calls = seen.0.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9/supabase");
    assert_eq!(calls[0].1.as_deref(), Some("Bearer sk_test_backend"));
    assert_eq!(calls[0].2, "", "no body without expires_in_seconds");
}

#[tokio::test]
async fn expires_in_seconds_is_sent_in_the_body() {
    let (api, seen) = backend_api().await;
    let auth = signed_in(&instance(&api)).await;
    auth.get_token(&GetToken::template("supabase").expires_in_seconds(3600)).await.unwrap();
    let body: Value = serde_json::from_str(&seen.0.lock().unwrap()[0].2).unwrap();
    assert_eq!(body, json!({"expires_in_seconds": 3600}));
}

#[tokio::test]
async fn each_call_asks_the_backend_api_again() {
    let (api, seen) = backend_api().await;
    let auth = signed_in(&instance(&api)).await;
    for _ in 0..3 {
        auth.get_token(&GetToken::template("supabase")).await.unwrap();
    }
    assert_eq!(seen.0.lock().unwrap().len(), 3, "no server-side cache, as Clerk");
}

#[tokio::test]
async fn backend_api_errors_map_to_clerks_code_and_message() {
    let (api, _) = backend_api().await;
    let auth = signed_in(&instance(&api)).await;
    let err = auth.get_token(&GetToken::template("missing")).await.unwrap_err();
    assert_eq!(
        err,
        GetTokenError::Api { status: 404, code: "resource_not_found".into(), message: "JWT template not found".into() }
    );
    let wrong_key = clerk(pem_config().secret_key("sk_test_wrong").api_url(&api));
    let err = signed_in(&wrong_key).await.get_token(&GetToken::template("supabase")).await.unwrap_err();
    assert!(
        matches!(err, GetTokenError::Api { status: 401, ref code, .. } if code == "authentication_invalid"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_backend_api_times_out() {
    let (api, _) = backend_api().await;
    let err = signed_in(&instance(&api)).await.get_token(&GetToken::template("slow")).await.unwrap_err();
    assert!(matches!(err, GetTokenError::Unreachable(_)), "{err:?}");
}

#[tokio::test]
async fn an_answer_without_jwt_is_an_invalid_response() {
    let (api, _) = backend_api().await;
    let err = signed_in(&instance(&api)).await.get_token(&GetToken::template("empty")).await.unwrap_err();
    assert_eq!(err, GetTokenError::InvalidResponse);
}

#[tokio::test]
async fn template_tokens_need_the_secret_key() {
    let auth = clerk(pem_config()).verify_token(&fx("mockJwt")).await.unwrap();
    assert_eq!(auth.get_token(&GetToken::template("supabase")).await.unwrap_err(), GetTokenError::NoSecretKey);
}

#[tokio::test]
async fn get_token_works_from_a_handler_behind_the_layer() {
    let (api, _) = backend_api().await;
    let app = Router::new()
        .route(
            "/data",
            axum::routing::get(|auth: Auth| async move {
                match auth.get_token(&GetToken::template("supabase")).await {
                    Ok(Some(token)) => token,
                    Ok(None) => "signed out".into(),
                    Err(err) => err.to_string(),
                }
            }),
        )
        .layer(ClerkLayer::new(
            Clerk::new(
                ClerkConfig::builder()
                    .jwt_key(fx("pemEncodedPublicKey"))
                    .secret_key("sk_test_backend")
                    .api_url(&api)
                    .clock(pinned_clock())
                    .build()
                    .unwrap(),
            )
            .unwrap(),
        ));
    let (k, v) = bearer(&fx("mockJwt"));
    assert_eq!(send(&app, "GET", "/data", &[(k, &v)]).await.body, "supabase-jwt-for-sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9");
    assert_eq!(send(&app, "GET", "/data", &[]).await.body, "signed out");
}

/// A session and a template token from the development issuer's own Backend API.
async fn issuer_tokens() -> (Clerk, String, String) {
    let issuer = axum_clerk::testing::TestIssuer::new();
    let api = serve(issuer.router()).await;
    let clerk = clerk(issuer.config(&api));
    let session = issuer.session("user_1").mint();
    let auth = clerk.verify_token(&session).await.unwrap();
    let template = auth.get_token(&GetToken::template("supabase")).await.unwrap().unwrap();
    (clerk, session, template)
}

#[tokio::test]
async fn a_template_token_is_refused_where_a_session_token_belongs() {
    // §5.4: Clerk stamps template tokens `cat: cl_B7d4PD222AAA`, and so does the test issuer.
    let (clerk, session, template) = issuer_tokens().await;
    assert_eq!(refusal(&clerk, &template).await, ("token-type-mismatch".to_owned(), String::new()));
    let app = Router::new()
        .route("/", axum::routing::get(|auth: Auth| async move { auth.user_id().unwrap_or("signed out").to_owned() }))
        .layer(ClerkLayer::new(clerk));
    for headers in [
        vec![("authorization", format!("Bearer {template}"))],
        vec![("cookie", format!("__client_uat=1; __session={template}"))],
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = send(&app, "GET", "/", &headers).await;
        assert_eq!(reply.body, "signed out");
        assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-type-mismatch"));
    }
    let (k, v) = bearer(&session);
    assert_eq!(send(&app, "GET", "/", &[(k, &v)]).await.body, "user_1", "the session token itself is accepted");
}

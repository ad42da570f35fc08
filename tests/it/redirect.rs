//! `redirect_to_sign_in` / `redirect_to_sign_up`: clerk-semantics §3.5 vectors, URL
//! reconstruction from `x-forwarded-*` (§3.3), and the open-redirect payloads of security §3.3.

use crate::common::*;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use axum_clerk::{Auth, ClerkConfig, ClerkConfigBuilder, ClerkLayer, ReturnTo};
use serde_json::json;
use std::sync::{Arc, Mutex};

const RETURN: &str = "http://current.url:3000/path?q=1#hash";
const RETURN_ENC: &str = "http%3A%2F%2Fcurrent.url%3A3000%2Fpath%3Fq%3D1%23hash";

/// The `Auth` the layer produced for one request.
async fn auth_for(config: ClerkConfigBuilder, uri: &str, headers: &[(&str, &str)]) -> Auth {
    let slot: Arc<Mutex<Option<Auth>>> = Arc::default();
    let app = Router::new()
        .fallback(get(|State(slot): State<Arc<Mutex<Option<Auth>>>>, auth: Auth| async move {
            *slot.lock().unwrap() = Some(auth);
        }))
        .with_state(Arc::clone(&slot))
        .layer(ClerkLayer::new(clerk(config)));
    send(&app, "GET", uri, headers).await;
    let auth = slot.lock().unwrap().take().unwrap();
    auth
}

fn base() -> ClerkConfigBuilder {
    ClerkConfig::builder().jwt_key(fx("pemEncodedPublicKey")).clock(pinned_clock())
}

async fn sign_in(config: ClerkConfigBuilder, origin: &str, return_to: ReturnTo) -> String {
    let auth = auth_for(config.app_origin(origin), "/path", &[]).await;
    auth.redirect_to_sign_in(return_to).location().to_owned()
}

async fn sign_up(config: ClerkConfigBuilder, origin: &str, return_to: ReturnTo) -> String {
    let auth = auth_for(config.app_origin(origin), "/path", &[]).await;
    auth.redirect_to_sign_up(return_to).location().to_owned()
}

// ---- §3.5 createRedirect vectors ---------------------------------------------------------------

#[tokio::test]
async fn configured_absolute_sign_in_url_without_return_url() {
    let loc =
        sign_in(base().sign_in_url("http://signin.url:3001/sign-in"), "http://www.clerk.com", ReturnTo::Nothing).await;
    assert_eq!(loc, "http://signin.url:3001/sign-in");
}

#[tokio::test]
async fn relative_sign_in_url_resolves_against_the_origin() {
    let loc = sign_in(base().sign_in_url("/sign-in"), "http://current.url:3000", ReturnTo::Url(RETURN.into())).await;
    assert_eq!(loc, format!("http://current.url:3000/sign-in?redirect_url={RETURN_ENC}"));
    let loc = sign_up(base().sign_up_url("/sign-up"), "http://current.url:3000", ReturnTo::Url(RETURN.into())).await;
    assert_eq!(loc, format!("http://current.url:3000/sign-up?redirect_url={RETURN_ENC}"));
}

#[tokio::test]
async fn a_return_url_on_another_origin_needs_an_allowed_origin() {
    // Clerk's vector redirects from www.clerk.com back to current.url:3000. We refuse that unless
    // the origin is allowed: then the result is Clerk's.
    let config = || base().sign_in_url("http://signin.url:3001/sign-in");
    let refused = sign_in(config(), "http://www.clerk.com", ReturnTo::Url(RETURN.into())).await;
    assert_eq!(refused, "http://signin.url:3001/sign-in");
    let allowed = config().allowed_redirect_origins(["http://current.url:3000"]);
    let loc = sign_in(allowed, "http://www.clerk.com", ReturnTo::Url(RETURN.into())).await;
    assert_eq!(loc, format!("http://signin.url:3001/sign-in?redirect_url={RETURN_ENC}"));
}

#[tokio::test]
async fn account_portal_urls_are_derived_from_the_publishable_key() {
    let cases = [
        ("pk_test_Y2xlcmsuaW5jbHVkZWQua2F0eWRpZC05Mi5sY2wuZGV2JA", "https://accounts.included.katydid-92.lcl.dev"),
        ("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "https://accounts.example.com"),
        ("pk_test_aW5jbHVkZWQua2F0eWRpZC05Mi5jbGVyay5hY2NvdW50cy5kZXYk", "https://included.katydid-92.accounts.dev"),
        (
            "pk_test_aW5jbHVkZWQua2F0eWRpZC05Mi5jbGVyay5hY2NvdW50c3N0YWdlLmRldiQ",
            "https://included.katydid-92.accountsstage.dev",
        ),
    ];
    for (pk, accounts) in cases {
        let config = || base().publishable_key(pk).allowed_redirect_origins(["http://current.url:3000"]);
        let loc = sign_in(config(), "http://www.clerk.com", ReturnTo::Url(RETURN.into())).await;
        assert_eq!(loc, format!("{accounts}/sign-in?redirect_url={RETURN_ENC}"), "{pk}");
        let loc = sign_up(config(), "http://www.clerk.com", ReturnTo::Url(RETURN.into())).await;
        assert_eq!(loc, format!("{accounts}/sign-up?redirect_url={RETURN_ENC}"), "{pk}");
    }
}

#[tokio::test]
async fn development_cross_origin_redirects_carry_the_dev_browser_token() {
    let config = base()
        .publishable_key("pk_test_aW5jbHVkZWQua2F0eWRpZC05Mi5jbGVyay5hY2NvdW50cy5kZXYk")
        .app_origin("http://www.clerk.com")
        .allowed_redirect_origins(["http://current.url:3000"]);
    let auth = auth_for(config, "/path?__clerk_db_jwt=deadbeef", &[]).await;
    assert_eq!(
        auth.redirect_to_sign_up(ReturnTo::Url(RETURN.into())).location(),
        format!("https://included.katydid-92.accounts.dev/sign-up?redirect_url={RETURN_ENC}&__clerk_db_jwt=deadbeef")
    );
}

#[tokio::test]
async fn production_redirects_never_carry_the_dev_browser_token() {
    let config = base().publishable_key("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k").app_origin("https://app.example.com");
    let auth = auth_for(config, "/path", &[("cookie", "__clerk_db_jwt=deadbeef")]).await;
    assert!(!auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location().contains("__clerk_db_jwt"));
}

#[tokio::test]
async fn pending_sessions_go_to_the_tasks_page() {
    let config = || {
        base()
            .publishable_key("pk_test_Y2xlcmsuaW5jbHVkZWQua2F0eWRpZC05Mi5sY2wuZGV2JA")
            .app_origin("http://www.clerk.com")
            .allowed_redirect_origins(["http://current.url:3000"])
    };
    let token = mint_mock(json!({"sts": "pending"}));
    let (k, v) = bearer(&token);
    let auth = auth_for(config(), "/path", &[(k, &v)]).await;
    assert_eq!(
        auth.redirect_to_sign_in(ReturnTo::Url(RETURN.into())).location(),
        format!("https://accounts.included.katydid-92.lcl.dev/sign-in/tasks?redirect_url={RETURN_ENC}")
    );
    let config = base()
        .publishable_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")
        .app_origin("http://www.clerk.com")
        .allowed_redirect_origins(["http://current.url:3000"]);
    let auth = auth_for(config, "/path", &[(k, &v)]).await;
    assert_eq!(
        auth.redirect_to_sign_up(ReturnTo::Url(RETURN.into())).location(),
        format!("https://accounts.example.com/sign-up/tasks?redirect_url={RETURN_ENC}")
    );
}

#[tokio::test]
async fn sign_up_defaults_to_sign_in_create_when_only_sign_in_is_configured() {
    let loc = sign_up(base().sign_in_url("/hello"), "https://app.example.com", ReturnTo::Nothing).await;
    assert_eq!(loc, "https://app.example.com/hello/create");
}

#[tokio::test]
async fn default_return_url_is_the_current_url_and_nothing_omits_it() {
    // §1.7 #12-#14
    let config = || base().publishable_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k").app_origin("https://www.clerk.com");
    let auth = auth_for(config(), "/protected?tab=1", &[]).await;
    assert_eq!(
        auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location(),
        "https://accounts.example.com/sign-in?redirect_url=https%3A%2F%2Fwww.clerk.com%2Fprotected%3Ftab%3D1"
    );
    assert_eq!(
        auth.redirect_to_sign_in(ReturnTo::Url("https://www.clerk.com/hello".into())).location(),
        "https://accounts.example.com/sign-in?redirect_url=https%3A%2F%2Fwww.clerk.com%2Fhello"
    );
    assert_eq!(auth.redirect_to_sign_in(ReturnTo::Nothing).location(), "https://accounts.example.com/sign-in");
}

#[tokio::test]
async fn redirect_responses_are_307_with_no_store() {
    use axum::response::IntoResponse;
    let auth = auth_for(base().app_origin("https://app.example.com"), "/x", &[]).await;
    let response = auth.redirect_to_sign_in(ReturnTo::CurrentUrl).into_response();
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.headers()["location"],
        "https://app.example.com/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%2Fx"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
}

// ---- URL reconstruction (§3.3, security §3.4) -----------------------------------------------

#[tokio::test]
async fn without_an_app_origin_x_forwarded_headers_are_honoured_first_value_first() {
    let headers =
        [("host", "internal:8080"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "app.example.com, evil.com")];
    let auth = auth_for(base(), "/dashboard?tab=1", &headers).await;
    assert_eq!(
        auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location(),
        "https://app.example.com/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%2Fdashboard%3Ftab%3D1"
    );
}

#[tokio::test]
async fn without_forwarded_headers_host_is_used_over_http() {
    let auth = auth_for(base(), "/a", &[("host", "localhost:3000")]).await;
    assert_eq!(
        auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location(),
        "http://localhost:3000/sign-in?redirect_url=http%3A%2F%2Flocalhost%3A3000%2Fa"
    );
}

#[tokio::test]
async fn a_configured_app_origin_wins_over_host_and_forwarded_headers() {
    let headers = [("host", "evil.com"), ("x-forwarded-host", "evil.com"), ("x-forwarded-proto", "http")];
    let auth = auth_for(base().app_origin("https://app.example.com"), "/dashboard", &headers).await;
    assert_eq!(
        auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location(),
        "https://app.example.com/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%2Fdashboard"
    );
}

#[tokio::test]
async fn a_poisoned_host_with_a_path_or_userinfo_gives_no_origin() {
    for host in ["evil.com/x", "user@evil.com", "evil.com?x", "evil.com\\x"] {
        let auth = auth_for(base(), "/a", &[("x-forwarded-host", host)]).await;
        let loc = auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location().to_owned();
        assert_eq!(loc, "/sign-in", "{host}: no origin, so no redirect_url and a bare path");
    }
}

#[tokio::test]
async fn path_with_leading_double_slash_stays_on_our_origin() {
    // S-05
    let auth = auth_for(base().app_origin("https://app.example.com"), "//evil.com/x", &[]).await;
    assert_eq!(
        auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location(),
        "https://app.example.com/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%2F%2Fevil.com%2Fx"
    );
}

#[tokio::test]
async fn encoded_crlf_in_the_path_stays_encoded() {
    // S-06
    let auth = auth_for(base().app_origin("https://app.example.com"), "/a%0d%0aSet-Cookie:%20x=y", &[]).await;
    let loc = auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location().to_owned();
    assert!(!loc.contains('\r') && !loc.contains('\n'));
    assert!(loc.ends_with("%2Fa%250d%250aSet-Cookie%3A%2520x%3Dy"), "{loc}");
}

#[tokio::test]
async fn exactly_one_redirect_url_and_existing_sign_in_query_is_kept() {
    // S-07, S-08
    let config = base()
        .app_origin("https://app.example.com")
        .sign_in_url("https://accounts.example.com/sign-in?foo=1&redirect_url=stale");
    let auth = auth_for(config, "/x?redirect_url=https://evil.com&y=1", &[]).await;
    let loc = auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location().to_owned();
    assert_eq!(loc, "https://accounts.example.com/sign-in?foo=1&redirect_url=https%3A%2F%2Fapp.example.com%2Fx%3Fredirect_url%3Dhttps%3A%2F%2Fevil.com%26y%3D1");
    assert_eq!(loc.matches("redirect_url=").count(), 1);
}

// ---- open-redirect payloads (security §3.3) --------------------------------------------------

#[tokio::test]
async fn return_url_payloads_are_accepted_or_refused_as_the_table_says() {
    let config = base()
        .app_origin("https://app.example.com")
        .sign_in_url("https://accounts.example.com/sign-in")
        .allowed_redirect_origins(["https://*.trusted.example"]);
    let auth = auth_for(config, "/x", &[]).await;
    let accept = [
        ("/dashboard?tab=1#x", "https://app.example.com/dashboard?tab=1#x"),
        ("/view/?param=https://evil.com", "https://app.example.com/view/?param=https://evil.com"),
        ("/%2F/evil.com", "https://app.example.com/%2F/evil.com"),
        ("/%0d%0aSet-Cookie:%20x=y", "https://app.example.com/%0d%0aSet-Cookie:%20x=y"),
        ("/#/evil.com", "https://app.example.com/#/evil.com"),
        ("/path#//evil.com", "https://app.example.com/path#//evil.com"),
        ("https://APP.EXAMPLE.COM/x", "https://app.example.com/x"),
        ("HTTPS://app.example.com/", "https://app.example.com/"),
        ("https://app.example.com:443/", "https://app.example.com/"),
        ("https://a.trusted.example/p", "https://a.trusted.example/p"),
        ("https://a.b.trusted.example/p", "https://a.b.trusted.example/p"),
        ("/\u{3000}/evil.com", "https://app.example.com/%E3%80%80/evil.com"),
    ];
    for (input, expected) in accept {
        let loc = auth.redirect_to_sign_in(ReturnTo::Url(input.into())).location().to_owned();
        let decoded = url::Url::parse(&loc)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "redirect_url")
            .map(|(_, v)| v.into_owned());
        assert_eq!(decoded.as_deref(), Some(expected), "{input:?} should be accepted");
    }
    let refuse = [
        "dashboard",
        "@evil.com",
        "evil.com",
        "//evil.com",
        "///evil.com",
        "////evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "\\/evil.com",
        "\\\\\\evil.com",
        "/\\\\/evil.com",
        "/\\/evil.com",
        "\\\\//evil.com",
        "https://evil.com",
        "http://evil.com",
        "ftp://evil.com",
        "http:evil.com",
        "https:evil.com",
        "http:/evil.com",
        "http:/\\/evil.com",
        "https:/\\evil.com",
        "http:\\\\evil.com",
        "http:///evil.com",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "\njavascript:alert(x)",
        "java\nscript:alert(x)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "blob:https://app.example.com/uuid",
        " //evil.com",
        "\t//evil.com",
        "\u{8}//evil.com",
        "\n",
        "/\t/evil.com",
        "%2F%2Fevil.com",
        "%252F%252Fevil.com",
        "..//evil.com",
        "/..//evil.com",
        "/.//evil.com",
        "https://app.example.com@evil.com",
        "https://app.example.com:443@evil.com",
        "https://evil.com\\@app.example.com",
        "http://testserver\\@example.com",
        "https://evil.com#@app.example.com",
        "https://evil.com?@app.example.com",
        "https://app.example.com.evil.com",
        "https://evilapp.example.com",
        "https://app-example.com",
        "https://app.example.com./x",
        "https://app.example.com:8443/",
        "http://app.example.com/",
        "https://аpp.example.com",
        "http://2130706433/",
        "http://127.1/",
        "http://[::1]/",
        "http://[2001:cdba::3257:9652/",
        "http:999999999",
        "ftp:9999999999",
        "/a\r\nSet-Cookie: x=y",
        "",
        "https://trusted.example/",
        "https://a.trusted.example.evil.com/",
        "https://eviltrusted.example/",
        "http://a.trusted.example/",
    ];
    let long = format!("/{}", "a".repeat(10_000));
    for input in refuse.iter().copied().chain([long.as_str()]) {
        let loc = auth.redirect_to_sign_in(ReturnTo::Url(input.into())).location().to_owned();
        assert_eq!(loc, "https://accounts.example.com/sign-in", "{input:?} should be refused");
    }
}

#[tokio::test]
async fn configured_allowed_origins_must_be_origins() {
    for bad in ["https://example.com/", "example.com", "https://*.example.com/path"] {
        let err = base().allowed_redirect_origins([bad]).build().unwrap_err();
        assert_eq!(err.setting(), "CLERK_ALLOWED_REDIRECT_ORIGINS", "{bad}");
    }
    let err = base().app_origin("https://app.example.com/").build().unwrap_err();
    assert_eq!(err.setting(), "CLERK_APP_ORIGIN");
}

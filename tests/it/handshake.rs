//! Clerk's browser flow through `ClerkLayer` (clerk-semantics §5.3–§5.4, `tokens/handshake.ts`,
//! `tokens/request.ts` at HEAD): the handshake redirect, its resolution by token and by nonce,
//! refresh, the redirect-loop guard, and bad input. The development issuer plays the Frontend
//! API and the Backend API on a real socket; the browser is played by hand, one hop at a time.

use axum::routing::get;
use axum::Router;
use axum_clerk::testing::TestIssuer;
use axum_clerk::{auth, Clerk, ClerkConfigBuilder, ClerkLayer, FixedClock};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{send, serve, Reply, PAGE};

const NOW: i64 = 1_700_000_000;

struct Site {
    app: Router,
    issuer: TestIssuer,
    /// Where the issuer's Frontend and Backend API answer (also `CLERK_PROXY_URL`).
    api: String,
    clock: FixedClock,
    /// How many requests reached the handler.
    handled: Arc<AtomicUsize>,
}

async fn new_site(development: bool, tweak: impl FnOnce(ClerkConfigBuilder) -> ClerkConfigBuilder) -> Site {
    let clock = FixedClock::at_secs(NOW);
    let issuer =
        if development { TestIssuer::with_clock(clock.clone()) } else { TestIssuer::production(clock.clone()) };
    let api = serve(issuer.router()).await;
    let config = issuer
        .config(&api)
        .publishable_key(issuer.publishable_key())
        .proxy_url(&api)
        .clock(clock.clone())
        .clock_skew(Duration::ZERO);
    let clerk = Clerk::new(tweak(config).build().unwrap()).unwrap();
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let handler = move || {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            auth().unwrap().user_id().unwrap_or("signed out").to_owned()
        }
    };
    let app = Router::new().route("/{*path}", get(handler)).layer(ClerkLayer::new(clerk));
    Site { app, issuer, api, clock, handled }
}

impl Site {
    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("host", "app.test")];
        all.extend_from_slice(headers);
        send(&self.app, "GET", uri, &all).await
    }

    fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }

    /// A signed-in browser: its client at the Frontend API and the cookies of its sign-in.
    fn signed_in_browser(&self, user: &str) -> (String, String) {
        let client = self.issuer.new_client();
        let directives = self.issuer.sign_in_client(&client, self.issuer.session(user));
        (client, cookie_header(&directives))
    }
}

/// The `Cookie` header a browser sends after receiving `directives` (name=value, cleared ones
/// left out).
fn cookie_header<S: AsRef<str>>(directives: &[S]) -> String {
    let pairs: Vec<&str> = directives
        .iter()
        .filter(|d| !d.as_ref().contains("Max-Age=0"))
        .filter_map(|d| d.as_ref().split(';').next())
        .collect();
    pairs.join("; ")
}

fn set_cookies(reply: &Reply) -> Vec<String> {
    reply.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The browser's hop to the Frontend API: its answer, not followed.
async fn frontend_api(location: &str, cookie: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = client.get(location);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// `claims` under the instance's `kid` with the signature of other claims: only the signature
/// is wrong.
fn forge(issuer: &TestIssuer, claims: &serde_json::Value) -> String {
    let genuine = issuer.sign(claims);
    let other = issuer.sign(&json!({ "handshake": [] }));
    let (input, _) = genuine.rsplit_once('.').unwrap();
    format!("{input}.{}", other.rsplit_once('.').unwrap().1)
}

#[tokio::test]
async fn an_expired_session_on_a_page_load_is_sent_to_the_frontend_api_handshake() {
    let site = new_site(false, |c| c).await;
    let (_, cookies) = site.signed_in_browser("user_1");
    let token = cookies.split("__session=").nth(1).unwrap().split(';').next().unwrap().to_owned();
    site.clock.advance_secs(120);
    let reply = site.get("/dashboard?tab=1", &[PAGE, ("cookie", &cookies)]).await;
    assert_eq!(reply.status, 307);
    assert_eq!(site.handled(), 0, "no handler sees a handshake");
    let location = reply.header("location").unwrap();
    assert!(location.starts_with(&format!("{}/v1/client/handshake?", site.api)), "{location}");
    let reason = "session-token-expired-refresh-non-eligible-no-refresh-cookie";
    assert_eq!(
        query(location),
        [
            ("redirect_url", "http://app.test/dashboard?tab=1"),
            ("__clerk_api_version", "2026-05-12"),
            ("suffixed_cookies", "false"),
            ("__clerk_hs_reason", reason),
            ("format", "nonce"),
            ("__session", token.as_str()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(set_cookies(&reply), ["__clerk_redirect_count=1; SameSite=Lax; HttpOnly; Max-Age=2"]);
    assert_eq!(reply.header("x-clerk-auth-status"), Some("handshake"));
    assert_eq!(reply.header("x-clerk-auth-reason"), Some(reason));
}

#[tokio::test]
async fn an_api_request_with_an_expired_session_stays_signed_out_with_clerks_reason() {
    let site = new_site(false, |c| c).await;
    let (_, cookies) = site.signed_in_browser("user_1");
    site.clock.advance_secs(120);
    for headers in [
        vec![("accept", "application/json"), ("cookie", cookies.as_str())],
        vec![("sec-fetch-dest", "empty"), ("cookie", cookies.as_str())],
    ] {
        let reply = site.get("/api/data", &headers).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, "signed out");
        assert_eq!(
            reply.header("x-clerk-auth-reason"),
            Some("session-token-expired-refresh-non-eligible-no-refresh-cookie")
        );
        assert!(reply.header("location").is_none());
    }
    let reply = send(&site.app, "POST", "/form", &[("host", "app.test"), PAGE, ("cookie", &cookies)]).await;
    assert_eq!(reply.status, 405, "the route has no POST, but authentication ran first and did not redirect");
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-expired-refresh-non-eligible-non-get"));
}

#[tokio::test]
async fn a_production_browser_comes_back_signed_in_from_the_handshake_and_keeps_its_url() {
    let site = new_site(false, |c| c).await;
    let (client, cookies) = site.signed_in_browser("user_1");
    site.clock.advance_secs(120);
    let first = site.get("/dashboard", &[PAGE, ("cookie", &cookies)]).await;
    assert_eq!(first.status, 307);
    // The Frontend API knows the browser by its own `__client` cookie.
    let fapi = frontend_api(first.header("location").unwrap(), Some(&format!("__client={client}"))).await;
    assert_eq!(fapi.status(), 307);
    assert_eq!(fapi.headers()["location"], "http://app.test/dashboard");
    let nonce_cookie: Vec<String> =
        fapi.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let nonce = cookie_header(&nonce_cookie);
    assert!(nonce.starts_with("__clerk_handshake_nonce=nonce_"), "{nonce}");

    let back = site.get("/dashboard", &[PAGE, ("cookie", &format!("{cookies}; {nonce}"))]).await;
    assert_eq!(back.status, 200, "a production instance continues the request");
    assert_eq!(back.body, "user_1");
    let set = set_cookies(&back);
    assert!(set.iter().any(|c| c.starts_with("__session=ey")), "{set:?}");
    assert!(set.iter().any(|c| c.starts_with("__client_uat=1700000120")), "{set:?}");
    assert!(set.contains(&"__clerk_handshake_nonce=; Path=/; Max-Age=0; SameSite=Lax".to_owned()), "{set:?}");

    let next = site.get("/dashboard", &[PAGE, ("cookie", &cookie_header(&set))]).await;
    assert_eq!((next.status.as_u16(), next.body.as_str()), (200, "user_1"), "the new cookies sign the next request in");
}

#[tokio::test]
async fn a_development_browser_gets_a_dev_browser_then_comes_back_to_the_url_without_the_handshake() {
    let site = new_site(true, |c| c).await;
    // No dev browser yet: the handshake starts without one.
    let first = site.get("/page?x=1&__clerk_db_jwt=stale", &[PAGE]).await;
    assert_eq!(first.status, 307);
    assert_eq!(first.header("x-clerk-auth-reason"), Some("dev-browser-sync"));
    let location = first.header("location").unwrap();
    let params = query(location);
    assert!(params.contains(&("redirect_url".into(), "http://app.test/page?x=1".into())), "{params:?}");
    assert!(params.contains(&("__clerk_db_jwt".into(), "stale".into())), "{params:?}");

    let fapi = frontend_api(location, None).await;
    let back_url = fapi.headers()["location"].to_str().unwrap().to_owned();
    assert!(back_url.starts_with("http://app.test/page?x=1&__clerk_handshake_nonce=nonce_"), "{back_url}");
    let path = back_url.trim_start_matches("http://app.test");
    let resolved = site.get(path, &[PAGE]).await;
    assert_eq!(resolved.status, 307, "a development instance goes back to the URL without the handshake");
    assert_eq!(resolved.header("location"), Some("http://app.test/page?x=1"));
    assert_eq!(resolved.header("cache-control"), Some("no-store"));
    assert_eq!(resolved.header("x-clerk-auth-reason"), Some("session-token-missing"));
    let set = set_cookies(&resolved);
    let db = set.iter().find(|c| c.starts_with("__clerk_db_jwt=dvb_")).expect("the dev browser cookie").clone();
    assert_eq!(site.handled(), 0);

    // Signed out but with a dev browser: the page is served.
    let cookies = cookie_header(&set);
    let page = site.get("/page?x=1", &[PAGE, ("cookie", &cookies)]).await;
    assert_eq!((page.status.as_u16(), page.body.as_str()), (200, "signed out"));
    assert_eq!(page.header("x-clerk-auth-reason"), Some("session-token-and-uat-missing"));

    // Signed in on that dev browser, the token expires, and the handshake carries the dev browser.
    let client = db.split(['=', ';']).nth(1).unwrap();
    let signed_in = cookie_header(&site.issuer.sign_in_client(client, site.issuer.session("user_dev")));
    site.clock.advance_secs(61);
    let cookies = format!("{}; {signed_in}", db.split(';').next().unwrap());
    let expired = site.get("/page", &[PAGE, ("cookie", &cookies)]).await;
    let location = expired.header("location").unwrap();
    assert!(query(location).contains(&("__clerk_db_jwt".into(), client.to_owned())));
    let fapi = frontend_api(location, None).await;
    let back = fapi.headers()["location"].to_str().unwrap().trim_start_matches("http://app.test").to_owned();
    let resolved = site.get(&back, &[PAGE, ("cookie", &cookies)]).await;
    assert_eq!(resolved.status, 307);
    assert_eq!(resolved.header("location"), Some("http://app.test/page"));
    let fresh = format!("{}; {}", db.split(';').next().unwrap(), cookie_header(&set_cookies(&resolved)));
    let page = site.get("/page", &[PAGE, ("cookie", &fresh)]).await;
    assert_eq!((page.status.as_u16(), page.body.as_str()), (200, "user_dev"));
}

#[tokio::test]
async fn the_redirect_url_honours_clerk_app_origin_and_forwarded_headers() {
    let configured = new_site(false, |c| c.app_origin("https://app.example.com")).await;
    let reply = configured.get("/p", &[PAGE, ("cookie", "__client_uat=5"), ("x-forwarded-host", "evil.test")]).await;
    let params = query(reply.header("location").unwrap());
    assert_eq!(params[0], ("redirect_url".into(), "https://app.example.com/p".into()));

    let derived = new_site(false, |c| c).await;
    let reply = derived
        .get(
            "/p",
            &[PAGE, ("cookie", "__client_uat=5"), ("x-forwarded-host", "shop.test"), ("x-forwarded-proto", "https")],
        )
        .await;
    let params = query(reply.header("location").unwrap());
    assert_eq!(params[0], ("redirect_url".into(), "https://shop.test/p".into()));
    assert_eq!(params[3], ("__clerk_hs_reason".into(), "client-uat-but-no-session-token".into()));
}

#[tokio::test]
async fn the_third_handshake_in_a_row_is_signed_out_instead() {
    let site = new_site(false, |c| c).await;
    for (count, expect) in [("0", 307), ("2", 307), ("abc", 307), ("3", 200), ("7", 200)] {
        let cookie = format!("__client_uat=5; __clerk_redirect_count={count}");
        let reply = site.get("/p", &[PAGE, ("cookie", &cookie)]).await;
        assert_eq!(reply.status, expect, "counter {count}");
        if expect == 200 {
            assert_eq!(reply.header("x-clerk-auth-reason"), Some("client-uat-but-no-session-token"));
            assert_eq!(reply.header("x-clerk-auth-status"), Some("signed-out"));
        } else {
            let next = count.parse::<u32>().unwrap_or(0) + 1;
            assert_eq!(
                set_cookies(&reply),
                [format!("__clerk_redirect_count={next}; SameSite=Lax; HttpOnly; Max-Age=2")]
            );
        }
    }
}

#[tokio::test]
async fn a_handshake_token_signed_by_the_instance_sets_its_cookies_and_signs_in() {
    let site = new_site(false, |c| c).await;
    let session = site.issuer.session("user_hs").mint();
    let handshake = site.issuer.sign(&json!({
        "handshake": [format!("__session={session}; Path=/; Secure"), "__client_uat=1700000000; Path=/".to_owned()]
    }));
    let reply = site.get(&format!("/p?__clerk_handshake={handshake}"), &[PAGE]).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "user_hs"));
    assert_eq!(set_cookies(&reply).len(), 2);
    assert!(reply.header("access-control-allow-origin").is_none(), "no credentialed CORS for Origin: null");
    // As a cookie, too.
    let reply = site.get("/p", &[PAGE, ("cookie", &format!("__clerk_handshake={handshake}"))]).await;
    assert_eq!(reply.body, "user_hs");
}

#[tokio::test]
async fn a_forged_handshake_token_sets_nothing_on_production_and_the_flow_goes_on() {
    let site = new_site(false, |c| c).await;
    let session = site.issuer.session("user_victim").mint();
    let forged =
        forge(&site.issuer, &json!({ "handshake": [format!("__session={session}"), "__client_uat=1".to_owned()] }));
    let reply = site.get(&format!("/p?__clerk_handshake={forged}"), &[("accept", "application/json")]).await;
    assert_eq!(reply.body, "signed out");
    assert!(set_cookies(&reply).is_empty(), "no cookie from an unverified payload");
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-and-uat-missing"));

    // A JWT-template token carries author-controlled claims: never a handshake payload.
    let template = site.issuer.sign_template(&json!({ "handshake": [format!("__session={session}")] }));
    let reply = site.get(&format!("/p?__clerk_handshake={template}"), &[("accept", "application/json")]).await;
    assert!(set_cookies(&reply).is_empty());
}

#[tokio::test]
async fn a_forged_handshake_token_on_development_is_signed_out_with_clerks_message_not_an_error() {
    let site = new_site(true, |c| c).await;
    let forged = forge(&site.issuer, &json!({ "handshake": ["__session=x"] }));
    let reply = site.get(&format!("/p?__clerk_handshake={forged}"), &[PAGE]).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "signed out"));
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("token-invalid-signature"));
    assert_eq!(
        reply.header("x-clerk-auth-message"),
        Some(
            "Clerk: Handshake token verification failed due to an invalid signature. If you have switched Clerk keys \
             locally, clear your cookies and try again."
        )
    );
    assert!(set_cookies(&reply).is_empty());
}

#[tokio::test]
async fn directives_that_are_not_cookies_refuse_the_whole_payload() {
    let site = new_site(false, |c| c).await;
    let session = site.issuer.session("user_1").mint();
    let handshake = site.issuer.sign(&json!({
        "handshake": [format!("__session={session}; Path=/"), "X-Injected: header".to_owned()]
    }));
    let reply = site.get(&format!("/p?__clerk_handshake={handshake}"), &[PAGE]).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "signed out"));
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-missing"));
    assert!(set_cookies(&reply).is_empty());
}

#[tokio::test]
async fn a_nonce_the_backend_api_does_not_know_is_signed_out_with_session_token_missing() {
    let site = new_site(false, |c| c).await;
    let reply = site.get("/p", &[PAGE, ("cookie", "__clerk_handshake_nonce=nonce_unknown")]).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "signed out"));
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-missing"));
    assert!(set_cookies(&reply).is_empty());
}

#[tokio::test]
async fn a_backend_api_that_is_down_or_slow_ends_signed_out_never_5xx() {
    // Down: nothing listens on the API URL.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let site_down = new_site(false, |c| c.api_url(&dead)).await;
    let reply = site_down.get("/p?__clerk_handshake_nonce=nonce_1", &[PAGE]).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "signed out"));
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-missing"));

    // Slow: an API that never answers within the timeout.
    let slow = serve(Router::new().route(
        "/{*p}",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    ))
    .await;
    let site_slow = new_site(false, |c| c.api_url(&slow).api_timeout(Duration::from_millis(200))).await;
    let started = std::time::Instant::now();
    let reply = site_slow.get("/p?__clerk_handshake_nonce=nonce_1", &[PAGE]).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-missing"));
    assert!(started.elapsed() < Duration::from_secs(10), "the timeout bounds the wait");
}

#[tokio::test]
async fn an_expired_session_with_a_refresh_cookie_is_refreshed_without_a_redirect() {
    let site = new_site(false, |c| c).await;
    let (client, cookies) = site.signed_in_browser("user_r");
    let refresh = site.issuer.refresh_cookie(&client).unwrap();
    let cookies = format!("{cookies}; {}", cookie_header(&[refresh]));
    site.clock.advance_secs(120);
    for headers in [vec![PAGE], vec![("accept", "application/json")]] {
        let mut headers = headers;
        headers.push(("cookie", &cookies));
        let reply = site.get("/p", &headers).await;
        assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "user_r"));
        assert!(set_cookies(&reply).iter().any(|c| c.starts_with("__session=ey")));
    }
}

#[tokio::test]
async fn a_refresh_the_backend_api_refuses_falls_back_to_a_handshake_with_its_reason() {
    let site = new_site(false, |c| c).await;
    let (client, cookies) = site.signed_in_browser("user_r");
    let refresh = site.issuer.refresh_cookie(&client).unwrap();
    let sfx_name = refresh.split('=').next().unwrap().to_owned();
    let cookies = format!("{cookies}; {sfx_name}=rt_unknown");
    site.clock.advance_secs(120);
    let reply = site.get("/p", &[PAGE, ("cookie", &cookies)]).await;
    assert_eq!(reply.status, 307);
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-expired-refresh-unexpected-bapi-error"));
    let reply = site.get("/p", &[("accept", "application/json"), ("cookie", &cookies)]).await;
    assert_eq!(reply.body, "signed out");

    // No secret key, no Backend API client.
    let pem = new_site(false, |c| c).await;
    let issuer = pem.issuer.clone();
    let clerk = Clerk::new(
        axum_clerk::ClerkConfig::builder()
            .jwt_key(issuer.public_key_pem())
            .publishable_key(issuer.publishable_key())
            .clock(pem.clock.clone())
            .clock_skew(Duration::ZERO)
            .build()
            .unwrap(),
    )
    .unwrap();
    let app = Router::new().route("/p", get(|| async { "x" })).layer(ClerkLayer::new(clerk));
    let client = issuer.new_client();
    let signed_in = cookie_header(&issuer.sign_in_client(&client, issuer.session("u")));
    let refresh = cookie_header(&[issuer.refresh_cookie(&client).unwrap()]);
    pem.clock.advance_secs(120);
    let cookie = format!("{signed_in}; {refresh}");
    let reply =
        send(&app, "GET", "/p", &[("host", "app.test"), ("accept", "application/json"), ("cookie", &cookie)]).await;
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("session-token-expired-refresh-missing-api-client"));
}

#[tokio::test]
async fn a_development_instance_retries_a_handshake_session_with_a_day_of_clock_skew() {
    for (development, signed_in) in [(true, true), (false, false)] {
        let site = new_site(development, |c| c).await;
        // The issuer's clock is an hour ahead of the application's.
        let session = site.issuer.session("user_skew").claim("iat", json!(NOW + 3600)).claim("nbf", json!(NOW + 3590));
        let session = session.claim("exp", json!(NOW + 3660)).mint();
        let handshake = site.issuer.sign(&json!({ "handshake": [format!("__session={session}; Path=/")] }));
        let reply = site.get(&format!("/p?__clerk_handshake={handshake}"), &[("accept", "application/json")]).await;
        if signed_in {
            assert_eq!(reply.status, 307, "development: back to the URL without the handshake");
            assert_eq!(reply.header("x-clerk-auth-status"), None, "signed in");
        } else {
            assert_eq!(reply.body, "signed out", "production: no retry, the flow goes on");
            assert!(set_cookies(&reply).is_empty());
        }
    }
}

#[tokio::test]
async fn an_expired_header_token_on_a_document_request_gets_a_handshake() {
    let site = new_site(false, |c| c).await;
    let token = site.issuer.session("user_h").mint();
    site.clock.advance_secs(120);
    let bearer = format!("Bearer {token}");
    let reply = site.get("/p", &[PAGE, ("authorization", &bearer)]).await;
    assert_eq!(reply.status, 307);
    assert!(query(reply.header("location").unwrap()).contains(&("__session".into(), token.clone())));
    let reply = site.get("/p", &[("authorization", &bearer)]).await;
    assert_eq!(reply.body, "signed out");
}

#[tokio::test]
async fn without_a_publishable_key_there_is_no_handshake_and_the_reason_stays() {
    let issuer = TestIssuer::new();
    let api = serve(issuer.router()).await;
    let clerk = Clerk::new(issuer.config(&api).build().unwrap()).unwrap();
    let app = Router::new().route("/p", get(|| async { "page" })).layer(ClerkLayer::new(clerk));
    let reply = send(&app, "GET", "/p", &[("host", "app.test"), PAGE, ("cookie", "__client_uat=5")]).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "page"));
    assert_eq!(reply.header("x-clerk-auth-reason"), Some("client-uat-but-no-session-token"));
}

#[tokio::test]
async fn a_signed_in_page_load_from_another_site_syncs_through_one_handshake() {
    let site = new_site(false, |c| c).await;
    let (_, cookies) = site.signed_in_browser("user_x");
    let from_elsewhere = site.get("/p", &[PAGE, ("cookie", &cookies), ("referer", "https://news.example/")]).await;
    assert_eq!(from_elsewhere.status, 307);
    assert_eq!(from_elsewhere.header("x-clerk-auth-reason"), Some("primary-domain-cross-origin-sync"));
    // Coming back (within the burst) it is not asked again, nor from the app's own pages.
    let cookie = format!("{cookies}; __clerk_redirect_count=1");
    let back = site.get("/p", &[PAGE, ("cookie", &cookie), ("referer", "https://news.example/")]).await;
    assert_eq!((back.status.as_u16(), back.body.as_str()), (200, "user_x"));
    let inside = site.get("/p", &[PAGE, ("cookie", &cookies), ("referer", "http://app.test/home")]).await;
    assert_eq!((inside.status.as_u16(), inside.body.as_str()), (200, "user_x"));
}

#[tokio::test]
async fn a_replayed_handshake_whose_session_expired_signs_nobody_in_and_sets_nothing() {
    for development in [false, true] {
        let site = new_site(development, |c| c).await;
        let session = site.issuer.session("user_old").mint();
        let handshake = site.issuer.sign(&json!({ "handshake": [format!("__session={session}; Path=/")] }));
        let uri = format!("/p?__clerk_handshake={handshake}");
        assert_eq!(site.get(&uri, &[("accept", "application/json")]).await.status, if development { 307 } else { 200 });
        // Two days later the same handshake comes back: beyond even the development retry.
        site.clock.advance_secs(2 * 86_400);
        let replay = site.get(&uri, &[("accept", "application/json")]).await;
        assert_eq!(replay.body, "signed out", "development: {development}");
        assert!(set_cookies(&replay).is_empty(), "development: {development}");
    }
}

//! The demo site on a real socket, every route walked in both modes: the embedded development
//! issuer (sign-in pages, JWKS over HTTP) and an external key (`CLERK_JWT_KEY`) with tokens
//! minted in the test.

use axum_clerk::testing::TestIssuer;
use axum_clerk::{Clerk, ClerkConfig};
use axum_clerk_examples::dashboard::{app, dev_clerk, Mode};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::Value;

struct Site {
    base: String,
    http: reqwest::Client,
}

impl Site {
    async fn development() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = TestIssuer::new();
        let clerk = dev_clerk(&issuer, addr, |_| None).unwrap();
        tokio::spawn(async move { axum::serve(listener, app(clerk, Mode::Development(issuer))).await.unwrap() });
        Self::at(addr)
    }

    async fn external_key(issuer: &TestIssuer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config =
            ClerkConfig::from_vars(|name| (name == "CLERK_JWT_KEY").then(|| issuer.public_key_pem().to_owned()))
                .unwrap();
        let clerk = Clerk::new(config).unwrap();
        tokio::spawn(async move { axum::serve(listener, app(clerk, Mode::Clerk)).await.unwrap() });
        Self::at(addr)
    }

    fn at(addr: std::net::SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
        }
    }

    async fn get(&self, path: &str, cookie: Option<&str>, page: bool) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if page {
            request = request.header("sec-fetch-dest", "document").header("accept", "text/html");
        }
        request.send().await.unwrap()
    }

    /// A browser's first page load on the development instance, followed hop by hop: no
    /// dev-browser token yet, so Clerk's handshake runs with the embedded issuer and the browser
    /// comes back to `path` with one. Returns the Cookie header it has then, and the page.
    async fn first_visit(&self, path: &str) -> (String, reqwest::Response) {
        let to_issuer = self.get(path, None, true).await;
        assert_eq!(to_issuer.status(), StatusCode::TEMPORARY_REDIRECT);
        assert!(location(&to_issuer).starts_with(&format!("{}/__dev/issuer/v1/client/handshake?", self.base)));
        assert_eq!(to_issuer.headers()["x-clerk-auth-reason"], "dev-browser-missing");
        let back = self.http.get(location(&to_issuer)).send().await.unwrap();
        assert_eq!(back.status(), StatusCode::TEMPORARY_REDIRECT);
        assert!(location(&back).contains("__clerk_handshake_nonce="), "{}", location(&back));
        let resolved = self.http.get(location(&back)).header("sec-fetch-dest", "document").send().await.unwrap();
        assert_eq!(resolved.status(), StatusCode::TEMPORARY_REDIRECT, "a development instance cleans the URL");
        assert_eq!(location(&resolved), format!("{}{path}", self.base));
        let cookie = cookies_of(&resolved);
        assert!(cookie.contains("__clerk_db_jwt=dvb_"), "{cookie}");
        let page = self.get(path, Some(&cookie), true).await;
        (cookie, page)
    }

    /// Signs in through the sign-in form; returns the Cookie header to send from then on.
    async fn sign_in(&self, user: &str, redirect_url: &str) -> (String, reqwest::Response) {
        let response = self
            .http
            .post(format!("{}/sign-in", self.base))
            .header("origin", &self.base)
            .form(&[("user", user), ("redirect_url", redirect_url)])
            .send()
            .await
            .unwrap();
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect::<Vec<_>>()
            .join("; ");
        (cookie, response)
    }
}

/// The cookies a response sets, as a `Cookie` header (cleared ones left out).
fn cookies_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|c| !c.contains("Max-Age=0"))
        .filter_map(|c| c.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

fn location(response: &reqwest::Response) -> &str {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn development_mode_walks_every_route() {
    let site = Site::development().await;
    assert_eq!(site.get("/healthz", None, false).await.text().await.unwrap(), "ok");
    let (db, home) = site.first_visit("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("Signed out"));

    // Signed out: the protected tree redirects pages to sign-in and 404s the rest.
    let redirect = site.get("/dashboard", Some(&db), true).await;
    assert_eq!(redirect.status(), StatusCode::TEMPORARY_REDIRECT);
    let expected = format!(
        "{}/sign-in?redirect_url={}",
        site.base,
        url::form_urlencoded::byte_serialize(format!("{}/dashboard", site.base).as_bytes()).collect::<String>()
    );
    assert_eq!(location(&redirect), expected);
    assert_eq!(site.get("/dashboard/projects", None, false).await.status(), StatusCode::NOT_FOUND);
    let data = site.get("/api/data", None, false).await;
    assert_eq!((data.status(), data.text().await.unwrap().as_str()), (StatusCode::UNAUTHORIZED, "Unauthorized"));
    let me: Value = site.get("/api/me", None, false).await.json().await.unwrap();
    assert_eq!((me["userId"].clone(), me["orgRole"].clone()), (Value::Null, Value::Null));
    let sign_in_page = site.get("/sign-in?redirect_url=%2Fdashboard", Some(&db), true).await.text().await.unwrap();
    for user in ["ada", "max", "nora"] {
        assert!(sign_in_page.contains(&format!("id=\"sign-in-{user}\"")), "{user}");
    }

    // Ada: admin with org:team_settings:manage (a v2 token), back to where she came from.
    let (ada, response) = site.sign_in("ada", &format!("{}/dashboard", site.base)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{}/dashboard", site.base));
    assert!(ada.contains("__session=") && ada.contains("__client_uat="));
    let dashboard = site.get("/dashboard", Some(&ada), true).await.text().await.unwrap();
    assert!(dashboard.contains("user_demo_ada") && dashboard.contains("org:team_settings:manage"), "{dashboard}");
    assert_eq!(site.get("/dashboard/projects", Some(&ada), true).await.status(), StatusCode::OK);
    assert!(site
        .get("/team-settings", Some(&ada), true)
        .await
        .text()
        .await
        .unwrap()
        .contains("<h1>Team Settings</h1>"));
    assert!(site.get("/role", Some(&ada), true).await.text().await.unwrap().contains("Your current role is org:admin"));
    let me: Value = site.get("/api/me", Some(&ada), false).await.json().await.unwrap();
    assert_eq!(me["userId"], "user_demo_ada");
    assert_eq!(me["orgId"], "org_acme");
    assert_eq!(me["orgSlug"], "acme");
    assert_eq!(me["orgPermissions"], serde_json::json!(["org:team_settings:manage", "org:team_settings:read"]));
    let data: Value = site.get("/api/data", Some(&ada), false).await.json().await.unwrap();
    assert_eq!(data["data"]["userId"], "user_demo_ada");
    let template = data["data"]["token"].as_str().unwrap();
    let payload = template.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64_url(payload)).unwrap();
    assert_eq!((claims["aud"].as_str(), claims["sub"].as_str()), (Some("authenticated"), Some("user_demo_ada")));
    // The template token is not a session: presented as one, it is refused (§5.4).
    let dev_browser = db.split("; ").find(|c| c.starts_with("__clerk_db_jwt=")).unwrap();
    let as_session = format!("{dev_browser}; __client_uat=1; __session={template}");
    let refused = site.get("/api/me", Some(&as_session), false).await;
    assert_eq!(refused.headers()["x-clerk-auth-reason"], "token-type-mismatch");
    let dashboard = site.get("/dashboard", Some(&as_session), true).await;
    assert_eq!(dashboard.status(), StatusCode::TEMPORARY_REDIRECT, "sent to sign-in, not let in");
    let created = site
        .http
        .post(format!("{}/api/teams", site.base))
        .header("cookie", &ada)
        .json(&serde_json::json!({"name": "Core"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!((created["userId"].as_str(), created["team"]["name"].as_str()), (Some("user_demo_ada"), Some("Core")));

    // Max: a member without the permission.
    let (max, _) = site.sign_in("max", "/").await;
    let settings = site.get("/team-settings", Some(&max), true).await;
    assert_eq!(settings.status(), StatusCode::FORBIDDEN);
    let page = settings.text().await.unwrap();
    assert!(page.contains("<h1>You don&#39;t have access</h1>"), "{page}");
    assert!(!page.contains("You can manage"), "{page}");
    let refused = site
        .http
        .post(format!("{}/api/teams", site.base))
        .header("cookie", &max)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND, "refused before the body is parsed");
    assert!(site
        .get("/role", Some(&max), true)
        .await
        .text()
        .await
        .unwrap()
        .contains("Your current role is org:member"));

    // Nora: no active organization.
    let (nora, _) = site.sign_in("nora", "/").await;
    assert!(site.get("/role", Some(&nora), true).await.text().await.unwrap().contains("Your current role is none"));
    assert_eq!(site.get("/dashboard", Some(&nora), true).await.status(), StatusCode::OK);

    // Sign out clears the cookies.
    let out = site
        .http
        .post(format!("{}/sign-out", site.base))
        .header("cookie", &ada)
        .header("origin", &site.base)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared: Vec<String> =
        out.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cleared.iter().any(|c| c.starts_with("__session=;") && c.contains("Max-Age=0")));
    assert!(cleared.iter().any(|c| c.starts_with("__client_uat=0")));
}

#[tokio::test]
async fn sign_in_only_returns_to_same_origin_targets() {
    let site = Site::development().await;
    let same = format!("{}/dashboard?tab=1", site.base);
    let (_, response) = site.sign_in("max", &same).await;
    assert_eq!(location(&response), same);
    let (_, response) = site.sign_in("max", "/role").await;
    assert_eq!(location(&response), format!("{}/role", site.base));
    for evil in [
        "https://evil.com/",
        "//evil.com",
        "/\\evil.com",
        "http:evil.com",
        "javascript:alert(1)",
        "/..//evil.com",
        "https://127.0.0.1.evil.com/",
    ] {
        let (_, response) = site.sign_in("max", evil).await;
        assert_eq!(location(&response), "/", "{evil}");
    }
    let unknown = site
        .http
        .post(format!("{}/sign-in", site.base))
        .header("origin", &site.base)
        .form(&[("user", "mallory")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn external_key_mode_verifies_tokens_minted_elsewhere_and_has_no_built_in_sign_in() {
    let issuer = TestIssuer::new();
    let site = Site::external_key(&issuer).await;
    assert_eq!(site.get("/sign-in", None, true).await.status(), StatusCode::NOT_FOUND);
    // JWT machine tokens verify with the key alone; opaque ones would need CLERK_SECRET_KEY.
    for (token, kind) in
        [(issuer.m2m_jwt("mch_1", &[]), "m2m_token"), (issuer.oauth_jwt("user_1", "c", &[]), "oauth_token")]
    {
        let response = site.http.get(format!("{}/api/machine", site.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.json::<Value>().await.unwrap()["tokenType"], kind);
    }
    let redirect = site.get("/dashboard", None, true).await;
    assert_eq!(redirect.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(location(&redirect).starts_with(&format!("{}/sign-in?redirect_url=", site.base)));

    let token =
        issuer.session("user_ext").org("org_x", "ext", "org:admin").permissions(["org:team_settings:manage"]).mint();
    let cookie = format!("__session={token}; __client_uat=1");
    assert!(site.get("/dashboard", Some(&cookie), true).await.text().await.unwrap().contains("user_ext"));
    assert!(site
        .get("/team-settings", Some(&cookie), true)
        .await
        .text()
        .await
        .unwrap()
        .contains("<h1>Team Settings</h1>"));
    assert!(site.get("/role", Some(&cookie), true).await.text().await.unwrap().contains("org:admin"));
    let me: Value = site.get("/api/me", Some(&cookie), false).await.json().await.unwrap();
    assert_eq!(me["userId"], "user_ext");
    let bearer = site.http.get(format!("{}/api/me", site.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(bearer.json::<Value>().await.unwrap()["orgSlug"], "ext");
    let data = site.get("/api/data", Some(&cookie), false).await;
    assert_eq!(data.status(), StatusCode::BAD_GATEWAY, "templates need CLERK_SECRET_KEY");
    assert!(data.text().await.unwrap().contains("CLERK_SECRET_KEY"));
    let forged = TestIssuer::new().session("user_ext").mint();
    let me: Value =
        site.get("/api/me", Some(&format!("__session={forged}; __client_uat=1")), false).await.json().await.unwrap();
    assert_eq!(me["userId"], Value::Null, "a token from another key is signed out");
    assert_eq!(site.get("/healthz", None, false).await.status(), StatusCode::OK);
}

fn base64_url(segment: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment).unwrap()
}

#[tokio::test]
async fn clerk_authorized_parties_applies_in_development_mode_too() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let issuer = TestIssuer::new();
    let env = |name: &str| (name == "CLERK_AUTHORIZED_PARTIES").then(|| "https://elsewhere.example".to_owned());
    let clerk = dev_clerk(&issuer, addr, env).unwrap();
    tokio::spawn(async move { axum::serve(listener, app(clerk, Mode::Development(issuer))).await.unwrap() });
    let site = Site::at(addr);
    let (cookie, _) = site.sign_in("ada", "/").await;
    let me = site.get("/api/me", Some(&cookie), false).await;
    assert_eq!(
        me.headers().get("x-clerk-auth-reason").and_then(|v| v.to_str().ok()),
        Some("token-invalid-authorized-parties")
    );
    assert_eq!(me.json::<Value>().await.unwrap()["userId"], Value::Null, "azp is this origin, not an authorized party");
}

#[tokio::test]
async fn machine_routes_take_the_tokens_they_say() {
    let site = Site::development().await;
    let tokens: Value =
        site.http.post(format!("{}/dev/machine-tokens", site.base)).send().await.unwrap().json().await.unwrap();
    let call = |path: &'static str, token: Option<String>| {
        let site = &site;
        async move {
            let mut request = site.http.get(format!("{}{path}", site.base));
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for (name, kind) in [
        ("api_key", "api_key"),
        ("m2m_token", "m2m_token"),
        ("m2m_jwt", "m2m_token"),
        ("oauth_token", "oauth_token"),
        ("oauth_jwt", "oauth_token"),
    ] {
        let token = tokens[name].as_str().unwrap().to_owned();
        let (status, json) = call("/api/machine", Some(token.clone())).await;
        assert_eq!((status, json["tokenType"].as_str()), (StatusCode::OK, Some(kind)), "{name}");
        assert_eq!(json["isAuthenticated"], true);
        let (status, _) = call("/api/keys-only", Some(token)).await;
        let expected = if kind == "api_key" { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
        assert_eq!(status, expected, "{name} on /api/keys-only");
    }
    let (_, key) = call("/api/keys-only", tokens["api_key"].as_str().map(str::to_owned)).await;
    assert_eq!((key["name"].as_str(), key["userId"].as_str()), (Some("demo key"), Some("user_demo_ada")));
    // A session: /api/machine answers what /api/me does; /api/keys-only refuses it.
    let (ada, _) = site.sign_in("ada", "/").await;
    let session = ada.split("; ").find_map(|c| c.strip_prefix("__session=")).unwrap().to_owned();
    let (status, json) = call("/api/machine", Some(session.clone())).await;
    assert_eq!(
        (status, json["userId"].as_str(), json["tokenType"].as_str()),
        (StatusCode::OK, Some("user_demo_ada"), Some("session_token"))
    );
    assert_eq!(call("/api/keys-only", Some(session)).await.0, StatusCode::UNAUTHORIZED);
    // Nothing valid: 401.
    assert_eq!(call("/api/machine", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call("/api/machine", Some("ak_not_a_key".into())).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call("/api/keys-only", None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_development_sign_in_and_sign_out_refuse_cross_site_requests() {
    let site = Site::development().await;
    let post = |path: &str, origin: Option<&str>, fetch_site: Option<&str>| {
        let mut request = site.http.post(format!("{}{path}", site.base)).form(&[("user", "ada")]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(fetch_site) = fetch_site {
            request = request.header("sec-fetch-site", fetch_site);
        }
        async move { request.send().await.unwrap() }
    };
    for path in ["/sign-in", "/sign-out"] {
        let evil = post(path, Some("https://evil.example"), Some("cross-site")).await;
        assert_eq!(evil.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(evil.headers().get("set-cookie").is_none(), "{path}: nothing signed in or out");
        assert_eq!(post(path, None, None).await.status(), StatusCode::FORBIDDEN, "{path}: not a browser form");
        assert_eq!(post(path, None, Some("same-site")).await.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(post(path, Some(&site.base), None).await.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(post(path, None, Some("same-origin")).await.status(), StatusCode::SEE_OTHER, "{path}");
    }
}

#[test]
fn the_mode_is_chosen_explicitly_and_a_partial_configuration_is_an_error() {
    use axum_clerk_examples::dashboard::choose_mode;
    let vars =
        |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
    assert_eq!(choose_mode(&vars(&[("PATH", "/bin"), ("PORT", "3000")])), Ok(false), "nothing set: the issuer");
    assert_eq!(choose_mode(&vars(&[("CLERK_SECRET_KEY", "sk_test_x")])), Ok(true));
    assert_eq!(choose_mode(&vars(&[("CLERK_JWT_KEY", "-----BEGIN…"), ("CLERK_APP_ORIGIN", "https://a.b")])), Ok(true));
    let only_public = choose_mode(&vars(&[("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "pk_test_x")])).unwrap_err();
    assert!(only_public.contains("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY set, but no key"), "{only_public}");
    let typo = choose_mode(&vars(&[("CLERK_SECRT_KEY", "sk_test_x")])).unwrap_err();
    assert!(typo.starts_with("CLERK_SECRT_KEY is not a variable"), "{typo}");
    assert_eq!(choose_mode(&vars(&[("CLERK_SECRET_KEY", "  ")])), Ok(false), "blank is unset");
}

#[tokio::test]
async fn the_sign_in_button_goes_to_the_configured_sign_in_page() {
    let dev = Site::development().await;
    let (db, home) = dev.first_visit("/").await;
    let _ = db;
    let html = home.text().await.unwrap();
    assert!(html.contains(&format!(r#"id="sign-in" href="{}/sign-in?redirect_url="#, dev.base)), "{html}");
    // Real Clerk: the Account Portal of the publishable key.
    let issuer = TestIssuer::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ClerkConfig::from_vars(|name| match name {
        "CLERK_JWT_KEY" => Some(issuer.public_key_pem().to_owned()),
        "CLERK_PUBLISHABLE_KEY" => Some("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k".to_owned()),
        _ => None,
    })
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, app(Clerk::new(config).unwrap(), Mode::Clerk)).await.unwrap() });
    let real = Site::at(addr);
    let html = real.get("/", None, false).await.text().await.unwrap();
    assert!(html.contains(r#"id="sign-in" href="https://accounts.example.com/sign-in?redirect_url="#), "{html}");
    // ClerkJS from the instance's Frontend API keeps the session fresh.
    assert!(
        html.contains(r#"data-clerk-publishable-key="pk_live_Y2xlcmsuZXhhbXBsZS5jb20k" src="https://clerk.example.com/npm/@clerk/clerk-js@5/dist/clerk.browser.js""#),
        "{html}"
    );
}

#[test]
fn every_demo_handler_declares_its_access_in_the_inventory() {
    use axum_clerk::{declared_routes, Access};
    let routes: Vec<_> =
        declared_routes().into_iter().filter(|r| r.module.starts_with("axum_clerk_examples::dashboard")).collect();
    let expected = [
        ("home", Access::Public, ""),
        ("sign_in_page", Access::Public, ""),
        ("sign_in", Access::Public, ""),
        ("sign_out", Access::Public, ""),
        ("machine_tokens", Access::Public, ""),
        ("receive", Access::Public, ""),
        ("page", Access::Public, ""),
        ("dashboard", Access::Protect, "signed in"),
        ("dashboard_section", Access::Protect, "signed in"),
        ("team_settings", Access::Auth, ""),
        ("role", Access::Auth, ""),
        ("data", Access::Auth, ""),
        ("me", Access::Auth, ""),
        ("create_team", Access::Protect, r#"permission = "org:team_settings:manage""#),
        ("machine", Access::Protect, r#"token = "any""#),
        ("keys_only", Access::Protect, r#"token = "api_key""#),
    ];
    let names: Vec<_> = routes.iter().map(|r| (r.module, r.function)).collect();
    for (function, access, rule) in expected {
        let route = routes
            .iter()
            .find(|r| r.function == function)
            .unwrap_or_else(|| panic!("{function} is declared: {names:?}"));
        assert_eq!((route.access, route.rule), (access, rule), "{function}");
    }
    assert_eq!(routes.len(), expected.len(), "every declared demo handler is in the list above");
}

/// The demo's protection matrix, checked in as `examples/protection-matrix.md`: every route as
/// every persona, page and API request. `UPDATE_MATRIX=1` rewrites the file after a deliberate
/// change; otherwise a difference fails the test, so a changed rule shows up in review.
#[tokio::test]
async fn the_demo_protection_matrix_is_the_one_checked_in() {
    use axum::http::Method;
    use axum_clerk::testing::{Persona, ProtectionMatrix};
    let issuer = TestIssuer::new();
    // A fixed configuration (no publishable key, so no handshake with a random port in it).
    let config = ClerkConfig::from_vars(|name| match name {
        "CLERK_JWT_KEY" => Some(issuer.public_key_pem().to_owned()),
        "CLERK_SIGN_IN_URL" => Some("/sign-in".to_owned()),
        _ => None,
    })
    .unwrap();
    let router = app(Clerk::new(config).unwrap(), Mode::Clerk);
    let matrix = ProtectionMatrix::new(&issuer)
        .admin_permissions(["org:team_settings:manage", "org:team_settings:read"])
        .get("/")
        .get("/dashboard")
        .get("/dashboard/projects")
        .get("/team-settings")
        .get("/role")
        .get("/api/me")
        .get("/api/machine")
        .get("/api/keys-only")
        .post_json("/api/teams", serde_json::json!({"name": "Core"}))
        .run(&router)
        .await;
    // The seed page's examples.
    let get = Method::GET;
    let cell =
        |method: &Method, path: &str, persona, page| matrix.outcome(method, path, persona, page).unwrap().clone();
    assert_eq!(cell(&get, "/dashboard", Persona::SignedOut, true).location.as_deref(), Some("/sign-in"));
    assert_eq!(cell(&get, "/dashboard", Persona::SignedOut, false).status, 404);
    assert_eq!(cell(&Method::POST, "/api/teams", Persona::Member, false).status, 404);
    assert_eq!(cell(&Method::POST, "/api/teams", Persona::Admin, false).status, 201);
    assert_eq!(cell(&get, "/team-settings", Persona::Admin, true).status, 200);
    assert_eq!(cell(&get, "/team-settings", Persona::Member, true).status, 403);
    assert_eq!(cell(&get, "/api/keys-only", Persona::Machine, false).status, 401);
    let table = format!(
        "# Protection matrix of the demo\n\nGenerated by `the_demo_protection_matrix_is_the_one_checked_in` \
         (`examples/tests/dashboard.rs`); each cell is `page · API`. Regenerate with \
         `UPDATE_MATRIX=1 cargo test -p axum-clerk-examples --test dashboard`.\n\n{}",
        matrix.to_markdown()
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protection-matrix.md");
    if std::env::var_os("UPDATE_MATRIX").is_some() {
        std::fs::write(&path, &table).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(checked_in, table, "the demo's protection matrix changed: review it, then UPDATE_MATRIX=1");
    assert_eq!(matrix.to_json().as_array().unwrap().len(), 9);
}

/// The demo's typed permissions (`examples/dashboard/clerk_permissions.rs`) are what the
/// generator writes from the development issuer's roles and permissions, read page by page over
/// HTTP; `--check` catches a renamed permission. `UPDATE_PERMISSIONS=1` rewrites the file.
#[tokio::test]
async fn the_generated_permissions_match_the_instance_and_check_catches_a_rename() {
    use axum_clerk::testing::{OrganizationPermission, OrganizationRole};
    use axum_clerk_examples::typed_permissions::{check, fetch, render};
    let issuer = TestIssuer::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let router = issuer.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let (roles, permissions) = fetch(&api, issuer.secret_key(), Some(2)).await.unwrap();
    assert_eq!(permissions.len(), 6, "every page was read");
    let module = render(&roles, &permissions);
    assert!(module.contains(r#"pub const TEAM_SETTINGS_MANAGE: &str = "org:team_settings:manage";"#), "{module}");
    assert!(module.contains(r#"pub const ADMIN: &str = "org:admin";"#));
    assert!(!module.contains("sys_"), "system permissions are left out");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboard/clerk_permissions.rs");
    if std::env::var_os("UPDATE_PERMISSIONS").is_some() {
        std::fs::write(&path, &module).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap();
    assert_eq!(check(&checked_in, &roles, &permissions), Ok(()));

    // Someone renames a permission in the dashboard: the check fails.
    let (roles, mut permissions): (Vec<OrganizationRole>, Vec<OrganizationPermission>) = (
        vec![OrganizationRole { key: "org:admin".into(), name: "Admin".into(), permissions: vec![] }],
        vec![OrganizationPermission {
            key: "org:team_settings:administer".into(),
            name: "Manage team settings".into(),
        }],
    );
    permissions
        .push(OrganizationPermission { key: "org:team_settings:read".into(), name: "Read team settings".into() });
    issuer.set_organization_roles(roles, permissions);
    let (roles, permissions) = fetch(&api, issuer.secret_key(), None).await.unwrap();
    assert!(check(&checked_in, &roles, &permissions).unwrap_err().contains("differs"));
    // And a wrong secret key is refused by the Backend API.
    assert!(fetch(&api, "sk_test_wrong", None).await.unwrap_err().contains("401"));
}

#[tokio::test]
async fn the_demo_receives_clerks_webhooks_and_shows_the_last_ones() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let issuer = TestIssuer::new();
    let clerk = dev_clerk(&issuer, addr, |_| None).unwrap();
    let served = issuer.clone();
    tokio::spawn(async move { axum::serve(listener, app(clerk, Mode::Development(served))).await.unwrap() });
    let site = Site::at(addr);
    let deliver = |body: Vec<u8>, headers: reqwest::header::HeaderMap| {
        let request = site.http.post(format!("{}/api/webhooks/clerk", site.base)).headers(headers).body(body);
        async move { request.send().await.unwrap() }
    };
    let convert = |headers: axum::http::HeaderMap| {
        let mut out = reqwest::header::HeaderMap::new();
        for (name, value) in &headers {
            out.insert(
                reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
        }
        out
    };
    let body = serde_json::to_vec(&serde_json::json!({
        "type": "user.created", "object": "event",
        "data": {"id": "user_webhook_1", "email_addresses": [], "first_name": "Wanda"}
    }))
    .unwrap();
    let signed = convert(issuer.sign_webhook(&body));
    let accepted = deliver(body.clone(), signed.clone()).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let answer: Value = accepted.json().await.unwrap();
    assert_eq!((answer["type"].as_str(), answer["duplicate"].as_bool()), (Some("user.created"), Some(false)));
    // The same message again (a retry, or a replay within the window) is recognised.
    let again: Value = deliver(body.clone(), signed).await.json().await.unwrap();
    assert_eq!(again["duplicate"], true);
    // Anything not signed by the issuer is refused.
    let forged = convert(TestIssuer::new().sign_webhook(&body));
    assert_eq!(deliver(body.clone(), forged).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(body, reqwest::header::HeaderMap::new()).await.status(), StatusCode::BAD_REQUEST);
    let (db, _) = site.first_visit("/webhooks").await;
    let page = site.get("/webhooks", Some(&db), true).await.text().await.unwrap();
    assert!(page.contains("<code>user.created</code>") && page.contains("<code>user_webhook_1</code>"), "{page}");
}

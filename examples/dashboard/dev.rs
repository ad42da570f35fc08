//! The embedded development issuer's pages: `GET /sign-in` lists the demo users, `POST /sign-in`
//! signs the browser's client (its dev-browser token) in at the issuer and sets `__session` and
//! `__client_uat` as Clerk's front end does, `POST /sign-out` signs it out and clears them.
//! Tokens live 60 seconds, as Clerk's do: when one expires, the next page load goes through
//! Clerk's handshake with the issuer and comes back with a fresh one.

use axum::extract::{Form, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_clerk::testing::TestIssuer;
use axum_clerk::{public, validate_return_url, Auth};
use serde::Deserialize;

use askama::Template;
use axum::Extension;

use super::pages;

/// A user the development issuer can sign in.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Form value and user-ID suffix.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// What the user demonstrates.
    pub blurb: &'static str,
    /// Active organisation: (id, slug, role, permissions).
    pub org: Option<(&'static str, &'static str, &'static str, &'static [&'static str])>,
    /// Encode the token as a v2 session token.
    pub v2: bool,
    /// The `fea` claim (features of the organisation and user).
    pub features: &'static str,
    /// The `pla` claim (plans).
    pub plans: &'static str,
}

/// The demo users: an admin with `org:team_settings:manage`, a member without permissions, and
/// a user with no active organisation.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        key: "ada",
        name: "Ada Admin",
        blurb: "Admin of Acme Inc. with org:team_settings:manage (v2 token)",
        org: Some(("org_acme", "acme", "org:admin", &["org:team_settings:manage", "org:team_settings:read"])),
        v2: true,
        features: "o:teams",
        plans: "o:pro",
    },
    DemoUser {
        key: "max",
        name: "Max Member",
        blurb: "Member of Acme Inc. without permissions (v1 token)",
        org: Some(("org_acme", "acme", "org:member", &[])),
        v2: false,
        features: "o:teams",
        plans: "o:free",
    },
    DemoUser {
        key: "nora",
        name: "Nora Solo",
        blurb: "Signed in with no active organization",
        org: None,
        v2: false,
        features: "",
        plans: "",
    },
];

pub(super) fn sign_in_routes(issuer: TestIssuer) -> Router {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/dev/machine-tokens", post(machine_tokens))
        .layer(Extension(issuer))
}

#[derive(Deserialize)]
struct RedirectQuery {
    redirect_url: Option<String>,
}

/// A demo user as the sign-in page lists them.
struct UserChoice {
    key: &'static str,
    name: &'static str,
    first_name: &'static str,
    blurb: &'static str,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: pages::Chrome,
    users: Vec<UserChoice>,
    redirect_url: String,
}

/// The demo users to choose from (development issuer).
#[public]
async fn sign_in_page(
    auth: Auth,
    Extension(site): Extension<pages::Site>,
    Query(query): Query<RedirectQuery>,
) -> Response {
    let users = DEMO_USERS
        .iter()
        .map(|u| UserChoice {
            key: u.key,
            name: u.name,
            first_name: u.name.split(' ').next().unwrap_or(u.name),
            blurb: u.blurb,
        })
        .collect();
    let page = SignInPage {
        chrome: pages::Chrome::new("Sign in", &auth, &site),
        users,
        redirect_url: query.redirect_url.unwrap_or_default(),
    };
    pages::render(&page)
}

#[derive(Deserialize)]
struct SignIn {
    user: String,
    redirect_url: Option<String>,
}

/// The origin of this request as the browser sees it, for same-origin checks.
fn request_origin(headers: &HeaderMap) -> Option<url::Url> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let origin = url::Url::parse(&format!("http://{host}")).ok()?;
    (origin.path() == "/").then_some(origin)
}

/// The browser's client at the issuer: its dev-browser token (the `__clerk_db_jwt` cookie).
fn dev_browser(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == "__clerk_db_jwt" && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The development issuer's forms change who is signed in, so they refuse cross-site requests:
/// the browser's `Origin` must be this site's own (or, without one, `Sec-Fetch-Site` must say
/// `same-origin`). A request with neither — not a browser form — is refused too.
fn same_origin(headers: &HeaderMap) -> bool {
    let own = request_origin(headers).map(|o| o.origin().ascii_serialization());
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => own.as_deref() == Some(origin),
        None => headers.get("sec-fetch-site").is_some_and(|s| s == "same-origin"),
    }
}

fn cross_site() -> Response {
    (StatusCode::FORBIDDEN, "cross-site request refused").into_response()
}

/// Signs the browser in as a demo user (same-origin form posts only).
#[public]
async fn sign_in(Extension(issuer): Extension<TestIssuer>, headers: HeaderMap, Form(form): Form<SignIn>) -> Response {
    if !same_origin(&headers) {
        return cross_site();
    }
    let Some(user) = DEMO_USERS.iter().find(|u| u.key == form.user) else {
        return (StatusCode::BAD_REQUEST, "unknown demo user").into_response();
    };
    let origin = request_origin(&headers);
    let mut session = issuer.session(&format!("user_demo_{}", user.key));
    if let Some(origin) = &origin {
        session = session.azp(&origin.origin().ascii_serialization());
    }
    if let Some((id, slug, role, permissions)) = user.org {
        session = session.org(id, slug, role).permissions(permissions.iter().copied());
    }
    if user.v2 {
        session = session.v2();
    }
    session = session.claim("name", serde_json::json!(user.name));
    if !user.features.is_empty() {
        session = session.claim("fea", serde_json::json!(user.features));
    }
    if !user.plans.is_empty() {
        session = session.claim("pla", serde_json::json!(user.plans));
    }
    // Only same-origin targets: anything else lands on the home page.
    let target = form
        .redirect_url
        .filter(|r| !r.is_empty())
        .and_then(|r| validate_return_url(&r, origin.as_ref(), &[]))
        .map_or_else(|| "/".to_owned(), String::from);
    let response = (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
    let (client, mut cookies) = match dev_browser(&headers) {
        Some(client) => (client, Vec::new()),
        // A browser that has not been through a handshake yet gets its dev browser here.
        None => {
            let client = issuer.new_client();
            let cookie =
                cookie::Cookie::build(("__clerk_db_jwt", client.clone())).path("/").same_site(cookie::SameSite::Lax);
            (client, vec![cookie.build().to_string()])
        }
    };
    cookies.extend(issuer.sign_in_client(&client, session));
    with_cookies(response, &cookies)
}

/// Signs the browser out (same-origin form posts only).
#[public]
async fn sign_out(Extension(issuer): Extension<TestIssuer>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return cross_site();
    }
    let response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    let cookies = match dev_browser(&headers) {
        Some(client) => issuer.sign_out_client(&client),
        None => vec![
            "__session=; Path=/; Max-Age=0; SameSite=Lax".to_owned(),
            "__client_uat=0; Path=/; SameSite=Lax".to_owned(),
        ],
    };
    with_cookies(response, &cookies)
}

/// `POST /dev/machine-tokens` (development issuer only): one of each machine token, for trying
/// `/api/machine` and `/api/keys-only` with `curl`.
#[public]
async fn machine_tokens(Extension(issuer): Extension<TestIssuer>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "api_key": issuer.api_key("user_demo_ada", "demo key", &["read:reports"]),
        "m2m_token": issuer.m2m_token("mch_demo", &["mch_reports"]),
        "m2m_jwt": issuer.m2m_jwt("mch_demo", &["mch_reports"]),
        "oauth_token": issuer.oauth_token("user_demo_ada", "demo_client", &["email", "profile"]),
        "oauth_jwt": issuer.oauth_jwt("user_demo_ada", "demo_client", &["email", "profile"]),
    }))
}

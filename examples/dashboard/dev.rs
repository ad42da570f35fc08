//! The embedded development issuer's pages: `GET /sign-in` lists the demo users, `POST /sign-in`
//! sets `__session` and `__client_uat` as Clerk's front end does, `POST /sign-out` clears them.

use axum::extract::{Form, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_clerk::testing::TestIssuer;
use axum_clerk::{validate_return_url, Auth};
use serde::Deserialize;
use std::time::Duration;

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
    },
    DemoUser {
        key: "max",
        name: "Max Member",
        blurb: "Member of Acme Inc. without permissions (v1 token)",
        org: Some(("org_acme", "acme", "org:member", &[])),
        v2: false,
    },
    DemoUser { key: "nora", name: "Nora Solo", blurb: "Signed in with no active organization", org: None, v2: false },
];

/// Demo sessions last an hour: there is no front-end script refreshing the 60-second tokens
/// Clerk would issue.
const DEMO_SESSION: Duration = Duration::from_secs(3600);

pub(super) fn sign_in_routes(issuer: TestIssuer) -> Router {
    Router::new()
        .route("/sign-in", get(sign_in_page))
        .route("/sign-in", post(move |headers: HeaderMap, form: Form<SignIn>| sign_in(issuer.clone(), headers, form)))
        .route("/sign-out", post(sign_out))
}

#[derive(Deserialize)]
struct RedirectQuery {
    redirect_url: Option<String>,
}

async fn sign_in_page(auth: Auth, Query(query): Query<RedirectQuery>) -> Html<String> {
    let redirect = query.redirect_url.unwrap_or_default();
    let users: String = DEMO_USERS
        .iter()
        .map(|u| {
            format!(
                r#"<form method="post" action="/sign-in" class="user">
  <input type="hidden" name="user" value="{key}">
  <input type="hidden" name="redirect_url" value="{redirect}">
  <div><strong>{name}</strong><br><span class="muted">{blurb}</span></div>
  <button type="submit" id="sign-in-{key}">Sign in as {first}</button>
</form>"#,
                key = u.key,
                redirect = pages::escape(&redirect),
                name = u.name,
                blurb = u.blurb,
                first = u.name.split(' ').next().unwrap_or(u.name),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Sign in to Teamspace</h1>
<p class="muted">Development mode: choose a demo user. Tokens are minted by the embedded issuer and verified through its JWKS endpoint.</p>
{users}"#
    );
    pages::layout("Sign in", &auth, &body)
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

async fn sign_in(issuer: TestIssuer, headers: HeaderMap, Form(form): Form<SignIn>) -> Response {
    let Some(user) = DEMO_USERS.iter().find(|u| u.key == form.user) else {
        return (StatusCode::BAD_REQUEST, "unknown demo user").into_response();
    };
    let origin = request_origin(&headers);
    let mut session = issuer.session(&format!("user_demo_{}", user.key)).lifetime(DEMO_SESSION);
    if let Some(origin) = &origin {
        session = session.azp(&origin.origin().ascii_serialization());
    }
    if let Some((id, slug, role, permissions)) = user.org {
        session = session.org(id, slug, role).permissions(permissions.iter().copied());
    }
    if user.v2 {
        session = session.v2();
    }
    let iat = session.claims()["iat"].as_i64().unwrap_or_default();
    let token = session.mint();
    // Only same-origin targets: anything else lands on the home page.
    let target = form
        .redirect_url
        .filter(|r| !r.is_empty())
        .and_then(|r| validate_return_url(&r, origin.as_ref(), &[]))
        .map_or_else(|| "/".to_owned(), String::from);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
    for cookie in
        [format!("__session={token}; Path=/; SameSite=Lax"), format!("__client_uat={iat}; Path=/; SameSite=Lax")]
    {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn sign_out() -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    for cookie in ["__session=; Path=/; Max-Age=0; SameSite=Lax", "__client_uat=0; Path=/; SameSite=Lax"] {
        response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static(cookie));
    }
    response
}

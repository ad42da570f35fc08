//! Server-rendered pages through askama templates (`examples/templates/`): one layout, a few
//! pages. No front-end build step.

use askama::Template;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use axum_clerk::{protect, public, Auth, Check, ReturnTo, SignedIn};

const STYLE: &str = r#"
:root { --ink:#1c1f2e; --muted:#6b7085; --line:#e6e8f0; --brand:#6c47ff; --bg:#f7f7fb; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); }
.bar { max-width:960px; margin:0 auto; padding:14px 24px; display:flex; align-items:center; gap:24px; }
.logo { font-weight:700; color:var(--brand); text-decoration:none; font-size:18px; }
nav a { color:var(--ink); text-decoration:none; margin-right:16px; }
nav a:hover { color:var(--brand); }
.who { margin-left:auto; display:flex; align-items:center; gap:12px; color:var(--muted); }
.chip { background:#f0ecff; color:var(--brand); border-radius:999px; padding:4px 12px; font-weight:600; }
main { max-width:960px; margin:32px auto; padding:0 24px; }
.card { background:#fff; border:1px solid var(--line); border-radius:12px; padding:24px 28px; margin-bottom:20px; }
h1 { font-size:26px; margin:0 0 8px; }
.muted { color:var(--muted); }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(260px,1fr)); gap:16px; }
.grid a { display:block; padding:16px; border:1px solid var(--line); border-radius:10px; text-decoration:none; color:var(--ink); background:#fff; }
.grid a:hover { border-color:var(--brand); }
code { background:#f3f3f8; padding:1px 6px; border-radius:6px; }
button { background:var(--brand); color:#fff; border:0; border-radius:8px; padding:8px 14px; font-weight:600; cursor:pointer; }
button.secondary { background:#fff; color:var(--ink); border:1px solid var(--line); }
a.button { background:var(--brand); color:#fff; border-radius:8px; padding:8px 14px; font-weight:600; text-decoration:none; }
h2 { font-size:18px; margin:20px 0 6px; }
form.user { display:flex; justify-content:space-between; align-items:center; padding:14px 0; border-top:1px solid var(--line); }
dl { display:grid; grid-template-columns:160px 1fr; gap:6px 16px; }
dt { color:var(--muted); }
"#;

/// `GET /static/site.css`.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css"), (header::CACHE_CONTROL, "max-age=300")], STYLE)
}

/// What every page's frame needs to know about the site: with real Clerk, where ClerkJS comes
/// from (it keeps the session fresh and signs out).
#[derive(Debug, Clone, Default)]
pub(crate) struct Site {
    pub(crate) clerk_js: Option<ClerkJs>,
}

/// ClerkJS from the instance's Frontend API, with the publishable key.
#[derive(Debug, Clone)]
pub(crate) struct ClerkJs {
    pub(crate) src: String,
    pub(crate) publishable_key: String,
}

impl Site {
    /// Real Clerk with a publishable key: pages load ClerkJS.
    pub(crate) fn with_clerk_js(publishable_key: &str, frontend_api: &str) -> Self {
        let src = format!("https://{frontend_api}/npm/@clerk/clerk-js@5/dist/clerk.browser.js");
        Self { clerk_js: Some(ClerkJs { src, publishable_key: publishable_key.to_owned() }) }
    }
}

/// The signed-in user as the header shows them.
pub(crate) struct UserView {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// The frame of a page.
pub(crate) struct Chrome {
    pub(crate) title: &'static str,
    pub(crate) user: Option<UserView>,
    pub(crate) sign_in_url: String,
    pub(crate) clerk_js: Option<ClerkJs>,
}

/// The user's name: the session's `name` claim (the development issuer sets it; with Clerk, add
/// it to the session token in the dashboard), else their ID.
pub(crate) fn display_name(auth: &Auth) -> Option<String> {
    let name = auth.session_claims().and_then(|c| c.get("name")).and_then(|n| n.as_str()).map(str::to_owned);
    name.or_else(|| auth.user_id().map(str::to_owned))
}

impl Chrome {
    pub(crate) fn new(title: &'static str, auth: &Auth, site: &Site) -> Self {
        let user =
            auth.user_id().map(|id| UserView { id: id.to_owned(), name: display_name(auth).unwrap_or_default() });
        // The configured sign-in page (the issuer's `/sign-in`, or Clerk's Account Portal),
        // coming back here.
        let sign_in_url = auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location().to_owned();
        Self { title, user, sign_in_url, clerk_js: site.clerk_js.clone() }
    }
}

/// Renders a template; a template that fails to render is a 500, never a panic.
pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template error: {err}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    links: Vec<(&'static str, &'static str, &'static str)>,
}

/// The landing page: open to everyone, it greets a signed-in user.
#[public]
pub(crate) async fn home(auth: Auth, Extension(site): Extension<Site>) -> Response {
    let links = vec![
        ("/dashboard", "Dashboard", "The whole /dashboard tree is protected by one ProtectLayer."),
        ("/dashboard/projects", "Projects", "Shown with the teams feature: has({ feature })."),
        ("/dashboard/billing", "Billing", "Shown on the pro plan: has({ plan })."),
        ("/team-settings", "Team settings", "Rendered only with org:team_settings:manage, via has()."),
        ("/role", "Your role", "Reads orgRole from auth()."),
        ("/api/me", "/api/me", "The Auth object as Clerk-named JSON."),
        ("/api/data", "/api/data", "get_token with the supabase template; 401 when signed out."),
    ];
    render(&HomePage { chrome: Chrome::new("Home", &auth, &site), links })
}

/// A page with a heading and one paragraph.
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub(crate) chrome: Chrome,
    pub(crate) heading: String,
    pub(crate) text: String,
    pub(crate) muted: bool,
}

/// The user's details on the dashboard.
struct Details {
    id: String,
    name: String,
    session: String,
    org: String,
    role: String,
    permissions: String,
}

/// Content shown only with a feature or plan.
struct Gated {
    title: &'static str,
    allowed: bool,
    content: &'static str,
    upsell: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    heading: String,
    details: Details,
    gated: Option<Gated>,
}

fn details(user: &SignedIn) -> Details {
    let permissions =
        user.org_permissions().map(|p| p.join(", ")).filter(|p| !p.is_empty()).unwrap_or_else(|| "none".into());
    Details {
        id: user.user_id().to_owned(),
        name: display_name(user).unwrap_or_default(),
        session: user.session_id().unwrap_or("-").to_owned(),
        org: user.org_slug().unwrap_or("no active organization").to_owned(),
        role: user.org_role().unwrap_or("-").to_owned(),
        permissions,
    }
}

/// Any signed-in user (the whole tree also sits behind one `ProtectLayer`).
#[protect]
pub(crate) async fn dashboard(Extension(site): Extension<Site>) -> Response {
    let page = DashboardPage {
        chrome: Chrome::new("Dashboard", &auth, &site),
        heading: "Dashboard".to_owned(),
        details: details(&auth),
        gated: None,
    };
    render(&page)
}

/// `/dashboard/projects` (the `teams` feature) and `/dashboard/billing` (the `pro` plan); any
/// other section is a 404 page.
#[protect]
pub(crate) async fn dashboard_section(Extension(site): Extension<Site>, Path(rest): Path<String>) -> Response {
    let user = auth;
    let gated = match rest.as_str() {
        "projects" => Gated {
            title: "Projects",
            allowed: user.has(&Check::feature("teams")),
            content: "Your organization's projects: Apollo, Borealis, Cassini.",
            upsell: "Projects come with the teams feature: ask an admin to enable it.",
        },
        "billing" => Gated {
            title: "Billing",
            allowed: user.has(&Check::plan("pro")),
            content: "Pro plan: invoices and usage are below.",
            upsell: "Billing details are on the pro plan.",
        },
        _ => {
            let page = MessagePage {
                chrome: Chrome::new("Not found", &user, &site),
                heading: "Not found".to_owned(),
                text: format!("There is no dashboard section called “{rest}”."),
                muted: true,
            };
            return (StatusCode::NOT_FOUND, render(&page)).into_response();
        }
    };
    let page = DashboardPage {
        chrome: Chrome::new(gated.title, &user, &site),
        heading: format!("Dashboard · {}", gated.title),
        details: details(&user),
        gated: Some(gated),
    };
    render(&page)
}

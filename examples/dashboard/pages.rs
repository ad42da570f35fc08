//! Server-rendered pages: one layout, a few cards. No front-end build step.

use axum::extract::Path;
use axum::response::Html;
use axum_clerk::{Auth, ReturnTo, SignedIn};

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

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
form.user { display:flex; justify-content:space-between; align-items:center; padding:14px 0; border-top:1px solid var(--line); }
dl { display:grid; grid-template-columns:160px 1fr; gap:6px 16px; }
dt { color:var(--muted); }
"#;

/// The page frame: header with navigation and who is signed in, then `body` in a card.
pub(crate) fn layout(title: &str, auth: &Auth, body: &str) -> Html<String> {
    let who = match auth.user_id() {
        Some(user) => format!(
            r#"<span class="chip" id="who">{}</span><form method="post" action="/sign-out"><button class="secondary" id="sign-out">Sign out</button></form>"#,
            escape(user)
        ),
        // The configured sign-in page: the development issuer's `/sign-in`, or with real Clerk
        // the Account Portal (or CLERK_SIGN_IN_URL), coming back to this page.
        None => format!(
            r#"<span id="who">Signed out</span><a href="{}"><button>Sign in</button></a>"#,
            escape(auth.redirect_to_sign_in(ReturnTo::CurrentUrl).location())
        ),
    };
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} · Teamspace</title><style>{STYLE}</style></head>
<body><header><div class="bar"><a class="logo" href="/">◆ Teamspace</a>
<nav><a href="/dashboard">Dashboard</a><a href="/team-settings">Team settings</a><a href="/role">Role</a><a href="/api/me">/api/me</a></nav>
<div class="who">{who}</div></div></header>
<main><div class="card">{body}</div></main></body></html>"#,
        title = escape(title),
    ))
}

pub(crate) async fn home(auth: Auth) -> Html<String> {
    let greeting = match auth.user_id() {
        Some(user) => format!("<p>Signed in as <code>{}</code>.</p>", escape(user)),
        None => "<p class=\"muted\">You are signed out. Protected pages will send you to sign in.</p>".to_owned(),
    };
    let links = [
        ("/dashboard", "Dashboard", "The whole /dashboard tree is protected by one ProtectLayer."),
        ("/team-settings", "Team settings", "Rendered only with org:team_settings:manage, via has()."),
        ("/role", "Your role", "Reads orgRole from auth()."),
        ("/api/me", "/api/me", "The Auth object as Clerk-named JSON."),
        ("/api/data", "/api/data", "get_token with the supabase template; 401 when signed out."),
    ];
    let cards: String = links
        .iter()
        .map(|(href, title, text)| {
            format!(r#"<a href="{href}"><strong>{title}</strong><br><span class="muted">{text}</span></a>"#)
        })
        .collect();
    layout(
        "Home",
        &auth,
        &format!("<h1>Teamspace</h1>{greeting}<p class=\"muted\">Every page below is one example of Clerk's <code>auth()</code>, served by axum.</p><div class=\"grid\">{cards}</div>"),
    )
}

fn user_details(user: &SignedIn) -> String {
    let permissions =
        user.org_permissions().map(|p| p.join(", ")).filter(|p| !p.is_empty()).unwrap_or_else(|| "none".into());
    format!(
        "<dl><dt>User</dt><dd><code>{}</code></dd><dt>Session</dt><dd><code>{}</code></dd><dt>Organization</dt><dd>{}</dd><dt>Role</dt><dd>{}</dd><dt>Permissions</dt><dd>{}</dd></dl>",
        escape(user.user_id()),
        escape(user.session_id().unwrap_or("-")),
        escape(user.org_slug().unwrap_or("no active organization")),
        escape(user.org_role().unwrap_or("-")),
        escape(&permissions),
    )
}

pub(crate) async fn dashboard(user: SignedIn) -> Html<String> {
    let body = format!(
        "<h1>Dashboard</h1><p class=\"muted\">Only signed-in users reach this tree.</p>{}<p><a href=\"/dashboard/projects\">Projects</a> · <a href=\"/dashboard/billing\">Billing</a></p>",
        user_details(&user)
    );
    layout("Dashboard", &user, &body)
}

pub(crate) async fn dashboard_section(user: SignedIn, Path(rest): Path<String>) -> Html<String> {
    let body = format!("<h1>Dashboard · {}</h1>{}", escape(&rest), user_details(&user));
    layout("Dashboard", &user, &body)
}

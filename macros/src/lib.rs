//! Procedural macros for [`axum-clerk`](https://docs.rs/axum-clerk). Use them through the
//! `axum-clerk` crate: `use axum_clerk::{auth, protect};`.

mod args;
mod expand;
mod item;
mod validate;

use proc_macro::TokenStream;

/// Gives an axum handler an `auth: Auth` binding — Clerk's `auth()` — without writing the
/// extractor. The request may be signed in or not.
///
/// ```
/// use axum_clerk::auth;
///
/// #[auth]
/// async fn whoami() -> String {
///     auth.user_id().unwrap_or("signed out").to_owned()
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(whoami));
/// ```
///
/// The expansion inserts `auth: ::axum_clerk::Auth` as the handler's first parameter; a handler
/// that already takes an `Auth` parameter is left as it is. [`ClerkLayer`] must be installed (a
/// request without it gets a 500 naming `ClerkLayer`).
///
/// `#[auth]` takes no arguments: use `#[protect]` to require anything.
///
/// [`ClerkLayer`]: https://docs.rs/axum-clerk/latest/axum_clerk/struct.ClerkLayer.html
#[proc_macro_attribute]
pub fn auth(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::auth(args.into(), item.into()).into()
}

/// Marks an axum handler as deliberately open to everyone. It may still read the auth state
/// (`Option<Auth>`, `Auth`); under [`RequireDecision`] it counts as a decision, and it is listed
/// by `declared_routes()` as public — so "which routes are public?" has an answer.
///
/// ```
/// use axum_clerk::{public, Auth};
///
/// #[public]
/// async fn landing(viewer: Option<Auth>) -> String {
///     match viewer {
///         Some(auth) => format!("welcome back, {}", auth.user_id().unwrap_or_default()),
///         None => "welcome".to_owned(),
///     }
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(landing));
/// ```
///
/// [`RequireDecision`]: https://docs.rs/axum-clerk/latest/axum_clerk/enum.RequireDecision.html
#[proc_macro_attribute]
pub fn public(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::public(args.into(), item.into()).into()
}

/// Protects an axum handler: the request must be signed in and satisfy the rule, or it is
/// refused before any other extractor runs — an unauthorized caller never has its body read.
/// Inside the body, `auth` is the signed-in view ([`SignedIn`]), whose `user_id()` is a `&str`.
///
/// ```
/// use axum::Json;
/// use axum_clerk::protect;
///
/// #[derive(serde::Deserialize)]
/// struct NewTeam { name: String }
///
/// #[protect(permission = "org:team_settings:manage")]
/// async fn create_team(Json(team): Json<NewTeam>) -> String {
///     format!("{} created {}", auth.user_id(), team.name)
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::post(create_team));
/// ```
///
/// # Arguments
///
/// - none — any signed-in user;
/// - `permission = "org:<feature>:<action>"`, `role = "org:<role>"`, `feature = "…"`, `plan = "…"`,
///   `reverification = "strict_mfa" | "strict" | "moderate" | "lax"` — Clerk's `has()`; several at
///   the top level must all hold. Permission and role values may be paths to `&str` constants;
///   they are checked at compile time too;
/// - `any(…)`, `all(…)`, `not(…)` — nestable combinators over those;
/// - `has = path::to::predicate` or `has = |auth| …` — a custom `Fn(&Auth) -> bool`;
/// - `unauthorized_url = "…"`, `unauthenticated_url = "…"` — absolute paths or http(s) URLs.
///
/// ```
/// use axum_clerk::{protect, Auth, Check};
///
/// const MANAGE_TEAMS: &str = "org:team_settings:manage";
///
/// fn is_owner(auth: &Auth) -> bool {
///     auth.has(&Check::role("org:owner"))
/// }
///
/// #[protect(any(permission = MANAGE_TEAMS, role = "org:admin", has = is_owner), unauthorized_url = "/no-access")]
/// async fn team_settings() -> &'static str {
///     "settings"
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(team_settings));
/// ```
///
/// # Decisions
///
/// The runtime's `protect` decides, as Clerk's `auth.protect()`: signed-out page requests go to
/// sign-in (or `unauthenticated_url`), other signed-out requests get 404; signed-in but
/// unauthorized requests get 404 (or go to `unauthorized_url`); 503 when keys are unreachable.
///
/// # Expansion
///
/// The rule becomes a hidden unit type next to the handler whose `Protect` value is built once;
/// the handler gains a first parameter `Guard<ThatType>`, a `FromRequestParts` extractor that
/// runs the check, and the body starts with `let auth = guard.into_signed_in();`. Nothing is
/// boxed: the future is `Send` exactly when the body is. Use it on free `async fn`s.
///
/// # Errors
///
/// At compile time, all at once and each at the offending token: unknown, duplicate or
/// conflicting keys, empty combinators, malformed permissions or roles, `org:sys_*` permissions
/// (never in session tokens), malformed URLs, a non-`async` fn, a method with `self`.
///
/// ```compile_fail
/// #[axum_clerk::protect(permission = "org:sys_memberships:manage")]
/// async fn members() {}
/// ```
///
/// [`SignedIn`]: https://docs.rs/axum-clerk/latest/axum_clerk/struct.SignedIn.html
#[proc_macro_attribute]
pub fn protect(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::protect(args.into(), item.into()).into()
}

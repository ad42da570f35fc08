//! Every accepted `#[protect]` argument form compiles into a routable handler.
use axum::routing::get;
use axum::Router;
use axum_clerk::{protect, Auth};

mod permissions {
    pub const MANAGE: &str = "org:team_settings:manage";
    pub const ADMIN: &str = "org:admin";
}

fn is_owner(auth: &Auth) -> bool {
    auth.org_role() == Some("org:owner")
}

#[protect]
async fn signed_in() -> String {
    auth.user_id().to_owned()
}

#[protect(permission = "org:team_settings:manage")]
async fn permission() {}

#[protect(permission = permissions::MANAGE, role = permissions::ADMIN)]
async fn constants() {}

#[protect(role = "org:admin")]
async fn role() {}

#[protect(feature = "o:teams", plan = "user:pro")]
async fn billing() {}

#[protect(feature = "teams", plan = "pro")]
async fn unscoped_billing() {}

#[protect(reverification = "strict_mfa")]
async fn reverification() {}

#[protect(any(role = "org:admin", all(permission = "org:a:b", not(feature = "beta"))))]
async fn combinators() {}

#[protect(has = is_owner)]
async fn predicate_fn() {}

#[protect(has = |auth| auth.org_slug() == Some("acme"))]
async fn predicate_closure() {}

#[protect(role = "org:admin", unauthorized_url = "/no-access", unauthenticated_url = "https://app.example.com/welcome")]
async fn urls() {}

#[protect(unauthenticated_url = "/welcome")]
async fn only_unauthenticated_url() {}

#[protect(role = "org:admin")]
pub async fn public_handler() {}

#[protect(role = "org:admin")]
pub(crate) async fn crate_handler() {}

fn main() {
    let _: Router = Router::new()
        .route("/1", get(signed_in))
        .route("/2", get(permission))
        .route("/3", get(constants))
        .route("/4", get(role))
        .route("/5", get(billing))
        .route("/6", get(unscoped_billing))
        .route("/7", get(reverification))
        .route("/8", get(combinators))
        .route("/9", get(predicate_fn))
        .route("/10", get(predicate_closure))
        .route("/11", get(urls))
        .route("/12", get(only_unauthenticated_url))
        .route("/13", get(public_handler))
        .route("/14", get(crate_handler));
}

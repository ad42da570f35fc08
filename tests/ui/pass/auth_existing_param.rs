//! `#[auth]` on a handler that already reads the auth state through `SignedIn` or
//! `Option<Auth>` adds no second `auth` (which would be an unused variable here).
#![deny(unused_variables)]
use axum::routing::get;
use axum::Router;
use axum_clerk::{auth, Auth, SignedIn};

#[auth]
async fn optional(maybe: Option<Auth>) -> String {
    maybe.map(|a| a.is_signed_in().to_string()).unwrap_or_default()
}

#[auth]
async fn signed_in(user: SignedIn) -> String {
    user.user_id().to_owned()
}

#[auth]
async fn named(auth: Option<axum_clerk::Auth>) -> String {
    auth.is_some().to_string()
}

fn main() {
    let _: Router = Router::new().route("/1", get(optional)).route("/2", get(signed_in)).route("/3", get(named));
}

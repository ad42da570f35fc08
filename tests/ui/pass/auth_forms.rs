//! `#[auth]` binds `auth: Auth`, and leaves handlers that already take an `Auth` alone.
use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use axum_clerk::{auth, Auth};

#[auth]
async fn bound() -> String {
    format!("{:?}", auth.user_id())
}

#[auth]
async fn with_extractors(Path(id): Path<u32>) -> String {
    format!("{id} {}", auth.is_signed_in())
}

#[auth]
async fn already(me: Auth) -> String {
    me.is_signed_in().to_string()
}

#[auth]
async fn already_qualified(me: axum_clerk::Auth) -> String {
    me.is_signed_in().to_string()
}

fn main() {
    let _: Router = Router::new()
        .route("/1", get(bound))
        .route("/2/{id}", get(with_extractors))
        .route("/3", get(already))
        .route("/4", get(already_qualified));
}

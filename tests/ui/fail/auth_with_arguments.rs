use axum_clerk::auth;

#[auth(role = "org:admin")]
async fn handler() {}

fn main() {}

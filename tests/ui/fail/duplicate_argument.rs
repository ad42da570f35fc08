use axum_clerk::protect;

#[protect(role = "org:admin", role = "org:owner")]
async fn two_roles() {}

#[protect(role = "org:admin", unauthorized_url = "/a", unauthorized_url = "/b")]
async fn two_urls() {}

fn main() {}

use axum_clerk::protect;

#[protect(role = "admin")]
async fn no_prefix() {}

#[protect(any(role = "org:Admin"))]
async fn capitals() {}

fn main() {}

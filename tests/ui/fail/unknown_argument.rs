use axum_clerk::protect;

#[protect(permision = "org:team_settings:manage")]
async fn typo() {}

#[protect(any(role = "org:admin", scope = "x"))]
async fn nested() {}

fn main() {}

use axum_clerk::protect;

#[protect(any(role = "org:admin", unauthorized_url = "/no-access"))]
async fn misplaced() {}

fn main() {}

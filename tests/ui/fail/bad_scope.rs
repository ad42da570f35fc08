use axum_clerk::protect;

#[protect(token = "oauth_token", scope = "read reports")]
async fn two_words() {}

#[protect(token = "oauth_token", scope = "")]
async fn empty() {}

#[protect(scope = "read:reports")]
async fn sessions_have_no_scopes() {}

fn main() {}

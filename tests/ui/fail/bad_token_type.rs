use axum_clerk::protect;

#[protect(token = "apikey")]
async fn misspelled() {}

#[protect(token = any("session_token", "machine"))]
async fn unknown_in_a_list() {}

#[protect(token = all("api_key"))]
async fn not_a_list() {}

#[protect(token = "api_key", token = "m2m_token")]
async fn twice() {}

fn main() {}

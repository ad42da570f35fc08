use axum_clerk::protect;

#[protect(role = "org:admin", unauthorized_url = "no-access")]
async fn relative() {}

#[protect(unauthenticated_url = "//evil.example/login")]
async fn protocol_relative() {}

#[protect(unauthenticated_url = "javascript:alert(1)")]
async fn script() {}

#[protect(unauthenticated_url = "https://user@evil.example/")]
async fn userinfo() {}

fn main() {}

use axum_clerk::protect;

#[protect(any())]
async fn empty_any() {}

#[protect(all(role = "org:admin", not()))]
async fn empty_not() {}

#[protect(not(role = "org:admin", role = "org:owner"))]
async fn not_of_two() {}

fn main() {}

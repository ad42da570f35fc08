use axum_clerk::protect;

#[protect(feature = "lol:dashboard")]
async fn bad_scope() {}

#[protect(plan = "Pro Plan")]
async fn bad_plan() {}

#[protect(reverification = "paranoid")]
async fn bad_preset() {}

fn main() {}

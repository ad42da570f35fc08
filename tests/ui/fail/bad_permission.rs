use axum_clerk::protect;

#[protect(permission = "team_settings:manage")]
async fn no_org_prefix() {}

#[protect(permission = "org:Team Settings:manage")]
async fn spaces_and_capitals() {}

#[protect(permission = "org:team_settings")]
async fn no_action() {}

fn main() {}

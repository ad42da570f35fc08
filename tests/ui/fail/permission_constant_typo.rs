use axum_clerk::protect;

mod permissions {
    pub const MANAGE_TEAMS: &str = "org:team_settings:manage";
}

#[protect(permission = permissions::MANAGE_TEAM)]
async fn typo() {}

fn main() {}

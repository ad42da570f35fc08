use axum_clerk::protect;

#[protect(permission = "org:sys_memberships:manage")]
async fn members() {}

fn main() {}

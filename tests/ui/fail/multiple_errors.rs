use axum_clerk::protect;

#[protect(permission = "org:sys_profile:delete", role = "admin", bogus = 1, any(), unauthorized_url = "nope")]
fn everything_wrong() {}

fn main() {}

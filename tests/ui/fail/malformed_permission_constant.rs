use axum_clerk::protect;

const MANAGE: &str = "org:sys_memberships:manage";
const ROLE: &str = "admin";

#[protect(permission = MANAGE)]
async fn by_constant() {}

#[protect(role = ROLE)]
async fn by_role_constant() {}

fn main() {}

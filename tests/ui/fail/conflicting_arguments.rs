use axum_clerk::{auth, protect};

#[protect(unauthorized_url = "/no-access")]
async fn nothing_to_be_unauthorized_about() {}

#[protect(role = "org:admin")]
#[auth]
async fn both_attributes() {}

fn main() {}

use axum_clerk::{protect, public};

#[public(role = "org:admin")]
async fn with_arguments() {}

#[public]
#[protect]
async fn public_and_protected() {}

#[public]
fn not_async() {}

fn main() {}

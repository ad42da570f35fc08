use axum_clerk::{auth, protect};

#[protect]
fn sync_handler() -> &'static str {
    "no"
}

#[auth]
fn also_sync() {}

fn main() {}

use axum::routing::get;
use axum::Router;
use axum_clerk::protect;
use std::rc::Rc;

#[protect]
async fn holds_rc_across_await() -> String {
    let shared = Rc::new(auth.user_id().to_owned());
    tokio::task::yield_now().await;
    shared.to_string()
}

fn main() {
    let _: Router = Router::new().route("/", get(holds_rc_across_await));
}

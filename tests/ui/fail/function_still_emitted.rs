// A bad attribute is reported once; the function is still emitted, so the route naming it
// resolves and no second error appears.
use axum::routing::get;
use axum::Router;
use axum_clerk::protect;

#[protect(role = "admin")]
async fn handler() -> &'static str {
    "x"
}

fn main() {
    let _: Router = Router::new().route("/", get(handler));
}

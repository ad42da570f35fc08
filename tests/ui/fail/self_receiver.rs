use axum_clerk::protect;

struct Handlers;

impl Handlers {
    #[protect]
    async fn show(&self) -> &'static str {
        "no"
    }
}

fn main() {}

//! State, Path, Query, Json, Form, multipart, generics with `where`, `impl IntoResponse` and
//! `Result` returns, and `Router::with_state` all keep working under `#[protect]`.
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_clerk::protect;
use serde::Deserialize;

#[derive(Clone)]
struct Db;

#[derive(Deserialize)]
struct Input {
    name: String,
}

#[protect(role = "org:admin")]
async fn state_path_query(State(_db): State<Db>, Path(id): Path<u32>, Query(_q): Query<Input>) -> String {
    format!("{id} {}", auth.user_id())
}

#[protect(permission = "org:team_settings:manage")]
async fn json(Json(input): Json<Input>) -> impl IntoResponse {
    (StatusCode::CREATED, input.name)
}

#[protect]
async fn form(Form(input): Form<Input>) -> Result<String, StatusCode> {
    Ok(input.name)
}

#[protect]
async fn multipart(mut body: Multipart) -> Result<(), StatusCode> {
    body.next_field().await.map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(())
}

#[protect]
async fn generic<T>(State(state): State<T>) -> String
where
    T: Clone + Send + Sync + std::fmt::Display + 'static,
{
    state.to_string()
}

fn main() {
    let _: Router = Router::new()
        .route("/a/{id}", get(state_path_query))
        .route("/b", post(json))
        .route("/c", post(form))
        .route("/d", post(multipart))
        .with_state(Db);
    let _: Router = Router::new().route("/e", get(generic::<String>)).with_state(String::new());
}

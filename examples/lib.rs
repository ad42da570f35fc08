//! Runnable examples for `axum-clerk`; see README.md and the `[[example]]` targets.

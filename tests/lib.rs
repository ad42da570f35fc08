//! Integration tests for `axum-clerk`; see the `[[test]]` targets.

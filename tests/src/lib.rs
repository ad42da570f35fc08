//! Integration tests for axum-clerk live in `tests/`.

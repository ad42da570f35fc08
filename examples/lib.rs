//! Runnable examples for `axum-clerk`. The demo site lives here as a library module so its
//! integration and browser tests can start it on a real socket; `examples/dashboard.rs` runs it.

pub mod dashboard;
pub mod typed_permissions;

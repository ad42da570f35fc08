//! The integration suite of `axum-clerk`, one test binary: each module is a part of the
//! specification (clerk-semantics.md, security.md) run against the public API, with real HTTP
//! servers on 127.0.0.1 where keys or the Backend API are involved.

mod common;

mod audit;
mod cache;
mod claims;
mod config;
mod get_token;
mod handshake;
mod has;
mod jwks;
mod keys;
mod layer;
mod machine;
mod macros;
mod properties;
mod protect;
mod redirect;
mod request;
mod security;
mod ui;
mod verify;
mod webhook;
mod wycheproof;
mod wycheproof_jose;

//! Clerk's server-side `auth()` for axum.
//!
//! A [`ClerkLayer`] authenticates each request once, exactly as Clerk's own backend SDK does —
//! same checks, same order, same reason strings, Clerk's browser handshake and refresh — and
//! gives handlers an [`Auth`] with the fields a Next.js app gets from `auth()`: `user_id`,
//! `org_id`, `org_role`, `org_permissions`, …, plus Clerk's fail-closed [`Auth::has`]. Rules go
//! on the handler with [`macro@protect`] and are checked at compile time.
//!
//! # Quick start
//!
//! ```no_run
//! use axum::{routing::{get, post}, Json, Router};
//! use axum_clerk::{auth, protect, Check, Clerk, ClerkConfig, ClerkLayer, Protect, ProtectLayer};
//!
//! #[derive(serde::Deserialize)]
//! struct NewTeam { name: String }
//!
//! // Checked before the body is read; `auth` is bound and `user_id()` is a `&str`.
//! #[protect(permission = "org:team_settings:manage")]
//! async fn create_team(Json(team): Json<NewTeam>) -> String {
//!     format!("{} created {}", auth.user_id(), team.name)
//! }
//!
//! // Signed in or not.
//! #[auth]
//! async fn team_settings() -> &'static str {
//!     if auth.has(&Check::permission("org:team_settings:manage")) { "<h1>Team Settings</h1>" } else { "" }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, … as in any Clerk backend.
//!     let clerk = Clerk::new(ClerkConfig::from_env()?)?;
//!     let dashboard = Router::new()
//!         .route("/dashboard", get(|| async { "dashboard" }))
//!         .route_layer(ProtectLayer::new(Protect::signed_in())); // like auth.protect() in a layout
//!     let app = Router::new()
//!         .route("/api/teams", post(create_team))
//!         .route("/team-settings", get(team_settings))
//!         .merge(dashboard)
//!         .layer(ClerkLayer::new(clerk));
//!     axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! Without the layer, [`Clerk::authenticate`] gives Clerk's `RequestState` for any
//! `http::Request`. Machine tokens (API keys, M2M, OAuth): [`ClerkLayer::accepts_token`] and
//! [`Protect::token`]. Tests of your own app: the `testing` feature's development issuer.
//!
//! # Feature flags
//!
//! The crypto backend serves token verification (`jsonwebtoken`) and the TLS of the JWKS and
//! Backend API client (`rustls`), so a build has one crypto library:
//!
//! - `aws-lc-rs` (default): AWS-LC, about 19 µs per RS256 verification here, 6–8× faster than
//!   rust-crypto (BENCHMARKS.md). Needs a C compiler to build.
//! - `rust-crypto`: token verification in pure Rust (RustCrypto's `rsa`, about 125–160 µs per
//!   cold verification; repeated tokens are cached either way), TLS through `ring`, which also
//!   compiles C and assembly: it does not remove the need for a C compiler. Use it with
//!   `default-features = false, features = ["rust-crypto"]`.
//!
//! Features add up: with both, `aws-lc-rs` is used. With neither, the build stops with a
//! message saying what to enable. The backend is called directly, so a `CryptoProvider` another
//! crate installed changes nothing, and nothing panics at request time.
//! - `testing`: the development issuer (the `testing` module), for demos and your own tests.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

#[cfg(not(any(feature = "rust-crypto", feature = "aws-lc-rs")))]
compile_error!(
    "axum-clerk: enable a crypto backend: the `aws-lc-rs` feature (default) or `rust-crypto` \
     (with `default-features = false`)."
);

// The request path, in the order modules import one another (none imports one below it):
// configuration and errors; the Backend API client; verification; reading a request; `Auth`;
// `Clerk`, which runs them; the HTTP shapes of refusals; `protect`; extractors; middleware.
mod audit;
mod clock;
mod config;
mod error;
mod publishable_key;

mod backend;
mod verify;

mod request;

mod auth;
mod clerk;
mod webhook;

mod response;

mod protect;

mod extract;
mod middleware;

#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[doc(inline)]
pub use audit::{declared_routes, Access, DeclaredRoute, RequireDecision};
pub use axum_clerk_macros::{auth, protect, public};

pub use auth::get_token::{GetToken, GetTokenError};
pub use auth::has::{Check, Reverification, ReverificationLevel};
pub use auth::machine::MachineAuth;
pub use auth::state::{AuthStatus, RequestState};
pub use auth::typed_claims::{Actor, FactorVerificationAge};
pub use auth::Auth;
pub use clerk::Clerk;
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{
    ApiStatusHook, ClerkConfig, ClerkConfigBuilder, ConfigError, Denial, CONFIG_VARIABLES, DEFAULT_CLOCK_SKEW,
    DEFAULT_MACHINE_TOKEN_CACHE_TTL, MAX_CLOCK_SKEW,
};
pub use error::{Action, Reason, TokenCarrier, TokenError};
pub use middleware::clerk_layer::{auth, ClerkLayer, ClerkService, ResponseFuture};
pub use middleware::protect_layer::{ProtectFuture, ProtectLayer, ProtectService};
pub use protect::{Protect, SignedIn};
pub use publishable_key::{InstanceType, PublishableKey, PublishableKeyError};
pub use response::auth_headers::{AUTH_MESSAGE_HEADER, AUTH_REASON_HEADER, AUTH_STATUS_HEADER};
pub use response::rejection::{AuthRedirect, MissingClerkLayer, ProtectRejection, HX_REDIRECT};
pub use response::sign_in::{validate_return_url, ReturnTo};
pub use verify::jwks::JwksOptions;
pub use verify::keys::{KeyError, PublicKey, MAX_RSA_BITS, MIN_RSA_BITS};
pub use verify::token_type::{AcceptsToken, TokenType, UnknownTokenType};
pub use webhook::{ClerkEvent, ClerkWebhook, WebhookError, WebhookVerifier, WEBHOOK_TOLERANCE_SECS};
/// The typed payloads of Clerk's webhook events ([`ClerkEvent`]).
pub mod webhook_events {
    pub use crate::webhook::{
        Deleted, Email, EmailAddress, Organization, OrganizationInvitation, OrganizationMembership, PublicUserData,
        Session, User,
    };
}

/// The crypto backend chosen by this crate's features, called directly (never the process-wide
/// default, which another crate may have set differently).
fn crypto_provider() -> &'static jsonwebtoken::crypto::CryptoProvider {
    #[cfg(feature = "aws-lc-rs")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
}

/// The TLS configuration of the JWKS and Backend API client: the same crypto backend as token
/// verification, and the Mozilla roots (`webpki-roots`).
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    #[cfg(feature = "aws-lc-rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    let provider = rustls::crypto::ring::default_provider();
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    Ok(rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

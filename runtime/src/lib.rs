//! Clerk's server-side `auth()` for axum.
//!
//! `axum-clerk` verifies Clerk session tokens exactly as Clerk's own backend SDK does — same
//! checks, same order, same reason strings — and turns them into an [`Auth`] object with the
//! fields a Next.js app gets from `auth()`: `user_id`, `org_id`, `org_role`, `org_permissions`, …,
//! plus Clerk's fail-closed [`Auth::has`].
//!
//! # Example
//!
//! ```no_run
//! use axum_clerk::{Check, Clerk, ClerkConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // CLERK_SECRET_KEY (JWKS from the Backend API) or CLERK_JWT_KEY (networkless PEM), plus
//! // CLERK_PUBLISHABLE_KEY and CLERK_AUTHORIZED_PARTIES as in any Clerk backend.
//! let clerk = Clerk::new(ClerkConfig::from_env()?)?;
//!
//! let request = http::Request::get("/team-settings")
//!     .header("cookie", "__session=eyJ…; __client_uat=1700000000")
//!     .body(())?;
//! let state = clerk.authenticate(&request).await;
//! let auth = state.auth();
//! if auth.has(&Check::permission("org:team_settings:manage")) {
//!     println!("{} may manage team settings", auth.user_id().unwrap_or_default());
//! } else {
//!     println!("signed out because {:?}: {}", state.reason(), state.message());
//! }
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//!
//! `jsonwebtoken` needs exactly one crypto backend, and so does this crate:
//!
//! - `aws-lc-rs` (default): AWS-LC, about 19 µs per RS256 verification here, 6–8× faster than
//!   rust-crypto and slightly faster than the `ring` backend peers use (BENCHMARKS.md). Builds
//!   C code with the system's C compiler.
//! - `rust-crypto`: pure-Rust RSA from the RustCrypto project, nothing to build in C, about
//!   125–160 µs per cold verification (repeated tokens are cached either way). Use it with
//!   `default-features = false, features = ["rust-crypto"]`.
//!
//! Enabling both, or neither, is a compile error, not a panic on the first request. The backend
//! is called directly, so it does not matter which `CryptoProvider` another crate installed.

#![deny(missing_docs)]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

#[cfg(all(feature = "rust-crypto", feature = "aws-lc-rs"))]
compile_error!(
    "axum-clerk: enable exactly one crypto backend. Both `aws-lc-rs` (a default feature) and \
     `rust-crypto` are on: add `default-features = false` to the axum-clerk dependency."
);
#[cfg(not(any(feature = "rust-crypto", feature = "aws-lc-rs")))]
compile_error!("axum-clerk: enable exactly one crypto backend: the `aws-lc-rs` feature (default) or `rust-crypto`.");

// The request path, in the order modules import one another (none imports one below it):
// configuration and errors; the Backend API client; verification; reading a request; `Auth`;
// `Clerk`, which runs them; the HTTP shapes of refusals; `protect`; extractors; middleware.
mod clock;
mod config;
mod error;
mod publishable_key;

mod backend;
mod verify;

mod request;

mod auth;
mod clerk;

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
pub use axum_clerk_macros::{auth, protect};

pub use auth::get_token::{GetToken, GetTokenError};
pub use auth::has::{Check, Reverification, ReverificationLevel};
pub use auth::machine::MachineAuth;
pub use auth::state::{AuthStatus, RequestState};
pub use auth::Auth;
pub use clerk::Clerk;
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{
    ApiStatusHook, ClerkConfig, ClerkConfigBuilder, ConfigError, Denial, DEFAULT_CLOCK_SKEW,
    DEFAULT_MACHINE_TOKEN_CACHE_TTL, MAX_CLOCK_SKEW,
};
pub use error::{Action, Reason, TokenCarrier, TokenError};
pub use middleware::clerk_layer::{auth, ClerkLayer, ClerkService, ResponseFuture};
pub use middleware::protect_layer::{ProtectFuture, ProtectLayer, ProtectService};
pub use protect::{Protect, SignedIn};
pub use publishable_key::{InstanceType, PublishableKey, PublishableKeyError};
pub use response::auth_headers::{AUTH_MESSAGE_HEADER, AUTH_REASON_HEADER, AUTH_STATUS_HEADER};
pub use response::rejection::{MissingClerkLayer, ProtectRejection, Redirect, HX_REDIRECT};
pub use response::sign_in::{validate_return_url, ReturnTo};
pub use verify::jwks::JwksOptions;
pub use verify::keys::{KeyError, PublicKey, MAX_RSA_BITS, MIN_RSA_BITS};
pub use verify::token_type::{AcceptsToken, TokenType, UnknownTokenType};

/// The crypto backend chosen by this crate's features, called directly (never the process-wide
/// default, which another crate may have set differently).
fn crypto_provider() -> &'static jsonwebtoken::crypto::CryptoProvider {
    #[cfg(feature = "rust-crypto")]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "aws-lc-rs", not(feature = "rust-crypto")))]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
}

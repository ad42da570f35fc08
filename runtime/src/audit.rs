//! What a security reviewer asks first: which handlers are public, and what each protected one
//! requires. `#[public]`, `#[auth]` and `#[protect]` register their handler here at link time
//! ([`declared_routes`]), and [`ClerkLayer::require_decision`](crate::ClerkLayer::require_decision)
//! catches a response produced without any authorization decision on its way.

use std::fmt;

/// How a handler declared its access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// `#[public]`: deliberately open (it may still read `Option<Auth>`).
    Public,
    /// `#[auth]`: reads the auth state, signed in or not; decides for itself.
    Auth,
    /// `#[protect(…)]`: a rule every request must satisfy.
    Protect,
}

impl Access {
    /// `public`, `auth` or `protect`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Auth => "auth",
            Self::Protect => "protect",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A handler that declared its access with an attribute: where it is and what it requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeclaredRoute {
    /// `module_path!()` of the handler.
    pub module: &'static str,
    /// The handler's name.
    pub function: &'static str,
    /// Its source file (`file!()`).
    pub file: &'static str,
    /// Its line.
    pub line: u32,
    /// How it declared its access.
    pub access: Access,
    /// The rule, as `#[protect]` was given it (`permission = "org:team_settings:manage"`);
    /// `signed in` for a bare `#[protect]`, empty for `#[public]` and `#[auth]`.
    pub rule: &'static str,
}

impl DeclaredRoute {
    #[doc(hidden)]
    #[must_use]
    pub const fn new(
        module: &'static str,
        function: &'static str,
        file: &'static str,
        line: u32,
        access: Access,
        rule: &'static str,
    ) -> Self {
        Self { module, function, file, line, access, rule }
    }
}

inventory::collect!(DeclaredRoute);

/// Every handler of the program that declared its access with `#[public]`, `#[auth]` or
/// `#[protect]`, sorted by module and name — the inventory a reviewer reads.
///
/// ```
/// use axum_clerk::{declared_routes, protect, public, Access};
///
/// #[public]
/// async fn landing() -> &'static str { "welcome" }
///
/// #[protect(permission = "org:reports:read")]
/// async fn reports() -> &'static str { "reports" }
///
/// let routes = declared_routes();
/// let declared = routes.iter().find(|r| r.function == "reports").unwrap();
/// assert_eq!((declared.access, declared.rule), (Access::Protect, r#"permission = "org:reports:read""#));
/// assert!(routes.iter().any(|r| r.function == "landing" && r.access == Access::Public));
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(landing)).route("/r", axum::routing::get(reports));
/// ```
#[must_use]
pub fn declared_routes() -> Vec<&'static DeclaredRoute> {
    let mut routes: Vec<&'static DeclaredRoute> = inventory::iter::<DeclaredRoute>.into_iter().collect();
    routes.sort_by_key(|r| (r.module, r.function, r.line));
    routes
}

/// What [`ClerkLayer::require_decision`](crate::ClerkLayer::require_decision) does with a
/// response produced without any authorization decision — no `#[public]`, `#[auth]`,
/// `#[protect]`, `Auth`/`SignedIn`/`Option<Auth>` extractor, `auth()`, `ProtectLayer` or
/// `auth.protect(…)` on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequireDecision {
    /// Log the request's method and path (a warning), and send the response.
    Log,
    /// Answer 404 instead (empty body), and log it.
    Deny,
}

//! `protect`: Clerk's decision table (clerk-semantics §1.5, §1.6) for who gets in, and the
//! signed-in view it returns.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::auth::has::{Check, Reverification};
use crate::auth::{Auth, AuthContext};
use crate::config::Denial;
use crate::request::info::app_origin;
use crate::response::rejection::{AuthRedirect, ProtectRejection};
use crate::response::sign_in::{configured_target, portal_location, Portal, ReturnTo};
use crate::verify::token_type::{AcceptsToken, TokenType};

type Predicate = Arc<dyn Fn(&Auth) -> bool + Send + Sync>;

#[derive(Clone)]
enum Requirement {
    SignedIn,
    Has(Check),
    Predicate(Predicate),
}

/// A protect rule: what a request must satisfy, and where to send it otherwise.
///
/// ```
/// use axum_clerk::{Check, Protect};
/// let signed_in = Protect::signed_in();
/// let managers = Protect::permission("org:team_settings:manage").unauthorized_url("/no-access");
/// let admins_or_owner = Protect::predicate(|auth| {
///     auth.has(&Check::role("org:admin")) || auth.user_id() == Some("user_owner")
/// });
/// # let _ = (signed_in, managers, admins_or_owner);
/// ```
#[derive(Clone)]
#[must_use]
pub struct Protect {
    requirement: Requirement,
    unauthenticated_url: Option<String>,
    unauthorized_url: Option<String>,
    description: Option<&'static str>,
    accepts: AcceptsToken,
    scopes: Vec<String>,
    reverification_error: bool,
}

impl fmt::Debug for Protect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let requirement: &dyn fmt::Debug = match &self.requirement {
            Requirement::SignedIn => &"signed in",
            Requirement::Has(check) => check,
            Requirement::Predicate(_) => &"predicate",
        };
        f.debug_struct("Protect")
            .field("requirement", requirement)
            .field("unauthenticated_url", &self.unauthenticated_url)
            .field("unauthorized_url", &self.unauthorized_url)
            .field("description", &self.description)
            .field("token", &self.accepts)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl Protect {
    fn new(requirement: Requirement) -> Self {
        Self {
            requirement,
            unauthenticated_url: None,
            unauthorized_url: None,
            description: None,
            accepts: AcceptsToken::default(),
            scopes: Vec::new(),
            reverification_error: false,
        }
    }

    /// Any signed-in user (`auth.protect()`).
    pub fn signed_in() -> Self {
        Self::new(Requirement::SignedIn)
    }

    /// A signed-in user for whom [`Auth::has`] holds.
    pub fn check(check: Check) -> Self {
        Self::new(Requirement::Has(check))
    }

    /// A signed-in user with this role in the active organisation.
    pub fn role(role: impl Into<String>) -> Self {
        Self::check(Check::role(role))
    }

    /// A signed-in user with this permission in the active organisation.
    pub fn permission(permission: impl Into<String>) -> Self {
        Self::check(Check::permission(permission))
    }

    /// A signed-in user for whom `predicate` holds (Clerk's `protect(has => …)`).
    pub fn predicate(predicate: impl Fn(&Auth) -> bool + Send + Sync + 'static) -> Self {
        Self::new(Requirement::Predicate(Arc::new(predicate)))
    }

    /// The token types the route accepts (Clerk's `auth.protect({ token })`; default: session
    /// tokens). A request authenticated with another type — or a failed machine token on a
    /// route for machines — is answered 401 (with `WWW-Authenticate` for an OAuth token). A
    /// machine token passes when it verified (and has the [`scope`](Self::scope)s); the
    /// session rule (role, permission, …) applies to session tokens. The
    /// [`ClerkLayer`](crate::ClerkLayer) must verify these types too
    /// ([`accepts_token`](crate::ClerkLayer::accepts_token)).
    ///
    /// ```
    /// use axum_clerk::{AcceptsToken, Protect, TokenType};
    /// let keys_only = Protect::signed_in().token(TokenType::ApiKey);
    /// let people_or_apps = Protect::signed_in().token(AcceptsToken::only(TokenType::SessionToken).or(TokenType::OAuthToken));
    /// # let _ = (keys_only, people_or_apps);
    /// ```
    pub fn token(mut self, accepts: impl Into<AcceptsToken>) -> Self {
        self.accepts = accepts.into();
        self
    }

    /// A scope a machine token must carry (an OAuth scope, an API key's or M2M token's scope);
    /// may be given more than once, all are required. Session tokens have no scopes and are
    /// judged by the session rule alone.
    ///
    /// ```
    /// use axum_clerk::{AcceptsToken, Protect, TokenType};
    /// // People (signed in), or OAuth apps granted `read:reports`.
    /// let rule = Protect::signed_in()
    ///     .token(AcceptsToken::only(TokenType::SessionToken).or(TokenType::OAuthToken))
    ///     .scope("read:reports");
    /// # let _ = rule;
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Answer a signed-in user who fails only the rule's reverification with Clerk's
    /// `reverificationErrorResponse` (403, JSON), for which Clerk's front end opens its
    /// re-verification modal and retries the request; without this, such a user is refused like
    /// any unauthorized one (Clerk's `protect` default).
    ///
    /// ```
    /// use axum_clerk::{Check, Protect, Reverification};
    /// let rule = Protect::check(Check::reverification(Reverification::Strict)).reverification_error();
    /// # let _ = rule;
    /// ```
    pub fn reverification_error(mut self) -> Self {
        self.reverification_error = true;
        self
    }

    /// Where to send signed-out requests (any kind), instead of sign-in / 404.
    pub fn unauthenticated_url(mut self, url: impl Into<String>) -> Self {
        self.unauthenticated_url = Some(url.into()).filter(|u| !u.is_empty());
        self
    }

    /// Where to send signed-in but unauthorized requests, instead of 404.
    pub fn unauthorized_url(mut self, url: impl Into<String>) -> Self {
        self.unauthorized_url = Some(url.into()).filter(|u| !u.is_empty());
        self
    }

    /// Attaches a human-readable description (for audit output); `#[protect]` sets it to the
    /// attribute's arguments, e.g. `permission = "org:team_settings:manage"`.
    pub fn describe(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }

    /// The description, if any.
    #[must_use]
    pub fn description(&self) -> Option<&'static str> {
        self.description
    }

    /// With [`Self::reverification_error`]: the rule's reverification, when it is the part
    /// `auth` fails (everything else of the check holds).
    fn missing_reverification(&self, auth: &Auth) -> Option<Reverification> {
        let Requirement::Has(check) = &self.requirement else { return None };
        let reverification = check.reverification_requirement().filter(|_| self.reverification_error)?;
        let mut without = check.clone();
        without.reverification = None;
        let rest_holds = without == Check::default() || auth.has(&without);
        (rest_holds && !auth.has(&Check::reverification(reverification))).then_some(reverification)
    }

    fn allows(&self, auth: &Auth) -> bool {
        match &self.requirement {
            Requirement::SignedIn => true,
            Requirement::Has(check) => auth.has(check),
            Requirement::Predicate(predicate) => predicate(auth),
        }
    }
}

impl Default for Protect {
    fn default() -> Self {
        Self::signed_in()
    }
}

/// A request that passed `protect`: signed in, so [`SignedIn::user_id`] is not optional.
/// Everything else of [`Auth`] is reached through `Deref`. On a route that takes machine tokens
/// ([`Protect::token`]) it may be a machine instead: then `user_id()` is empty and
/// [`Auth::machine`] says who it is.
#[derive(Debug, Clone)]
pub struct SignedIn(Auth);

impl SignedIn {
    /// The signed-in user's ID (empty for a machine token: see [`Auth::machine`]).
    #[must_use]
    pub fn user_id(&self) -> &str {
        self.0.user_id().unwrap_or_default()
    }

    /// The underlying auth object.
    #[must_use]
    pub fn into_auth(self) -> Auth {
        self.0
    }
}

impl Deref for SignedIn {
    type Target = Auth;
    fn deref(&self) -> &Auth {
        &self.0
    }
}

impl Auth {
    /// Clerk's 401 for machine contexts; for an OAuth token, `WWW-Authenticate` pointing at the
    /// instance's protected-resource metadata (RFC 9728), as Clerk's middleware sends it.
    fn unauthorized(&self, ctx: Option<&AuthContext>) -> ProtectRejection {
        let frontend_api = ctx.and_then(|c| c.backend.config.publishable_key.as_ref()).map(|pk| pk.frontend_api());
        let www_authenticate = (self.token_type() == TokenType::OAuthToken)
            .then_some(frontend_api)
            .flatten()
            .map(|fapi| format!("Bearer resource_metadata=\"https://{fapi}/.well-known/oauth-protected-resource\""));
        ProtectRejection::Unauthorized { www_authenticate }
    }

    /// Clerk's `auth.protect()`, with the HEAD decision table:
    ///
    /// | state | answer |
    /// |---|---|
    /// | keys unavailable (JWKS down, nothing cached) | 503 + `Retry-After`, never sign-in |
    /// | signed out, or a pending session (whatever `pending_sessions_signed_in` says), `unauthenticated_url` | 307 → that URL |
    /// | signed out, page request (`Sec-Fetch-Dest: document\|iframe`, `Accept: text/html`) | 307 → sign-in with `redirect_url` = current URL (htmx: `HX-Redirect`) |
    /// | signed out, other | 404 (or the configured API status) |
    /// | signed in, rule holds | `Ok(SignedIn)` |
    /// | signed in, rule fails, `unauthorized_url` | 307 → that URL |
    /// | signed in, rule fails | 404 (or the configured API status) |
    /// | a token type the rule does not take ([`Protect::token`]), a failed machine token, a machine without the scopes, or signed out on a route for machines | 401 (OAuth: `WWW-Authenticate`) |
    /// | a verified machine token the rule takes, with its scopes | `Ok(SignedIn)` (its [`machine`](Auth::machine)) |
    ///
    /// ```
    /// use axum_clerk::{Auth, Protect, ProtectRejection};
    /// let refused = Auth::signed_out().protect(&Protect::signed_in()).unwrap_err();
    /// assert_eq!(refused, ProtectRejection::Status(http::StatusCode::NOT_FOUND));
    /// ```
    ///
    /// # Errors
    /// The [`ProtectRejection`] to answer with; it implements `IntoResponse`.
    pub fn protect(&self, rule: &Protect) -> Result<SignedIn, ProtectRejection> {
        self.check(rule).map(|()| SignedIn(self.clone()))
    }

    /// [`Self::protect`] on an `Auth` the caller no longer needs: the `SignedIn` is this handle,
    /// not a clone of it (`#[protect]`'s guard; one count fewer written per request).
    pub(crate) fn into_protected(self, rule: &Protect) -> Result<SignedIn, ProtectRejection> {
        self.check(rule)?;
        Ok(SignedIn(self))
    }

    /// The decision table of [`Self::protect`], without the `SignedIn` (`ProtectLayer`).
    pub(crate) fn check(&self, rule: &Protect) -> Result<(), ProtectRejection> {
        self.mark_decided();
        let ctx = self.context();
        let info = ctx.and_then(|c| c.request.as_ref());
        let htmx = info.is_some_and(|i| i.htmx);
        // The origin is only worked out when a redirect is actually built: a request that passes
        // pays nothing for it.
        let config = ctx.map(|c| &c.backend.config);
        let redirect_to = |url: &str, which: &str| match configured_target(
            url,
            config.and_then(|config| app_origin(config, info)).as_ref(),
        ) {
            Some(location) => ProtectRejection::Redirect(AuthRedirect::to(location).for_htmx(htmx)),
            None => ProtectRejection::Misconfigured(format!("{which} `{url}` is not an absolute path or http(s) URL")),
        };
        let api_status = |denial: Denial| {
            let hook = config.and_then(|config| config.api_rejection_status.as_ref());
            ProtectRejection::Status(hook.map_or(http::StatusCode::NOT_FOUND, |hook| hook(denial)))
        };
        if !self.is_authenticated() {
            if let Some(ctx) = ctx.filter(|c| c.infrastructure) {
                let retry = ctx.backend.config.jwks.failure_backoff.as_secs().max(1);
                return Err(ProtectRejection::Unavailable { retry_after_secs: retry });
            }
        }
        // Machine contexts (`handleUnauthorized` of Clerk's protect): a token type the route does
        // not take, a machine token that failed, or one without the scopes, is a 401.
        let kind = self.token_type();
        if !rule.accepts.accepts(kind) {
            return Err(self.unauthorized(ctx));
        }
        if kind.is_machine() {
            let machine = self.machine().filter(|m| rule.scopes.iter().all(|s| m.has_scope(s)));
            return if machine.is_some() { Ok(()) } else { Err(self.unauthorized(ctx)) };
        }
        // Clerk's `protect` sends a pending session to sign-in (its tasks) even when `auth()`
        // calls it signed in.
        if !self.is_signed_in() || self.is_pending() {
            if let Some(url) = &rule.unauthenticated_url {
                return Err(redirect_to(url, "unauthenticated_url"));
            }
            if let Some(config) = config.filter(|_| info.is_some_and(|i| i.page || i.htmx)) {
                let location = portal_location(config, info, Portal::SignIn, &ReturnTo::CurrentUrl, self.is_pending());
                return Err(ProtectRejection::Redirect(AuthRedirect::to(location).for_htmx(htmx)));
            }
            if rule.accepts.any_machine() {
                // A route for machines too: a request without a usable token is a 401.
                return Err(self.unauthorized(ctx));
            }
            return Err(api_status(Denial::Unauthenticated));
        }
        if rule.allows(self) {
            return Ok(());
        }
        if let Some(reverification) = rule.missing_reverification(self) {
            return Err(ProtectRejection::ReverificationRequired(reverification));
        }
        match &rule.unauthorized_url {
            Some(url) => Err(redirect_to(url, "unauthorized_url")),
            None => Err(api_status(Denial::Unauthorized)),
        }
    }
}

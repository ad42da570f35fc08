//! Which of Clerk's two cookie flavours a request's session is read from: `__session` or
//! `__session_<suffix>` (clerk-semantics §5.2 `usesSuffixedCookies`, HEAD, rules in Clerk's
//! order), and that flavour's session token, client UAT and dev-browser cookie.

use std::borrow::Cow;

use crate::config::InstanceFacts;
use crate::error::TokenError;
use crate::request::cookies::{js_parse_int, Cookies, CLIENT_UAT, DEV_BROWSER, SESSION};
use crate::verify::jwt::Peek;

/// The chosen flavour's cookies.
#[derive(Debug, Default)]
pub(crate) struct SessionCookies<'a> {
    /// The session token, unless missing or empty.
    pub(crate) session: Option<Cow<'a, str>>,
    /// `__client_uat` as Clerk reads it (`parseInt(value, 10) || 0`).
    pub(crate) client_uat: i64,
    /// The dev-browser cookie, unless missing or empty.
    pub(crate) dev_browser: Option<Cow<'a, str>>,
    /// The suffixed flavour was chosen (`usesSuffixedCookies()`).
    pub(crate) suffixed: bool,
    /// The session token decoded (or why it does not decode), when the rules already decoded it.
    pub(crate) peeked: Option<Result<Peek, TokenError>>,
}

/// The session cookies of the flavour Clerk's rules choose (the unsuffixed one when the
/// instance has no publishable key, hence no suffix).
pub(crate) fn session_cookies<'a>(
    cookies: &Cookies<'a>,
    instance: &InstanceFacts,
    now_ms: i64,
    peek: &dyn Fn(&str) -> Result<Peek, TokenError>,
) -> SessionCookies<'a> {
    let Some(names) = &instance.suffixed else {
        let [session, uat, dev] = cookies.get_many([SESSION, CLIENT_UAT, DEV_BROWSER]);
        return chosen(session, uat, dev, None, false);
    };
    let [session, uat, dev, sfx_session, sfx_uat, sfx_dev] =
        cookies.get_many([SESSION, CLIENT_UAT, DEV_BROWSER, &names.session, &names.client_uat, &names.dev_browser]);
    let unsuffixed = Flavour::new(session, uat, peek);
    let suffixed = Flavour::new(sfx_session, sfx_uat, peek);
    // Clerk's front end writes one token to both flavours: decoded once.
    if suffixed.session.is_some() && suffixed.session == unsuffixed.session {
        let _ = suffixed.peeked.set(unsuffixed.claims_result().clone());
    }
    if uses_suffixed_cookies(&unsuffixed, &suffixed, instance, now_ms) {
        chosen(suffixed.session, suffixed.uat, sfx_dev, suffixed.peeked.into_inner(), true)
    } else {
        chosen(unsuffixed.session, unsuffixed.uat, dev, unsuffixed.peeked.into_inner(), false)
    }
}

fn chosen<'a>(
    session: Option<Cow<'a, str>>,
    uat: Option<Cow<'a, str>>,
    dev: Option<Cow<'a, str>>,
    peeked: Option<Result<Peek, TokenError>>,
    suffixed: bool,
) -> SessionCookies<'a> {
    SessionCookies {
        session: session.filter(|s| !s.is_empty()),
        client_uat: uat.map_or(0, |v| js_parse_int(&v)),
        dev_browser: dev.filter(|d| !d.is_empty()),
        suffixed,
        peeked,
    }
}

/// One flavour's session and client UAT, its session token decoded on first use (for routing
/// only: nothing in it is trusted).
struct Flavour<'a, 'p> {
    session: Option<Cow<'a, str>>,
    uat: Option<Cow<'a, str>>,
    peeked: std::cell::OnceCell<Result<Peek, TokenError>>,
    peek: &'p dyn Fn(&str) -> Result<Peek, TokenError>,
}

impl<'a, 'p> Flavour<'a, 'p> {
    fn new(
        session: Option<Cow<'a, str>>,
        uat: Option<Cow<'a, str>>,
        peek: &'p dyn Fn(&str) -> Result<Peek, TokenError>,
    ) -> Self {
        Self { session, uat, peeked: std::cell::OnceCell::new(), peek }
    }

    fn has_session(&self) -> bool {
        self.session.as_deref().is_some_and(|s| !s.is_empty())
    }

    /// The decoded session token, or why it does not decode.
    fn claims_result(&self) -> &Result<Peek, TokenError> {
        self.peeked.get_or_init(|| (self.peek)(self.session.as_deref().unwrap_or_default()))
    }

    /// The decoded session token; a missing or undecodable one reads as no claims.
    fn claims(&self) -> &Peek {
        static NONE: Peek = Peek { iss: None, iat: None, exp: None, not_a_session_token: false };
        self.claims_result().as_ref().unwrap_or(&NONE)
    }

    /// `!uat` in JavaScript: missing or empty.
    fn lacks_uat(&self) -> bool {
        self.uat.as_deref().is_none_or(str::is_empty)
    }

    fn uat_is(&self, value: &str) -> bool {
        self.uat.as_deref() == Some(value)
    }
}

/// `usesSuffixedCookies` (§5.2, HEAD).
fn uses_suffixed_cookies(
    plain: &Flavour<'_, '_>,
    sfx: &Flavour<'_, '_>,
    instance: &InstanceFacts,
    now_ms: i64,
) -> bool {
    if plain.has_session() {
        // 1: no `iss`, malformed: the unsuffixed cookie. 2: another instance's token: suffixed.
        let Some(iss) = plain.claims().iss.as_deref() else { return false };
        let host = iss.strip_prefix("https://").or_else(|| iss.strip_prefix("http://")).unwrap_or(iss);
        if Some(host) != instance.frontend_api.as_deref() {
            return true;
        }
    }
    // 3
    if sfx.lacks_uat() && !sfx.has_session() {
        return false;
    }
    // 4
    if !sfx.uat_is("0") && !plain.uat_is("0") && plain.claims().iat.unwrap_or(0.0) > sfx.claims().iat.unwrap_or(0.0) {
        return false;
    }
    // 5
    if sfx.uat_is("0") && !plain.uat_is("0") {
        return false;
    }
    // 6
    if !instance.production
        && !sfx.uat_is("0")
        && plain.uat_is("0")
        && sfx.claims().exp.unwrap_or(0.0) <= (now_ms / 1000) as f64
    {
        return false;
    }
    // 7
    if sfx.lacks_uat() && sfx.has_session() {
        return false;
    }
    true
}

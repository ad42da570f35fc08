//! The session cookies of a request: which of Clerk's two cookie flavours a request's session is
//! read from (`__session` or `__session_<suffix>`, clerk-semantics §5.2 `usesSuffixedCookies`),
//! and that flavour's session token, client UAT and dev-browser cookie.

use std::borrow::Cow;
use std::cell::OnceCell;

use crate::auth::DataHandle;
use crate::claims::RoutingClaims;
use crate::clerk::{Clerk, SuffixedCookieNames};
use crate::cookies::{js_parse_int, text, Cookies};
use crate::headers::RequestHeaders;
use crate::jwt;
use crate::publishable_key::InstanceType;

/// The chosen flavour's cookies, as the rest of the cookie flow reads them.
pub(crate) struct SessionCookies<'h> {
    /// The session token, unless missing or empty; as bytes (a token verified before is never
    /// read as text).
    pub(crate) session: Option<Cow<'h, [u8]>>,
    /// `__client_uat` as Clerk reads it (`parseInt(value, 10) || 0`).
    pub(crate) client_uat: i64,
    /// A dev-browser cookie was sent (read for a development instance only).
    pub(crate) dev_browser: bool,
    /// The verified-token cache's answer for the session token, if the rules already asked it.
    pub(crate) looked_up: Option<Option<(DataHandle, bool)>>,
}

pub(crate) const SESSION: &str = "__session";
const CLIENT_UAT: &str = "__client_uat";
pub(crate) const DEV_BROWSER: &str = "__clerk_db_jwt";

/// The cookies Clerk's rules read (§5.2), found in one walk over the `Cookie` header.
struct ClerkCookies<'h> {
    /// `[session, client_uat, dev_browser]`, unsuffixed (0) and suffixed (1; none without a
    /// publishable key), as bytes: a session token verified before is never read as text.
    flavours: [[Option<Cow<'h, [u8]>>; 3]; 2],
    /// The verified-token cache's answer for each flavour's session token, looked up at most
    /// once: the suffixed-cookie rules read their claims up to three times, and the decision
    /// reads the chosen one again.
    cached: [OnceCell<Option<(DataHandle, bool)>>; 2],
}

impl<'h> ClerkCookies<'h> {
    /// The dev-browser cookies are read only for a development instance, the one case the rules
    /// look at them; the walk stops once every cookie asked for has been seen.
    fn read(found: &RequestHeaders<'h>, suffixed: Option<&SuffixedCookieNames>, development: bool) -> Self {
        let cookies = Cookies::from_lines(found);
        let flavours = match (suffixed, development) {
            (Some(n), true) => {
                let [session, uat, dev, sfx_session, sfx_uat, sfx_dev] =
                    cookies.get_many([SESSION, CLIENT_UAT, DEV_BROWSER, &n.session, &n.client_uat, &n.dev_browser]);
                [[session, uat, dev], [sfx_session, sfx_uat, sfx_dev]]
            }
            (Some(n), false) => {
                let [session, uat, sfx_session, sfx_uat] =
                    cookies.get_many([SESSION, CLIENT_UAT, &n.session, &n.client_uat]);
                [[session, uat, None], [sfx_session, sfx_uat, None]]
            }
            (None, true) => [cookies.get_many([SESSION, CLIENT_UAT, DEV_BROWSER]), [None, None, None]],
            (None, false) => {
                let [session, uat] = cookies.get_many([SESSION, CLIENT_UAT]);
                [[session, uat, None], [None, None, None]]
            }
        };
        Self { flavours, cached: [OnceCell::new(), OnceCell::new()] }
    }

    /// One flavour's cookie (`0` session, `1` client UAT, `2` dev browser).
    fn cookie(&self, suffixed: bool, which: usize) -> Option<&[u8]> {
        self.flavours[usize::from(suffixed)][which].as_deref()
    }

    /// What the cache knows of one flavour's session token, looked up on first ask. Clerk's front
    /// end writes the same token to both flavours: the suffixed one then has the other's answer.
    fn cached(&self, clerk: &Clerk, suffixed: bool, now_ms: i64) -> Option<&(DataHandle, bool)> {
        let token = self.cookie(suffixed, 0).unwrap_or_default();
        self.cached[usize::from(suffixed)]
            .get_or_init(|| {
                if suffixed && self.cookie(false, 0) == Some(token) {
                    return self.cached(clerk, false, now_ms).cloned();
                }
                clerk.cached_auth_at(token, now_ms)
            })
            .as_ref()
    }

    /// What the rules read from one flavour's session token before verifying it: kept with a
    /// token verified before, else decoded (unverified: for routing only; nothing for a token
    /// that does not decode).
    fn routing_claims(&self, clerk: &Clerk, suffixed: bool, now_ms: i64) -> Cow<'_, RoutingClaims> {
        if let Some((data, _)) = self.cached(clerk, suffixed, now_ms) {
            return Cow::Borrowed(data.routing());
        }
        let token = std::str::from_utf8(self.cookie(suffixed, 0).unwrap_or_default());
        let decoded = token.ok().and_then(|token| jwt::decode(token).ok());
        Cow::Owned(decoded.map(|d| RoutingClaims::of(&d.payload)).unwrap_or_default())
    }
}

impl Clerk {
    /// The session cookies of the flavour Clerk's rules choose; the dev-browser cookie is looked
    /// for only for a `development` instance.
    pub(crate) fn session_cookies<'h>(
        &self,
        headers: &RequestHeaders<'h>,
        development: bool,
        now_ms: i64,
    ) -> SessionCookies<'h> {
        let mut cookies = ClerkCookies::read(headers, self.suffixed_cookie_names(), development);
        let use_suffixed = self.suffixed_cookie_names().is_some() && self.uses_suffixed_cookies(&cookies, now_ms);
        let chosen = usize::from(use_suffixed);
        let looked_up = cookies.cached[chosen].take();
        let [session, client_uat, dev_browser] = std::mem::take(&mut cookies.flavours[chosen]);
        SessionCookies {
            session: session.filter(|s| !s.is_empty()),
            client_uat: client_uat.and_then(text).map_or(0, |v| js_parse_int(&v)),
            dev_browser: dev_browser.is_some(),
            looked_up,
        }
    }

    /// `usesSuffixedCookies` (§5.2, HEAD, rules in Clerk's order).
    fn uses_suffixed_cookies(&self, cookies: &ClerkCookies<'_>, now_ms: i64) -> bool {
        const ZERO: &[u8] = b"0";
        let (sfx_uat, uat) = (cookies.cookie(true, 1), cookies.cookie(false, 1));
        let sfx_session = cookies.cookie(true, 0).unwrap_or_default();
        let session = cookies.cookie(false, 0).unwrap_or_default();
        let claims = |suffixed: bool| cookies.routing_claims(self, suffixed, now_ms);
        if !session.is_empty() {
            let fapi = self.config().publishable_key().map(|pk| pk.frontend_api());
            // No `iss`: malformed, use the unsuffixed cookie; else is it another instance's?
            let other_instance = claims(false).iss.as_deref().map(|iss| {
                let host = iss.strip_prefix("https://").or_else(|| iss.strip_prefix("http://")).unwrap_or(iss);
                Some(host) != fapi
            });
            match other_instance {
                None => return false,
                Some(true) => return true,
                Some(false) => {}
            }
        }
        if sfx_uat.is_none() && sfx_session.is_empty() {
            return false;
        }
        if sfx_uat != Some(ZERO)
            && uat != Some(ZERO)
            && claims(false).iat.unwrap_or(0.0) > claims(true).iat.unwrap_or(0.0)
        {
            return false;
        }
        if sfx_uat == Some(ZERO) && uat != Some(ZERO) {
            return false;
        }
        let now_secs = (now_ms / 1000) as f64;
        if self.config().publishable_key().map(|pk| pk.instance_type()) != Some(InstanceType::Production)
            && sfx_uat != Some(ZERO)
            && uat == Some(ZERO)
            && claims(true).exp.unwrap_or(0.0) <= now_secs
        {
            return false;
        }
        if sfx_uat.is_none() && !sfx_session.is_empty() {
            return false;
        }
        true
    }
}

//! The session cookies of a request: which of Clerk's two cookie flavours a request's session is
//! read from (`__session` or `__session_<suffix>`, clerk-semantics §5.2 `usesSuffixedCookies`),
//! and that flavour's session token, client UAT and dev-browser cookie.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::ops::Range;

use crate::auth::DataHandle;
use crate::cache::constant_time_eq;
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

const SESSION: &str = "__session";
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
    ///
    /// A browser sends the same `Cookie` line with every request until its session token is
    /// refreshed, so each thread remembers the rules' outcome for a few lines: a line equal to
    /// one remembered (compared in full, in constant time) skips the walk and the rules — their
    /// outcome is a function of the line's bytes alone for one instance, and a choice that read
    /// the clock is not remembered. The session token is still looked up in the verified-token
    /// cache, as on any request.
    pub(crate) fn session_cookies<'h>(
        &self,
        headers: &RequestHeaders<'h>,
        development: bool,
        now_ms: i64,
    ) -> SessionCookies<'h> {
        // No `Cookie` header (a visitor's first request, an API client): every cookie is missing,
        // whichever flavour the rules would choose.
        if headers.cookie_lines[0].is_none() {
            return SessionCookies { session: None, client_uat: 0, dev_browser: false, looked_up: None };
        }
        let line = single_line(headers).map(|line| (line, sample(line)));
        let instance = self.instance_id();
        if let Some(remembered) = line.and_then(|(line, sample)| recall(instance, line, sample)) {
            return remembered;
        }
        let mut cookies = ClerkCookies::read(headers, self.suffixed_cookie_names(), development);
        let choice = match self.suffixed_cookie_names() {
            Some(_) => self.uses_suffixed_cookies(&cookies, now_ms),
            None => Choice { suffixed: false, read_clock: false },
        };
        let chosen = usize::from(choice.suffixed);
        let looked_up = cookies.cached[chosen].take();
        let [session, client_uat, dev_browser] = std::mem::take(&mut cookies.flavours[chosen]);
        let chosen = SessionCookies {
            session: session.filter(|s| !s.is_empty()),
            client_uat: client_uat.and_then(text).map_or(0, |v| js_parse_int(&v)),
            dev_browser: dev_browser.is_some(),
            looked_up,
        };
        if let (Some((line, sample)), false) = (line, choice.read_clock) {
            remember(instance, line, sample, &chosen);
        }
        chosen
    }

    /// `usesSuffixedCookies` (§5.2, HEAD, rules in Clerk's order).
    fn uses_suffixed_cookies(&self, cookies: &ClerkCookies<'_>, now_ms: i64) -> Choice {
        const ZERO: &[u8] = b"0";
        let (sfx_uat, uat) = (cookies.cookie(true, 1), cookies.cookie(false, 1));
        let sfx_session = cookies.cookie(true, 0).unwrap_or_default();
        let session = cookies.cookie(false, 0).unwrap_or_default();
        let claims = |suffixed: bool| cookies.routing_claims(self, suffixed, now_ms);
        let choose = |suffixed: bool| Choice { suffixed, read_clock: false };
        if !session.is_empty() {
            let fapi = self.config().publishable_key().map(|pk| pk.frontend_api());
            // No `iss`: malformed, use the unsuffixed cookie; else is it another instance's?
            let other_instance = claims(false).iss.as_deref().map(|iss| {
                let host = iss.strip_prefix("https://").or_else(|| iss.strip_prefix("http://")).unwrap_or(iss);
                Some(host) != fapi
            });
            match other_instance {
                None => return choose(false),
                Some(true) => return choose(true),
                Some(false) => {}
            }
        }
        if sfx_uat.is_none() && sfx_session.is_empty() {
            return choose(false);
        }
        if sfx_uat != Some(ZERO)
            && uat != Some(ZERO)
            && claims(false).iat.unwrap_or(0.0) > claims(true).iat.unwrap_or(0.0)
        {
            return choose(false);
        }
        if sfx_uat == Some(ZERO) && uat != Some(ZERO) {
            return choose(false);
        }
        // The one rule that reads the clock: whatever it decides, the choice is not remembered.
        let read_clock = self.config().publishable_key().map(|pk| pk.instance_type()) != Some(InstanceType::Production)
            && sfx_uat != Some(ZERO)
            && uat == Some(ZERO);
        let expired = |exp: Option<f64>| exp.unwrap_or(0.0) <= (now_ms / 1000) as f64;
        if read_clock && expired(claims(true).exp) {
            return Choice { suffixed: false, read_clock };
        }
        if sfx_uat.is_none() && !sfx_session.is_empty() {
            return Choice { suffixed: false, read_clock };
        }
        Choice { suffixed: true, read_clock }
    }
}

/// Which flavour the rules chose, and whether the choice depended on the time it was made.
#[derive(Debug, Clone, Copy)]
struct Choice {
    suffixed: bool,
    read_clock: bool,
}

/// Longest `Cookie` line whose outcome is remembered; a longer one is read every time.
const REMEMBERED_LINE_MAX: usize = 8 * 1024;

/// Lines remembered per thread, direct-mapped by [`sample`] (as many as the verified-token
/// cache's per-thread front has tokens; ~2 KB each for a typical browser's line).
const REMEMBERED_SLOTS: usize = 64;

/// The rules' outcome for one `Cookie` line of one instance. Only a line whose chosen session
/// token is a slice of it (not percent-decoded) is remembered.
struct Remembered {
    instance: u64,
    sample: u64,
    line: Vec<u8>,
    session: Range<usize>,
    client_uat: i64,
    dev_browser: bool,
}

/// One slot of a thread's table: the line it remembers, and the sample of the last line that
/// missed it. A line is remembered the second time in a row it misses its slot, so lines seen
/// once (many browsers sharing a thread) cost no copy and do not evict one that repeats.
#[derive(Default)]
struct Slot {
    remembered: Option<Remembered>,
    candidate: Option<(u64, u64)>,
}

thread_local! {
    static REMEMBERED: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// The request's `Cookie` line when it sent exactly one, short enough to remember.
fn single_line<'h>(headers: &RequestHeaders<'h>) -> Option<&'h [u8]> {
    let [Some(line), rest @ ..] = &headers.cookie_lines else {
        return None;
    };
    let single = rest.iter().all(Option::is_none) && !headers.more_cookie_lines;
    (single && line.len() <= REMEMBERED_LINE_MAX).then(|| line.as_bytes())
}

/// Picks the slot of a line: its length, four words at a fifth, two, three and four fifths of it
/// and its last word. A line is mostly its session tokens, so the lines of different sessions
/// differ there; lines alike at these places (one session whose other cookies changed) meet in a
/// slot and are told apart by the comparison, which alone decides equality.
fn sample(line: &[u8]) -> u64 {
    let mix = |h: u64, word: u64| (h ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    let word = |at: usize| line.get(at..).and_then(<[u8]>::first_chunk::<8>).map_or(0, |w| u64::from_le_bytes(*w));
    let (fifth, last) = (line.len() / 5, line.len().saturating_sub(8));
    [fifth, 2 * fifth, 3 * fifth, 4 * fifth, last].into_iter().fold(line.len() as u64, |h, at| mix(h, word(at)))
}

/// The remembered outcome for `line` (whose [`sample`] is `sample`), if this thread has it.
fn recall<'h>(instance: u64, line: &'h [u8], sample: u64) -> Option<SessionCookies<'h>> {
    REMEMBERED
        .try_with(|slots| {
            let slots = slots.borrow();
            let slot = slots.get(sample as usize % REMEMBERED_SLOTS)?.remembered.as_ref()?;
            let same = slot.instance == instance && slot.sample == sample && constant_time_eq(&slot.line, line);
            same.then(|| SessionCookies {
                // Within the line, which is as long as the remembered one; `get` keeps it so.
                session: line.get(slot.session.clone()).map(Cow::Borrowed),
                client_uat: slot.client_uat,
                dev_browser: slot.dev_browser,
                looked_up: None,
            })
        })
        .ok()
        .flatten()
}

/// Remembers the outcome for `line` when its session token is a slice of it and the line missed
/// its slot before this (reusing the slot's buffer); else notes it as the slot's candidate.
fn remember(instance: u64, line: &[u8], sample: u64, chosen: &SessionCookies<'_>) {
    let Some(Cow::Borrowed(session)) = &chosen.session else {
        return;
    };
    let Some(session) = range_in(line, session) else {
        return;
    };
    let _ = REMEMBERED.try_with(|slots| {
        let mut slots = slots.borrow_mut();
        if slots.is_empty() {
            slots.resize_with(REMEMBERED_SLOTS, Slot::default);
        }
        let slot = &mut slots[sample as usize % REMEMBERED_SLOTS];
        if slot.candidate.replace((instance, sample)) != Some((instance, sample)) {
            return;
        }
        let mut buffer = slot.remembered.take().map(|old| old.line).unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(line);
        let (client_uat, dev_browser) = (chosen.client_uat, chosen.dev_browser);
        slot.remembered = Some(Remembered { instance, sample, line: buffer, session, client_uat, dev_browser });
    });
}

/// Where `part`, a slice of `line`, lies in it.
fn range_in(line: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= line.len()).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_taken_from_lines_of_any_length() {
        let line = b"__session=abcdefghijklmnopqrstuvwxyz";
        let samples: Vec<u64> = (0..=line.len()).map(|n| sample(&line[..n])).collect();
        for (n, s) in samples.iter().enumerate() {
            assert_eq!(samples.iter().filter(|&t| t == s).count(), 1, "the prefix of {n} bytes has its own sample");
        }
    }

    /// What the rules would give for `line`: its session is the part after `__session=`.
    fn outcome(line: &[u8]) -> SessionCookies<'_> {
        let at = line.windows(10).position(|w| w == b"__session=").expect("a session") + 10;
        SessionCookies { session: Some(Cow::Borrowed(&line[at..])), client_uat: 7, dev_browser: false, looked_up: None }
    }

    fn miss_then_remember(instance: u64, line: &[u8]) -> bool {
        let sample = sample(line);
        let hit = recall(instance, line, sample).is_some();
        if !hit {
            remember(instance, line, sample, &outcome(line));
        }
        hit
    }

    #[test]
    fn a_line_is_remembered_from_its_second_miss_in_a_row() {
        let line = b"__client_uat=1; __session=first.line.token";
        assert!(!miss_then_remember(u64::MAX, line));
        assert!(!miss_then_remember(u64::MAX, line));
        let recalled = recall(u64::MAX, line, sample(line)).expect("remembered");
        assert_eq!((recalled.session.as_deref(), recalled.client_uat), (Some(&b"first.line.token"[..]), 7));
        assert!(recall(u64::MAX - 1, line, sample(line)).is_none(), "another instance's");
    }

    #[test]
    fn lines_seen_once_leave_the_remembered_one_in_its_slot() {
        let instance = u64::MAX - 2;
        let line = b"__client_uat=1; __session=second.line.token".to_vec();
        let slot = sample(&line) as usize % REMEMBERED_SLOTS;
        let mut same_slot = (0..)
            .map(|i| format!("__client_uat=1; __session=other.{i}").into_bytes())
            .filter(|other| sample(other) as usize % REMEMBERED_SLOTS == slot);
        let (once, twice) = (same_slot.next().unwrap(), same_slot.next().unwrap());
        for _ in 0..2 {
            miss_then_remember(instance, &line);
        }
        for other in [&twice, &once, &twice] {
            assert!(!miss_then_remember(instance, other));
            assert!(miss_then_remember(instance, &line), "still remembered");
        }
        assert!(!miss_then_remember(instance, &twice), "its second miss in a row takes the slot");
        assert!(recall(instance, &twice, sample(&twice)).is_some());
        assert!(recall(instance, &line, sample(&line)).is_none());
    }

    #[test]
    fn a_range_is_found_only_for_a_slice_of_the_line() {
        let line = b"a=1; __session=xyz";
        assert_eq!(range_in(line, &line[15..]), Some(15..18));
        assert_eq!(range_in(line, &line[..0]), Some(0..0));
        assert_eq!(range_in(&line[5..], &line[..3]), None, "before the line");
        assert_eq!(range_in(&line[..10], &line[8..12]), None, "past its end");
        let elsewhere = vec![b'x', b'y', b'z'];
        assert_eq!(range_in(line, &elsewhere), None, "equal bytes elsewhere");
    }
}

//! The `x-clerk-auth-status`, `-reason` and `-message` headers Clerk's middleware puts on the
//! response of a signed-out request (clerk-semantics §5.8).

use http::header::Entry;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::auth::state::{AuthStatus, RequestState};
use crate::error::Reason;

/// `x-clerk-auth-status`
pub const AUTH_STATUS_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-status");
/// `x-clerk-auth-reason`
pub const AUTH_REASON_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-reason");
/// `x-clerk-auth-message`
pub const AUTH_MESSAGE_HEADER: HeaderName = HeaderName::from_static("x-clerk-auth-message");

/// The headers of a signed-out request, ready to add to its response.
#[derive(Debug)]
pub(crate) struct SignedOutHeaders {
    status: AuthStatus,
    reason: Option<Reason>,
    message: Option<HeaderValue>,
}

impl SignedOutHeaders {
    /// The headers of `state`; none when it is signed in. A message that cannot be a header
    /// value is left out.
    pub(crate) fn of(state: &RequestState) -> Option<Self> {
        (state.status() != AuthStatus::SignedIn).then(|| Self {
            status: state.status(),
            reason: state.reason(),
            message: Some(state.message()).filter(|m| !m.is_empty()).and_then(|m| HeaderValue::try_from(m).ok()),
        })
    }

    /// Adds the message, reason and status (in Clerk's order) to `headers`, each unless `headers`
    /// already has it (a handler's own value is kept).
    pub(crate) fn add_to(self, headers: &mut HeaderMap) {
        if let Some(message) = self.message {
            add_unless_present(headers, AUTH_MESSAGE_HEADER, message);
        }
        if let Some(reason) = self.reason {
            add_unless_present(headers, AUTH_REASON_HEADER, reason.header_value());
        }
        add_unless_present(headers, AUTH_STATUS_HEADER, HeaderValue::from_static(self.status.as_str()));
    }
}

/// Inserts `value` unless `name` is present. A map at its size limit is left as it is.
fn add_unless_present(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    if let Ok(Entry::Vacant(slot)) = headers.try_entry(name) {
        let _ = slot.try_insert(value);
    }
}

impl RequestState {
    /// The `x-clerk-auth-status`, `-reason` and `-message` headers Clerk's middleware puts on
    /// signed-out responses; none when signed in. A message that cannot be a header value is
    /// left out.
    ///
    /// ```
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum_clerk::{Clerk, ClerkConfig};
    /// let clerk = Clerk::new(ClerkConfig::builder().secret_key("sk_test_x").build()?)?;
    /// let state = clerk.authenticate(&http::Request::get("/").body(())?).await;
    /// assert_eq!(state.debug_headers()["x-clerk-auth-reason"], "session-token-and-uat-missing");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn debug_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(signed_out) = SignedOutHeaders::of(self) {
            signed_out.add_to(&mut headers);
        }
        headers
    }
}

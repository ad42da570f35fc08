//! Verified Clerk webhooks as an axum extractor: [`ClerkWebhook`] reads the body (with a size
//! limit), checks its Standard Webhooks signature with a [`WebhookVerifier`], and only then
//! deserialises it — by default into a typed [`ClerkEvent`].

mod events;
mod verify;

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

pub use events::{
    ClerkEvent, Deleted, Email, EmailAddress, Organization, OrganizationInvitation, OrganizationMembership,
    PublicUserData, Session, User,
};
#[cfg(feature = "testing")]
pub(crate) use verify::sign;
pub use verify::{WebhookError, WebhookVerifier, WEBHOOK_TOLERANCE_SECS};

/// A verified Clerk webhook: the message ID (`svix-id`) and the event.
///
/// The route needs a [`WebhookVerifier`] in its extensions. A request is refused — nothing of
/// its body trusted — with 400 when malformed (a header missing or repeated, a timestamp that is
/// not a number, JSON that does not fit `E`), 401 when the signature or the timestamp does not
/// hold, 413 when the body is over the limit.
///
/// ```
/// use axum::{routing::post, Extension, Json, Router};
/// use axum_clerk::{ClerkEvent, ClerkWebhook, WebhookVerifier};
///
/// async fn clerk_webhook(webhook: ClerkWebhook) -> Json<serde_json::Value> {
///     if let ClerkEvent::UserCreated(user) = &webhook.event {
///         println!("welcome {}", user.primary_email().unwrap_or(&user.id));
///     }
///     Json(serde_json::json!({ "type": webhook.event.event_type() }))
/// }
///
/// let verifier = WebhookVerifier::new(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).unwrap();
/// let app: Router = Router::new().route("/webhooks/clerk", post(clerk_webhook)).layer(Extension(verifier));
/// ```
///
/// **Replays.** The five-minute window stops old messages, not a message replayed within it:
/// an attacker who saw one delivery can send it again at once. Keep the IDs you processed (for
/// longer than the window) and skip a [`message_id`](Self::message_id) seen before; Svix may
/// also deliver the same message twice on its own (retries).
#[derive(Debug, Clone)]
pub struct ClerkWebhook<E = ClerkEvent> {
    /// The message ID (`svix-id`): the same for every delivery of one message.
    pub message_id: String,
    /// The verified payload.
    pub event: E,
}

impl<S, E> FromRequest<S> for ClerkWebhook<E>
where
    S: Send + Sync,
    E: DeserializeOwned,
{
    type Rejection = WebhookError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let verifier = request.extensions().get::<WebhookVerifier>().cloned().ok_or(WebhookError::NotConfigured)?;
        let (parts, body) = request.into_parts();
        let limit = verifier.body_limit();
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| WebhookError::TooLarge(limit))?;
        let message_id = verifier.verify(&parts.headers, &bytes)?;
        let event = serde_json::from_slice(&bytes).map_err(|e| WebhookError::Payload(e.to_string()))?;
        Ok(Self { message_id, event })
    }
}

//! Clerk's webhooks, received: `POST /api/webhooks/clerk` verifies each delivery with the
//! signing secret (`CLERK_WEBHOOK_SIGNING_SECRET`, or the development issuer's) and remembers the
//! last few events; `GET /webhooks` shows them.

use askama::Template;
use axum::response::Response;
use axum::{Extension, Json};
use axum_clerk::{public, Auth, ClerkWebhook};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use super::pages;

/// How many events the page shows.
const KEPT: usize = 10;

/// The last events received, newest first: (message ID, type, the object's ID).
#[derive(Debug, Clone, Default)]
pub(crate) struct Received(Arc<Mutex<VecDeque<(String, String, String)>>>);

impl Received {
    fn push(&self, entry: (String, String, String)) -> bool {
        let mut events = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Svix may deliver a message twice, and a replay within the time window verifies too:
        // a message ID seen before is not processed again.
        if events.iter().any(|(id, _, _)| *id == entry.0) {
            return false;
        }
        events.push_front(entry);
        events.truncate(KEPT);
        true
    }

    fn list(&self) -> Vec<(String, String, String)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }
}

/// Receives one webhook: 200 with the event's type once verified; anything refused is a 4xx
/// from the extractor.
#[public]
pub(crate) async fn receive(Extension(received): Extension<Received>, webhook: ClerkWebhook) -> Json<Value> {
    let object = webhook.event.object_id().unwrap_or_default().to_owned();
    let event_type = webhook.event.event_type().to_owned();
    let new = received.push((webhook.message_id.clone(), event_type.clone(), object));
    Json(json!({ "type": event_type, "id": webhook.message_id, "duplicate": !new }))
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    chrome: pages::Chrome,
    events: Vec<(String, String, String)>,
}

/// The last events received.
#[public]
pub(crate) async fn page(
    auth: Auth,
    Extension(site): Extension<pages::Site>,
    Extension(received): Extension<Received>,
) -> Response {
    pages::render(&WebhooksPage { chrome: pages::Chrome::new("Webhooks", &auth, &site), events: received.list() })
}

//! Arbitrary webhook headers and bodies through `WebhookVerifier` and the event parser: never
//! panics, and accepts only what the test vector's secret signed (the seeds hold the genuine
//! message; a changed byte anywhere must be refused).
#![no_main]

use axum_clerk::{ClerkEvent, FixedClock, WebhookVerifier};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const GENUINE_BODY: &[u8] = br#"{"test": 2432232314}"#;

fn verifier() -> &'static WebhookVerifier {
    static VERIFIER: OnceLock<WebhookVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| WebhookVerifier::new([SECRET]).unwrap().clock(FixedClock::at_secs(1_614_265_330)))
}

fuzz_target!(|data: &[u8]| {
    // id 0xFF timestamp 0xFF signature 0xFF body
    let mut parts = data.splitn(4, |b| *b == 0xff);
    let (Some(id), Some(timestamp), Some(signature), Some(body)) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let mut headers = http::HeaderMap::new();
    for (name, value) in [("svix-id", id), ("svix-timestamp", timestamp), ("svix-signature", signature)] {
        if let Ok(value) = http::HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    if let Ok(message_id) = verifier().verify(&headers, body) {
        // Only the specification's genuine message is signed with this secret.
        assert_eq!((message_id.as_str(), body), ("msg_p5jXN8AQM9LWM0D4loKWxJek", GENUINE_BODY));
    }
    let _ = serde_json::from_slice::<ClerkEvent>(body);
});

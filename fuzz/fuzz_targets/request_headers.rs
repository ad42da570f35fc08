//! Arbitrary `Cookie` / `Authorization` header bytes through the whole request flow: never
//! panics, signs someone in only when the genuine fixture token is in the input (the seeds hold
//! it; no other token can verify), and answers a request asked three times the same way each
//! time (so that a memo added later is exercised by the second and third asks). A handshake
//! answer's `Location` stays on the Frontend API.
#![no_main]

use axum_clerk::{AuthStatus, Clerk, ClerkConfig, FixedClock};
// `data` is the raw input; the fixture token ends with these characters.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PEM: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqYy3MY8fOneEyzNDu9lp6iGXKkNUF+u/dUnrlkadZYyB35efzKFJEr9fftmWv5PUj1uRHTQ3bh6X1cceOYsIjy008dHWZJsKhGOxgdTjeK91rjaklxt7tyFXEiKHIOr1LSgKzopClOfCIjxK/oPUOf38pVh7WnekcSBQmU5fqA+EzKMi6k9VwvbzqKlZM4XQsiFyn28d9VubJWjTU8nNot0n1NE+9k6TxM8nglM4RwkBH4Ni4B0LhKKOOV+AG8tBNiZVil415dpBldmJ/j0wk7Ad4VFi9en3Z17oCKr+K+zuT7vKMKSb1548dk0vnmi0vj2QGXSo+61wM5yQWpk6sQIDAQAB";

fn setup() -> &'static (tokio::runtime::Runtime, Clerk) {
    static SETUP: OnceLock<(tokio::runtime::Runtime, Clerk)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let config = ClerkConfig::builder()
            .jwt_key(PEM)
            .publishable_key("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k")
            .clock(FixedClock::at_secs(1_666_648_250))
            .build()
            .unwrap();
        (runtime, Clerk::new(config).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    // Split the input into header values at 0xFF bytes: cookie lines, then authorization lines.
    // A page navigation, so that handshake decisions build their redirect (a cookie line may
    // also carry `__clerk_handshake` or a nonce, which the flow then tries to resolve).
    let mut request =
        http::Request::get("/path?x=1").header("host", "app.example").header("sec-fetch-dest", "document");
    for (i, value) in data.split(|b| *b == 0xff).enumerate().take(8) {
        let Ok(value) = http::HeaderValue::from_bytes(value) else { continue };
        let name = if i % 3 == 2 { "authorization" } else { "cookie" };
        request = request.header(name, value);
    }
    let Ok(request) = request.body(()) else { return };
    let (runtime, clerk) = setup();
    let state = runtime.block_on(clerk.authenticate(&request));
    if state.status() == AuthStatus::SignedIn && state.auth().is_signed_in() {
        let token = state.auth().token().unwrap_or_default();
        assert!(token.ends_with("Bdi3M6w"), "signed in with a token other than the fixture: {token}");
        assert!(data.windows(token.len()).any(|w| w == token.as_bytes()));
    }
    let _ = state.debug_headers();
    if let Some(location) = state.headers().get("location") {
        let location = location.to_str().unwrap();
        assert!(location.starts_with("https://clerk.example.com/v1/client/handshake?"), "{location}");
    }
    // Asked again, the request meets what the first answer left behind (its token in the
    // verified-token cache): the answer must not change.
    let answer = |s: &axum_clerk::RequestState| {
        (s.status(), s.reason().map(|r| r.to_string()), s.message().to_owned(), s.auth().user_id().map(str::to_owned))
    };
    for ask in [2, 3] {
        let again = runtime.block_on(clerk.authenticate(&request));
        assert_eq!(answer(&again), answer(&state), "the same request answered differently on ask {ask}");
    }
});

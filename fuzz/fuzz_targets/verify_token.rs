//! Any string as a session token: decoding and verification never panic, and only the real key
//! can make a token verify.
#![no_main]

use axum_clerk::{Clerk, ClerkConfig, FixedClock};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqYy3MY8fOneEyzNDu9lp
6iGXKkNUF+u/dUnrlkadZYyB35efzKFJEr9fftmWv5PUj1uRHTQ3bh6X1cceOYsI
jy008dHWZJsKhGOxgdTjeK91rjaklxt7tyFXEiKHIOr1LSgKzopClOfCIjxK/oPU
Of38pVh7WnekcSBQmU5fqA+EzKMi6k9VwvbzqKlZM4XQsiFyn28d9VubJWjTU8nN
ot0n1NE+9k6TxM8nglM4RwkBH4Ni4B0LhKKOOV+AG8tBNiZVil415dpBldmJ/j0w
k7Ad4VFi9en3Z17oCKr+K+zuT7vKMKSb1548dk0vnmi0vj2QGXSo+61wM5yQWpk6
sQIDAQAB
-----END PUBLIC KEY-----";

fn setup() -> &'static (tokio::runtime::Runtime, Clerk) {
    static SETUP: OnceLock<(tokio::runtime::Runtime, Clerk)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let config = ClerkConfig::builder().jwt_key(PEM).clock(FixedClock::at_secs(1_666_648_250)).build().unwrap();
        (runtime, Clerk::new(config).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let (runtime, clerk) = setup();
    if let Ok(auth) = runtime.block_on(clerk.verify_token(token)) {
        // The seed corpus holds Clerk's signed fixture; anything else verifying would be a forgery.
        assert!(token.ends_with("Bdi3M6w"), "accepted a token not signed by the fixture key: {token}");
        let _ = auth.user_id();
    }
});

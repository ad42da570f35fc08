//! Any string as a publishable key: parsing never panics; a parsed key has a host with a dot.
#![no_main]

use axum_clerk::PublishableKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(pk) = PublishableKey::parse(text) {
        assert!(pk.frontend_api().contains('.'));
        assert!(pk.accounts_base_url().starts_with("https://"));
        assert_eq!(pk.cookie_suffix().len(), 8);
    }
});

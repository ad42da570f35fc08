//! Any string as a return URL or configured redirect target: never panics; whatever is accepted
//! stays on the application's origin (or the allowed one) and carries no CR/LF.
#![no_main]

use axum_clerk::{validate_return_url, ClerkConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let origin = url::Url::parse("https://app.example.com").unwrap();
    let allowed = ["https://*.trusted.example".to_owned()];
    if let Some(url) = validate_return_url(input, Some(&origin), &allowed) {
        let host = url.host_str().unwrap_or_default();
        assert!(url.scheme() == "https", "{input:?} -> {url}");
        assert!(host == "app.example.com" || host.ends_with(".trusted.example"), "{input:?} -> {url}");
        assert!(!url.as_str().contains(['\r', '\n']));
        assert!(!url.path().starts_with("//"), "{input:?} -> {url}");
    }
    let _ = ClerkConfig::builder().secret_key("sk").sign_in_url(input).build();
});

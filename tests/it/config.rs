//! Configuration: publishable keys and cookie suffixes (clerk-semantics §5.9, data:
//! tests/data/publishable-keys.json) and environment variables with clear errors.

use axum_clerk::{ClerkConfig, InstanceType, PublishableKey};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../data/publishable-keys.json")).unwrap()
}

#[test]
fn valid_publishable_keys_parse_to_clerks_values() {
    for v in vectors()["valid"].as_array().unwrap() {
        let key = v["key"].as_str().unwrap();
        let pk = PublishableKey::parse(key).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(pk.cookie_suffix(), v["suffix"].as_str().unwrap(), "{key}");
        if let Some(fapi) = v["frontendApi"].as_str() {
            assert_eq!(pk.frontend_api(), fapi);
            assert_eq!(pk.accounts_base_url(), v["accounts"].as_str().unwrap());
            let expected =
                if v["instanceType"] == "production" { InstanceType::Production } else { InstanceType::Development };
            assert_eq!(pk.instance_type(), expected);
        }
    }
}

#[test]
fn invalid_publishable_keys_are_refused() {
    for key in vectors()["invalid"].as_array().unwrap() {
        let key = key.as_str().unwrap();
        assert!(PublishableKey::parse(key).is_err(), "{key:?} was accepted");
    }
}

#[test]
fn build_publishable_key_matches_clerk() {
    for v in vectors()["build"].as_array().unwrap() {
        let pk = PublishableKey::for_frontend_api(v["frontendApi"].as_str().unwrap());
        assert_eq!(pk.as_str(), v["key"].as_str().unwrap());
    }
}

fn from(vars: &[(&str, &str)]) -> Result<ClerkConfig, axum_clerk::ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    ClerkConfig::from_vars(|name| map.get(name).cloned())
}

#[test]
fn env_variables_use_clerks_names() {
    let config = from(&[
        ("CLERK_SECRET_KEY", "sk_live_abc"),
        ("CLERK_PUBLISHABLE_KEY", "pk_live_Y2xlcmsuY2xlcmsuZGV2JA"),
        ("CLERK_API_URL", "https://api.example.test"),
        ("CLERK_SIGN_IN_URL", "/login"),
        ("CLERK_SIGN_UP_URL", "https://accounts.example.com/sign-up"),
        ("CLERK_AUTHORIZED_PARTIES", " https://a.example , https://b.example:8443,"),
        ("CLERK_CLOCK_SKEW_IN_MS", "0"),
    ])
    .unwrap();
    assert_eq!(config.api_url().as_str(), "https://api.example.test/");
    assert_eq!(config.sign_in_url(), "/login");
    assert_eq!(config.sign_up_url(), "https://accounts.example.com/sign-up");
    assert_eq!(config.authorized_parties(), ["https://a.example", "https://b.example:8443"]);
    assert_eq!(config.clock_skew(), Duration::ZERO, "0 is honoured");
    assert_eq!(config.instance_type(), Some(InstanceType::Production));
}

#[test]
fn defaults_are_clerks() {
    let config =
        from(&[("CLERK_SECRET_KEY", "sk_test_abc"), ("CLERK_PUBLISHABLE_KEY", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")])
            .unwrap();
    assert_eq!(config.clock_skew(), Duration::from_secs(5));
    assert_eq!(config.api_url().as_str(), "https://api.clerk.com/");
    assert_eq!(config.sign_in_url(), "https://accounts.example.com/sign-in");
    assert_eq!(config.sign_up_url(), "https://accounts.example.com/sign-up");
    assert!(config.authorized_parties().is_empty());
}

#[test]
fn next_public_publishable_key_is_read_as_a_fallback() {
    let config = from(&[
        ("CLERK_SECRET_KEY", "sk_test_abc"),
        ("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"),
    ])
    .unwrap();
    assert_eq!(config.publishable_key().unwrap().frontend_api(), "clerk.example.com");
}

#[test]
fn each_malformed_variable_is_named_in_the_error() {
    let cases: &[(&str, &str)] = &[
        ("CLERK_PUBLISHABLE_KEY", "pk_live_invalid"),
        ("CLERK_JWT_KEY", "not a key"),
        ("CLERK_API_URL", "api.clerk.com"),
        ("CLERK_API_URL", "ftp://api.clerk.com"),
        ("CLERK_JWKS_URL", "::"),
        ("CLERK_SIGN_IN_URL", "sign-in"),
        ("CLERK_SIGN_IN_URL", "//evil.example/sign-in"),
        ("CLERK_SIGN_IN_URL", "javascript:alert(1)"),
        ("CLERK_SIGN_UP_URL", "/sign-up\r\nSet-Cookie: x=y"),
        ("CLERK_AUTHORIZED_PARTIES", "https://app.example.com/"),
        ("CLERK_AUTHORIZED_PARTIES", "app.example.com"),
        ("CLERK_CLOCK_SKEW_IN_MS", "-1"),
        ("CLERK_CLOCK_SKEW_IN_MS", "5s"),
        ("CLERK_CLOCK_SKEW_IN_MS", "999999999"),
        ("CLERK_SECRET_KEY", "sk_test_with space"),
        ("CLERK_API_VERSION", "v1/../../x"),
    ];
    for (name, value) in cases {
        let mut vars = vec![("CLERK_SECRET_KEY", "sk_test_abc")];
        vars.retain(|(k, _)| k != name);
        vars.push((name, value));
        let err = from(&vars).expect_err(&format!("{name}={value:?} accepted"));
        assert_eq!(err.setting(), *name, "{name}={value:?}: {err}");
        assert!(err.to_string().starts_with(&format!("{name}: ")), "{err}");
    }
}

#[test]
fn authorized_party_error_says_how_to_write_it() {
    let err =
        from(&[("CLERK_SECRET_KEY", "sk"), ("CLERK_AUTHORIZED_PARTIES", "https://app.example.com/")]).unwrap_err();
    assert!(err.problem().contains("write it as https://app.example.com"), "{err}");
}

#[test]
fn missing_key_source_is_an_error_naming_the_variables() {
    let err = from(&[("CLERK_PUBLISHABLE_KEY", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")]).unwrap_err();
    assert!(err.problem().contains("CLERK_JWT_KEY") && err.problem().contains("CLERK_SECRET_KEY"), "{err}");
}

#[test]
fn blank_variables_count_as_unset() {
    let config =
        from(&[("CLERK_SECRET_KEY", "sk_test_abc"), ("CLERK_PUBLISHABLE_KEY", "  "), ("CLERK_SIGN_IN_URL", "")])
            .unwrap();
    assert!(config.publishable_key().is_none());
    assert_eq!(config.sign_in_url(), "/sign-in");
}

#[test]
fn from_env_reads_the_process_environment() {
    // Whatever the environment holds, from_env must give what from_vars gives for the same
    // variables (CI sets none, so both are the "nothing configured" error there).
    let from_env = ClerkConfig::from_env().map(|c| format!("{c:?}")).map_err(|e| e.to_string());
    let from_vars =
        ClerkConfig::from_vars(|name| std::env::var(name).ok()).map(|c| format!("{c:?}")).map_err(|e| e.to_string());
    assert_eq!(from_env, from_vars);
    if !std::env::vars().any(|(k, _)| k.starts_with("CLERK_") || k == "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY") {
        assert!(from_env.unwrap_err().starts_with("CLERK_SECRET_KEY: "));
    }
}

#[test]
fn the_instance_type_is_the_publishable_keys_and_nothing_else() {
    // One definition, as Clerk's authenticateRequest and createRedirect read it.
    for secret in ["sk_live_abc", "sk_test_abc"] {
        assert_eq!(from(&[("CLERK_SECRET_KEY", secret)]).unwrap().instance_type(), None, "{secret}");
    }
    let live =
        from(&[("CLERK_SECRET_KEY", "sk_test_abc"), ("CLERK_PUBLISHABLE_KEY", "pk_live_Y2xlcmsuY2xlcmsuZGV2JA")]);
    assert_eq!(live.unwrap().instance_type(), Some(InstanceType::Production));
}

#[test]
fn a_redirect_wildcard_directly_over_a_public_suffix_is_refused() {
    for origin in
        ["https://*.com", "https://*.dev", "https://*.co.uk", "https://*.github.io", "https://*.vercel.app:8443"]
    {
        let err = from(&[("CLERK_SECRET_KEY", "sk_test_abc"), ("CLERK_ALLOWED_REDIRECT_ORIGINS", origin)]).unwrap_err();
        assert_eq!(err.setting(), "CLERK_ALLOWED_REDIRECT_ORIGINS", "{origin}");
        assert!(err.problem().contains("public suffix"), "{origin}: {}", err.problem());
    }
    for origin in ["https://*.example.com", "https://*.example.co.uk", "https://admin.example.com"] {
        let config = from(&[("CLERK_SECRET_KEY", "sk_test_abc"), ("CLERK_ALLOWED_REDIRECT_ORIGINS", origin)]);
        assert!(config.is_ok(), "{origin}: {config:?}");
    }
}

#[test]
fn the_environment_and_code_combine_on_one_builder() {
    let env = |name: &str| match name {
        "CLERK_SECRET_KEY" => Some("sk_test_from_env".to_owned()),
        "CLERK_AUTHORIZED_PARTIES" => Some("https://app.example.com".to_owned()),
        "CLERK_SIGN_IN_URL" => Some("   ".to_owned()),
        _ => None,
    };
    let config = ClerkConfig::builder()
        .sign_in_url("/login") // set in code, the variable is blank: kept
        .from_vars(env)
        .unwrap()
        .audience(["https://api.example.com"]) // in code, after the environment
        .build()
        .unwrap();
    assert_eq!(config.authorized_parties(), ["https://app.example.com"]);
    assert_eq!(config.sign_in_url(), "/login");
    let late = ClerkConfig::builder().from_vars(env).unwrap().authorized_parties(["https://other.example.com"]);
    assert_eq!(late.build().unwrap().authorized_parties(), ["https://other.example.com"], "code after env wins");
    let bad = ClerkConfig::builder().from_vars(|n| (n == "CLERK_CLOCK_SKEW_IN_MS").then(|| "x".to_owned()));
    assert_eq!(bad.unwrap_err().setting(), "CLERK_CLOCK_SKEW_IN_MS");
}

//! Peers on the same tokens and key, per verification, in one process:
//!
//! - axum-clerk, cold (distinct tokens, verified-token cache off) and repeated (cache on);
//! - clerk-rs 0.5 `validate_jwt_with_key` (the function its axum layer calls per request);
//! - jwt-authorizer 0.15 `Authorizer::check_auth` with the same PEM key.
//!
//! Clerk's own `@clerk/backend` is measured by `benches/node/bench.mjs` (see BENCHMARKS.md).
//!
//! ```not_rust
//! cargo bench --manifest-path benches/Cargo.toml --bench peers
//! ```

use axum_clerk::{Clerk, ClerkConfig};
use axum_clerk_benches::admin_token;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use std::hint::black_box;

fn peers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let issuer = axum_clerk::testing::TestIssuer::new();
    let tokens: Vec<String> = (0..512).map(|i| admin_token(&issuer, &format!("sess_{i}"))).collect();
    let jwk = issuer.jwks()["keys"][0].clone();

    let ours = |cache| {
        let config =
            ClerkConfig::builder().jwt_key(issuer.public_key_pem()).verified_token_cache(cache).build().unwrap();
        Clerk::new(config).unwrap()
    };
    let cold = ours(0);
    let warm = ours(10_000);
    let clerk_rs_key = clerk_rs::validators::jwks::JwksKey {
        use_key: "sig".into(),
        kty: "RSA".into(),
        kid: jwk["kid"].as_str().unwrap().into(),
        alg: "RS256".into(),
        n: jwk["n"].as_str().unwrap().into(),
        e: jwk["e"].as_str().unwrap().into(),
    };
    let authorizer = rt
        .block_on(jwt_authorizer::JwtAuthorizer::<Value>::from_rsa_pem_text(issuer.public_key_pem()).build())
        .unwrap();

    let mut group = c.benchmark_group("peers: one verification (distinct tokens)");
    let mut i = 0;
    group.bench_function("axum-clerk (cache off)", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            black_box(rt.block_on(cold.verify_token(&tokens[i])).unwrap());
        })
    });
    let mut i = 0;
    group.bench_function("clerk-rs validate_jwt_with_key", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            black_box(clerk_rs::validators::authorizer::validate_jwt_with_key(&tokens[i], &clerk_rs_key).unwrap());
        })
    });
    let mut i = 0;
    group.bench_function("jwt-authorizer check_auth", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            black_box(rt.block_on(authorizer.check_auth(&tokens[i])).unwrap());
        })
    });
    group.finish();

    let mut group = c.benchmark_group("peers: the same token again");
    let token = &tokens[0];
    rt.block_on(warm.verify_token(token)).unwrap();
    group.bench_function("axum-clerk (cache on)", |b| {
        b.iter(|| black_box(rt.block_on(warm.verify_token(token)).unwrap()))
    });
    group.bench_function("clerk-rs validate_jwt_with_key", |b| {
        b.iter(|| black_box(clerk_rs::validators::authorizer::validate_jwt_with_key(token, &clerk_rs_key).unwrap()))
    });
    group.bench_function("jwt-authorizer check_auth", |b| {
        b.iter(|| black_box(rt.block_on(authorizer.check_auth(token)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, peers);
criterion_main!(benches);

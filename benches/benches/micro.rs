//! Micro benchmarks, each next to its floor:
//!
//! - cold verification of distinct RS256 tokens (cache off) vs a bare `jsonwebtoken::decode`
//!   with the same key and backend;
//! - repeated verification of one token (cache on) vs the same floor;
//! - claims → `Auth` for v1 and v2 tokens (v2: 10 features × 5 permissions) vs parsing the JSON;
//! - `has` vs a plain `contains` on the permission list;
//! - header/cookie extraction and authentication of a request carrying a cached token vs
//!   reading the header;
//! - a request through `ClerkService` as axum drives it (clone the service, call, run the
//!   response future, whose inner service reads `auth()`), on one thread and on two at once.
//!
//! ```not_rust
//! cargo bench --manifest-path benches/Cargo.toml --bench micro
//! ```

use axum_clerk::{Check, ClerkLayer};
use axum_clerk_benches::{admin_token, Setup};
use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::hint::black_box;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Runs `work` `iters` times split over two threads started together (each with its own
/// runtime), as two server workers would: the wall time of the slower thread.
fn two_threads_at_once<R>(iters: u64, work: impl Fn(&tokio::runtime::Runtime) -> R + Sync) -> std::time::Duration {
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        let run = || {
            let rt = runtime();
            barrier.wait();
            let start = std::time::Instant::now();
            for _ in 0..iters.div_ceil(2) {
                work(&rt);
            }
            start.elapsed()
        };
        let other = scope.spawn(run);
        let mine = run();
        mine.max(other.join().unwrap())
    })
}

fn floor_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.required_spec_claims.insert("exp".into());
    validation
}

fn verification(c: &mut Criterion) {
    let rt = runtime();
    let cold = Setup::new(0);
    let tokens: Vec<String> = (0..512).map(|i| admin_token(&cold.issuer, &format!("sess_{i}"))).collect();
    let key = DecodingKey::from_rsa_pem(cold.issuer.public_key_pem().as_bytes()).unwrap();
    let validation = floor_validation();
    let mut group = c.benchmark_group("verify");
    let mut i = 0;
    group.bench_function("floor: jsonwebtoken::decode (distinct tokens)", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            black_box(jsonwebtoken::decode::<Value>(&tokens[i], &key, &validation).unwrap());
        })
    });
    let mut i = 0;
    group.bench_function("axum-clerk: cold (distinct tokens, cache off)", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            black_box(rt.block_on(cold.clerk.verify_token(&tokens[i])).unwrap());
        })
    });
    let warm = Setup::new(10_000);
    rt.block_on(warm.clerk.verify_token(&warm.token)).unwrap();
    group.bench_function("axum-clerk: repeated token (cache on)", |b| {
        b.iter(|| black_box(rt.block_on(warm.clerk.verify_token(&warm.token)).unwrap()))
    });
    group.finish();
}

fn v2_claims() -> Value {
    let features: Vec<String> = (0..10).map(|f| format!("o:feature{f}")).collect();
    json!({
        "sub": "user_1", "sid": "sess_1", "v": 2, "exp": 4_000_000_000_u64, "iat": 1, "nbf": 1,
        "fea": features.join(","),
        "o": {"id": "org_1", "rol": "admin", "slg": "acme", "per": "read,create,update,delete,manage",
              "fpm": "31,31,31,31,31,31,31,31,31,31"}
    })
}

fn v1_claims() -> Value {
    let permissions: Vec<String> = (0..10)
        .flat_map(|f| ["read", "create", "update", "delete", "manage"].map(|a| format!("org:feature{f}:{a}")))
        .collect();
    json!({"sub": "user_1", "sid": "sess_1", "exp": 4_000_000_000_u64, "iat": 1, "nbf": 1,
           "org_id": "org_1", "org_role": "org:admin", "org_slug": "acme", "org_permissions": permissions})
}

fn claims_to_auth(c: &mut Criterion) {
    let mut group = c.benchmark_group("claims_to_auth");
    for (name, claims) in [("v1", v1_claims()), ("v2 (10 features x 5 permissions)", v2_claims())] {
        let bytes = claims.to_string().into_bytes();
        group.bench_function(format!("floor: serde_json parse ({name})"), |b| {
            b.iter(|| black_box(serde_json::from_slice::<Value>(&bytes).unwrap()))
        });
        group.bench_function(format!("axum-clerk: claims -> Auth ({name})"), |b| {
            b.iter(|| black_box(axum_clerk::testing::auth_from_verified_claims_json(&bytes).unwrap()))
        });
    }
    group.finish();
}

fn has(c: &mut Criterion) {
    let auth = axum_clerk::testing::auth_from_verified_claims_json(v2_claims().to_string().as_bytes()).unwrap();
    let permissions: Vec<String> = auth.org_permissions().unwrap().to_vec();
    let check = Check::permission("org:feature9:manage");
    let mut group = c.benchmark_group("has");
    group.bench_function("floor: permissions.contains", |b| {
        b.iter(|| black_box(permissions.iter().any(|p| p == black_box("org:feature9:manage"))))
    });
    group.bench_function("axum-clerk: auth.has(permission)", |b| b.iter(|| black_box(auth.has(black_box(&check)))));
    let combined = Check::role("org:admin").and_permission("org:feature9:manage").and_feature("o:feature3");
    group.bench_function("axum-clerk: auth.has(role+permission+feature)", |b| {
        b.iter(|| black_box(auth.has(black_box(&combined))))
    });
    group.finish();
}

fn extraction(c: &mut Criterion) {
    let rt = runtime();
    let setup = Setup::new(10_000);
    let cookie = format!("_ga=GA1.2.3; theme=dark; __client_uat=1; __session={}; other=1", setup.token);
    let bearer = format!("Bearer {}", setup.token);
    rt.block_on(setup.clerk.verify_token(&setup.token)).unwrap();
    let mut group = c.benchmark_group("request");
    let request = |name: &str, value: &str| {
        http::Request::get("/api/teams").header(name, value).header("host", "app.example.com").body(()).unwrap()
    };
    let by_cookie = request("cookie", &cookie);
    let by_header = request("authorization", &bearer);
    group.bench_function("floor: read the cookie header", |b| {
        b.iter(|| black_box(by_cookie.headers().get("cookie").and_then(|v| v.to_str().ok()).map(str::len)))
    });
    group.bench_function("axum-clerk: authenticate (cookie, cached token)", |b| {
        b.iter(|| black_box(rt.block_on(setup.clerk.authenticate(&by_cookie))))
    });
    // A production instance (publishable key set) behind a browser holding both cookie
    // flavours, as Clerk's front end sets them: the suffixed-cookie rules run on every request.
    let pk = axum_clerk::PublishableKey::for_frontend_api("clerk.dev-issuer.local");
    let with_pk = axum_clerk::Clerk::new(
        axum_clerk::ClerkConfig::builder()
            .jwt_key(setup.issuer.public_key_pem())
            .publishable_key(pk.as_str())
            .build()
            .unwrap(),
    )
    .unwrap();
    rt.block_on(with_pk.verify_token(&setup.token)).unwrap();
    let sfx = pk.cookie_suffix();
    let both = format!("__client_uat=1; __session={t}; __client_uat_{sfx}=1; __session_{sfx}={t}", t = setup.token);
    let by_both_cookies = request("cookie", &both);
    assert!(rt.block_on(with_pk.authenticate(&by_both_cookies)).auth().is_signed_in());
    group.bench_function(
        "axum-clerk: authenticate (suffixed and unsuffixed cookies, publishable key, cached token)",
        |b| b.iter(|| black_box(rt.block_on(with_pk.authenticate(&by_both_cookies)))),
    );
    // Many browsers, each with its own session (tokens verified before): 1 024 lines in turn, more
    // than a thread remembers, so each request walks its line and runs the rules, as the first
    // request of a line does, and finds its token in the shared verified-token cache.
    let many_lines: Vec<_> = (0..1024)
        .map(|i| {
            let t = admin_token(&setup.issuer, &format!("sess_many_{i}"));
            rt.block_on(with_pk.verify_token(&t)).unwrap();
            request(
                "cookie",
                &format!("_ga=GA1.2.3; __client_uat=1; __session={t}; __client_uat_{sfx}=1; __session_{sfx}={t}"),
            )
        })
        .collect();
    let mut next = 0;
    group.bench_function(
        "axum-clerk: authenticate (both cookie flavours, publishable key, cached token, line not remembered)",
        |b| {
            b.iter(|| {
                next = (next + 1) % many_lines.len();
                black_box(rt.block_on(with_pk.authenticate(&many_lines[next])))
            })
        },
    );
    group.bench_function("axum-clerk: authenticate (bearer, cached token)", |b| {
        b.iter(|| black_box(rt.block_on(setup.clerk.authenticate(&by_header))))
    });
    // Two threads authenticating the same token at once, as two server workers do: wall time
    // per authentication. Shared writes (a lock word, a reference count) show here, not above.
    group.bench_function("axum-clerk: authenticate (bearer, cached token, 2 threads at once)", |b| {
        b.iter_custom(|iters| {
            two_threads_at_once(iters, |rt| black_box(rt.block_on(setup.clerk.authenticate(&by_header))))
        })
    });
    group.finish();
}

/// The inner service of the layer bench: answers with the user ID of the request's `auth()`.
#[derive(Clone)]
struct WhoAmI;

impl Service<http::Request<()>> for WhoAmI {
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<()>) -> Self::Future {
        Box::pin(async {
            let auth = axum_clerk::auth().expect("under ClerkLayer");
            Ok(http::Response::new(auth.user_id().unwrap_or_default().to_owned()))
        })
    }
}

fn layer(c: &mut Criterion) {
    let rt = runtime();
    let setup = Setup::new(10_000);
    rt.block_on(setup.clerk.verify_token(&setup.token)).unwrap();
    let service = ClerkLayer::new(setup.clerk.clone()).layer(WhoAmI);
    let bearer = format!("Bearer {}", setup.token);
    let request = || {
        http::Request::get("/api/teams")
            .header("authorization", &bearer)
            .header("host", "app.example.com")
            .body(())
            .unwrap()
    };
    // What axum does per request: clone the route's service, call it, await its future, drop both
    // (building the request is timed too, alike in both figures).
    let serve = |rt: &tokio::runtime::Runtime, request: http::Request<()>| {
        let mut service = service.clone();
        rt.block_on(service.call(request)).unwrap()
    };
    let mut group = c.benchmark_group("layer");
    group.bench_function("axum-clerk: ClerkService request (bearer, cached token)", |b| {
        b.iter(|| black_box(serve(&rt, request())))
    });
    // Two threads serving at once, as two server workers do: wall time per request. Reference
    // counts every request writes on memory both threads share show here, not above.
    group.bench_function("axum-clerk: ClerkService request (bearer, cached token, 2 threads at once)", |b| {
        b.iter_custom(|iters| two_threads_at_once(iters, |rt| black_box(serve(rt, request()))))
    });
    // A visitor without a session: signed out, Clerk's debug headers on the response.
    let anonymous = || http::Request::get("/api/teams").header("host", "app.example.com").body(()).unwrap();
    group.bench_function("axum-clerk: ClerkService request (no token)", |b| {
        b.iter(|| black_box(serve(&rt, anonymous())))
    });
    group.finish();
}

criterion_group!(benches, verification, claims_to_auth, has, extraction, layer);
criterion_main!(benches);

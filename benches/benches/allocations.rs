//! Allocation counting (performance issue): a request whose token was verified before allocates
//! only its `Auth` — one block holding the request's context and a counted handle on what the
//! token says — plus, when `ClerkLayer::auth_in_extensions` asks for it, its extensions entry;
//! so does a request without a token.
//! A counting global allocator records allocations made by the current thread.

mod common;

use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    // A minimal executor: the verification path never waits on I/O with a PEM key.
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

#[test]
fn authenticating_a_cached_bearer_token_allocates_only_the_auth() {
    let clerk = clerk(pem_config());
    let request =
        http::Request::get("/api").header("authorization", format!("Bearer {}", fx("mockJwt"))).body(()).unwrap();
    assert!(block_on(clerk.authenticate(&request)).auth().is_signed_in(), "first: verified and cached");
    let (state, allocations) = allocations_during(|| block_on(clerk.authenticate(&request)));
    assert!(state.auth().is_signed_in());
    assert_eq!(allocations, 1);
}

#[test]
fn authenticating_a_cached_cookie_token_allocates_only_the_auth() {
    let clerk = clerk(pem_config().publishable_key("pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"));
    let cookie = format!("_ga=1; __client_uat=1; __session={}; theme=dark", fx("mockJwt"));
    let request = http::Request::get("/api").header("cookie", cookie).body(()).unwrap();
    // The first request verifies the token; the second has the thread remember its line.
    for _ in 0..2 {
        assert!(block_on(clerk.authenticate(&request)).auth().is_signed_in());
    }
    let (state, allocations) = allocations_during(|| block_on(clerk.authenticate(&request)));
    assert!(state.auth().is_signed_in());
    assert_eq!(allocations, 1);
}

#[test]
fn verify_token_of_a_cached_token_allocates_only_the_auth() {
    let clerk = clerk(pem_config());
    assert!(block_on(clerk.verify_token(&fx("mockJwt"))).is_ok());
    let (auth, allocations) = allocations_during(|| block_on(clerk.verify_token(&fx("mockJwt"))));
    assert!(auth.unwrap().is_signed_in());
    // fx() itself allocates the token string (1); the Auth is the other.
    assert_eq!(allocations, 2);
}

/// Allocations of one request through `app` (with the token, if any, in `Authorization`), once
/// a first request has warmed every cache; and the response's head.
fn allocations_of_a_request(app: &axum::Router, token: Option<&str>) -> (http::response::Parts, usize) {
    use tower::ServiceExt;
    // What `axum::serve` does for each connection: routes become services once, not per request.
    let app = app.clone().with_state(());
    // As hyper hands them over: the URI and header values share the bytes read from the socket,
    // so cloning them counts a reference instead of copying (a URI parsed from a `&str` would
    // allocate on its first clone).
    let bytes = token.map(|token| axum::body::Bytes::from(format!("Bearer {token}")));
    let request = || {
        let mut request = http::Request::get(http::Uri::from_static("/"));
        if let Some(bytes) = &bytes {
            request = request.header("authorization", http::HeaderValue::from_maybe_shared(bytes.clone()).unwrap());
        }
        request.body(axum::body::Body::empty()).unwrap()
    };
    assert!(block_on(app.clone().oneshot(request())).unwrap().status().is_success(), "warm-up");
    let request = request();
    let (response, allocations) = allocations_during(|| block_on(app.oneshot(request)));
    (response.unwrap().into_parts().0, allocations)
}

async fn handler() -> &'static str {
    "ok"
}

#[axum_clerk::protect(permission = "org:team_settings:manage")]
async fn protected() -> &'static str {
    "ok"
}

/// Allocations of a protected request beyond those of the same route behind a layer that does
/// nothing (what axum allocates for any layered route).
fn extra_allocations_of_a_protected_request(layer: axum_clerk::ClerkLayer) -> usize {
    let token = mint_mock(serde_json::json!({
        "org_id": "org_1", "org_role": "org:admin", "org_permissions": ["org:team_settings:manage"]
    }));
    let layered =
        axum::Router::new().route("/", axum::routing::get(handler)).layer(tower::layer::util::Identity::new());
    let guarded = axum::Router::new().route("/", axum::routing::get(protected)).layer(layer);
    let (head, baseline) = allocations_of_a_request(&layered, Some(&token));
    assert_eq!(head.status, 200);
    let (head, with_clerk) = allocations_of_a_request(&guarded, Some(&token));
    assert_eq!(head.status, 200, "the token has the permission");
    with_clerk - baseline
}

#[test]
fn a_protected_request_allocates_only_its_auth() {
    // One block: the request context and the handle on what the token says.
    assert_eq!(extra_allocations_of_a_protected_request(axum_clerk::ClerkLayer::new(clerk(pem_config()))), 1);
}

#[test]
fn with_auth_in_extensions_a_protected_request_also_allocates_its_extensions_entry() {
    let layer = axum_clerk::ClerkLayer::new(clerk(pem_config())).auth_in_extensions();
    assert_eq!(extra_allocations_of_a_protected_request(layer), 2);
}

#[test]
fn an_anonymous_request_allocates_only_its_auth() {
    // No token: signed out with `session-token-and-uat-missing`, its debug headers on the
    // response. The signed-out data is each thread's own and the headers' values are static.
    let route = || axum::Router::new().route("/", axum::routing::get(handler));
    let (head, baseline) = allocations_of_a_request(&route().layer(tower::layer::util::Identity::new()), None);
    assert_eq!(head.status, 200);
    let (head, with_clerk) =
        allocations_of_a_request(&route().layer(axum_clerk::ClerkLayer::new(clerk(pem_config()))), None);
    assert_eq!(head.status, 200, "a public route serves a signed-out request");
    assert_eq!(head.headers["x-clerk-auth-status"], "signed-out");
    assert_eq!(head.headers["x-clerk-auth-reason"], "session-token-and-uat-missing");
    assert_eq!(with_clerk - baseline, 1);
}

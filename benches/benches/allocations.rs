//! Heap allocations per request, counted by a global allocator and printed (a measurement, not a
//! test: no count fails anything). `cargo bench --manifest-path benches/Cargo.toml --bench
//! allocations`. Each figure is the request through `ClerkLayer` minus the same route behind a
//! layer that does nothing (what axum allocates for any layered route), after a warm-up request
//! (so the token is in the verified-token cache).

use axum_clerk::ClerkLayer;
use axum_clerk_benches::Setup;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt as _;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Polls `future` on this thread until it is ready (nothing below waits on I/O: PEM key).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Allocations of one request through `app`, after a warm-up request.
fn allocations(app: &axum::Router, headers: &[(&'static str, axum::body::Bytes)]) -> usize {
    let app = app.clone().with_state(());
    // As hyper hands them over: header values share the bytes read from the socket.
    let request = || {
        let mut request = http::Request::get(http::Uri::from_static("/"));
        for (name, bytes) in headers {
            request = request.header(*name, http::HeaderValue::from_maybe_shared(bytes.clone()).unwrap());
        }
        request.body(axum::body::Body::empty()).unwrap()
    };
    assert!(block_on(app.clone().oneshot(request())).unwrap().status().is_success(), "warm-up");
    let request = request();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let response = block_on(app.oneshot(request)).unwrap();
    let count = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(response.status().is_success());
    count
}

#[axum_clerk::protect(permission = "org:team_settings:manage")]
async fn protected() -> &'static str {
    "ok"
}

fn main() {
    let setup = Setup::new(10_000);
    let plain = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let baseline = |headers: &[(&'static str, axum::body::Bytes)]| {
        allocations(&plain.clone().layer(tower::layer::util::Identity::new()), headers)
    };
    let guarded = axum::Router::new().route("/", axum::routing::get(protected)).layer(ClerkLayer::new(setup.clerk.clone()));
    let public = plain.clone().layer(ClerkLayer::new(setup.clerk.clone()));
    let bearer = [("authorization", axum::body::Bytes::from(format!("Bearer {}", setup.token)))];
    let cookie = [("cookie", axum::body::Bytes::from(format!("__client_uat=1; __session={}", setup.token)))];
    println!("allocations per request beyond an identity layer (after warm-up):");
    for (name, app, headers) in [
        ("#[protect] route, bearer token", &guarded, &bearer[..]),
        ("#[protect] route, session cookie", &guarded, &cookie[..]),
        ("public route, no token", &public, &[][..]),
    ] {
        println!("  {name:36} {:>3}", allocations(app, headers) as isize - baseline(headers) as isize);
    }
}

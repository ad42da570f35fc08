//! Allocation counting (performance issue): authenticating a request whose token was verified
//! before allocates nothing; `verify_token` allocates only the `Auth`'s request context.
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
fn authenticating_a_cached_bearer_token_allocates_nothing() {
    let clerk = clerk(pem_config());
    let request =
        http::Request::get("/api").header("authorization", format!("Bearer {}", fx("mockJwt"))).body(()).unwrap();
    assert!(block_on(clerk.authenticate(&request)).auth().is_signed_in(), "first: verified and cached");
    let (state, allocations) = allocations_during(|| block_on(clerk.authenticate(&request)));
    assert!(state.auth().is_signed_in());
    assert_eq!(allocations, 0);
}

#[test]
fn authenticating_a_cached_cookie_token_allocates_nothing() {
    let clerk = clerk(pem_config().publishable_key("pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"));
    let cookie = format!("_ga=1; __client_uat=1; __session={}; theme=dark", fx("mockJwt"));
    let request = http::Request::get("/api").header("cookie", cookie).body(()).unwrap();
    assert!(block_on(clerk.authenticate(&request)).auth().is_signed_in());
    let (state, allocations) = allocations_during(|| block_on(clerk.authenticate(&request)));
    assert!(state.auth().is_signed_in());
    assert_eq!(allocations, 0);
}

#[test]
fn verify_token_of_a_cached_token_allocates_only_the_request_context() {
    let clerk = clerk(pem_config());
    assert!(block_on(clerk.verify_token(&fx("mockJwt"))).is_ok());
    let (auth, allocations) = allocations_during(|| block_on(clerk.verify_token(&fx("mockJwt"))));
    assert!(auth.unwrap().is_signed_in());
    // fx() itself allocates the token string (1); the Auth's context Arc is the other.
    assert!(allocations <= 2, "{allocations}");
}

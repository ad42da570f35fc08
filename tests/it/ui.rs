//! Compile-time behaviour of `#[auth]` and `#[protect]` (trybuild). The `.stderr` files are
//! recorded with `TRYBUILD=overwrite cargo test -p axum-clerk-tests -- ui::` on the stable
//! toolchain and reviewed in `git diff`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}

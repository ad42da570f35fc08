#!/usr/bin/env bash
# Compile-time cost of the macros: a crate with N (default 100) #[protect] handlers vs the same
# handlers written by hand with the runtime API. Dependencies are built once first; each
# variant's own crate is then cleaned and built from scratch RUNS times (default 3), and the
# median wall time of that build is reported (incremental state is not reused).
set -euo pipefail
cd "$(dirname "$0")"
N=${N:-100}
RUNS=${RUNS:-3}
root=$(pwd)/target/compile-bench
mkdir -p "$root"
make_crate() { # name, generator
  local dir="$root/$1"
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<TOML
[package]
name = "compile-bench-$1"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
axum-clerk = { path = "$root/../../../runtime" }
axum = { version = "0.8", default-features = false }
TOML
  "$2" >"$dir/src/main.rs"
}
gen_macro() {
  echo 'use axum::routing::get; use axum::Router; use axum_clerk::protect;'
  for i in $(seq 1 "$N"); do
    echo "#[protect(permission = \"org:feature$i:manage\", unauthorized_url = \"/no-access\")]"
    echo "async fn h$i() -> &'static str { let _ = auth.user_id(); \"ok\" }"
  done
  echo 'fn main() { let r: Router = Router::new()'
  for i in $(seq 1 "$N"); do echo "  .route(\"/h$i\", get(h$i))"; done
  echo '; drop(r); }'
}
gen_hand() {
  echo 'use axum::routing::get; use axum::Router; use axum_clerk::{Auth, Protect, ProtectRejection};'
  for i in $(seq 1 "$N"); do
    echo "async fn h$i(auth: Auth) -> Result<&'static str, ProtectRejection> {"
    echo "  static RULE: std::sync::LazyLock<Protect> = std::sync::LazyLock::new(|| Protect::permission(\"org:feature$i:manage\").unauthorized_url(\"/no-access\"));"
    echo "  let auth = auth.protect(&RULE)?; let _ = auth.user_id(); Ok(\"ok\") }"
  done
  echo 'fn main() { let r: Router = Router::new()'
  for i in $(seq 1 "$N"); do echo "  .route(\"/h$i\", get(h$i))"; done
  echo '; drop(r); }'
}
make_crate macro gen_macro
make_crate hand gen_hand
for variant in macro hand; do
  (cd "$root/$variant" && CARGO_TARGET_DIR="$root/target" cargo build -q)
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for variant in macro hand; do
  times=$(for _ in $(seq 1 "$RUNS"); do
    (cd "$root/$variant" && CARGO_TARGET_DIR="$root/target" cargo clean -q -p "compile-bench-$variant")
    start=$(date +%s.%N)
    (cd "$root/$variant" && CARGO_TARGET_DIR="$root/target" cargo build -q)
    echo "$(date +%s.%N) - $start" | bc
  done | median)
  echo "$variant: ${times}s for $N handlers (median of $RUNS rebuilds)"
done

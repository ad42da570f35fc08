#!/usr/bin/env bash
# Clerk's @clerk/backend (from the npm registry) on tokens minted by our test issuer.
set -euo pipefail
cd "$(dirname "$0")"
cargo build -q --release --bin mint
./target/release/mint >node/tokens.json
cd node
[ -d node_modules/@clerk/backend ] || npm install --silent --no-audit --no-fund @clerk/backend@latest >/dev/null
node bench.mjs tokens.json

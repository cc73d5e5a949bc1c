#!/usr/bin/env bash
# The test command (README): formatting, lints, and the whole suite.
# Store, app and web tests run on SQLite always, and on PostgreSQL too when
# TEST_DATABASE_URL is set (CI sets it; with CI=true an unreachable
# PostgreSQL or a missing Chromium fails the run instead of skipping).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test (TEST_DATABASE_URL=${TEST_DATABASE_URL:-<unset: PostgreSQL tests skipped>})"
# Libraries, binaries and test targets, then doc tests: the benchmark
# examples are type-checked by clippy above and need no test-profile link.
cargo test --workspace --locked --no-fail-fast --lib --bins --tests
cargo test --workspace --locked --no-fail-fast --doc

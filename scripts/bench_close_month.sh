#!/usr/bin/env bash
# Issue #3's benchmarks, recorded in BENCHMARKS.md. Run:
#
#   scripts/bench_close_month.sh [sqlite|postgres|both] [close_month_bench args...]
#
# 1. End-to-end close-month (target: 100,000 accesses and 1,000,000 incidents
#    read, measured and stored in < 20 s on SQLite; PostgreSQL measured too):
#    `close_month_bench` creates a fresh database per backend (a temporary
#    SQLite file; a fresh schema in TEST_DATABASE_URL's PostgreSQL, default
#    the local cluster), generates the data (timed apart), then times
#    `App::close_month` per stage in a child process and reports its peak RSS.
# 2. The measurement engine alone (target: < 1 s, < 1 GiB): `measure_bench`.
#
# Extra arguments go to close_month_bench, e.g. `--accesses 10000 --incidents
# 100000` for a quick run. Needs a release build (made here).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
shift || true
case "$which" in
  sqlite) backends=(sqlite) ;;
  postgres) backends=(postgres) ;;
  both) backends=(sqlite postgres) ;;
  *) echo "usage: $0 [sqlite|postgres|both] [close_month_bench args...]" >&2; exit 2 ;;
esac
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
export PGOPTIONS="--client-min-messages=warning"

echo "== machine"
echo "$(nproc) CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); kernel $(uname -r)"
if [[ " ${backends[*]} " == *" postgres "* ]] && command -v psql >/dev/null; then
  echo "PostgreSQL: $(psql "$TEST_DATABASE_URL" -Atc 'SHOW server_version' 2>/dev/null || echo unreachable)"
fi

cargo build --release -q -p redegov-app --example close_month_bench
cargo build --release -q -p redegov-domain --example measure_bench

for backend in "${backends[@]}"; do
  echo
  echo "== close-month, $backend"
  target/release/examples/close_month_bench --backend "$backend" "$@"
done

echo
echo "== the measurement engine alone (100,000 accesses, 1,000,000 incidents, one thread)"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "max RSS %M KiB" target/release/examples/measure_bench
else
  target/release/examples/measure_bench
fi

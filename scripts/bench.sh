#!/usr/bin/env bash
# Benchmarks of issue #2, recorded in BENCHMARKS.md. Run: scripts/bench.sh
# Needs: a release build (made here), wrk and curl (Debian), python3, and for
# the PostgreSQL figures TEST_DATABASE_URL (default: the local cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p redegov-server
BIN=$PWD/target/release/redegov
OUT=${BENCH_OUT:-$PWD/bench-out}
PG=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
DURATION=${BENCH_DURATION:-10s}
mkdir -p "$OUT"
export RUST_LOG=warn REDEGOV_ADMIN_PASSWORD=bench-admin-password PGOPTIONS="--client-min-messages=warning"
PID=

stop() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi; }
trap stop EXIT

# Starts `redegov serve --demo [extra args]` and waits for its "pronto"
# line; sets PID and READY_MS (wall time from exec to ready). Not called in a
# subshell, so `stop` can kill the server.
start_server() { # db port [args...]
  local db=$1 port=$2; shift 2
  local log="$OUT/serve-$port.log"; : >"$log"
  local t0; t0=$(date +%s%N)
  "$BIN" serve --demo --db "$db" --bind "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  PID=$!
  until grep -q pronto "$log"; do
    kill -0 "$PID" 2>/dev/null || { cat "$log"; echo "server died"; exit 1; }
    sleep 0.005
  done
  READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

echo "== 1. serve --demo on an empty SQLite database (release), 5 runs"
for i in 1 2 3 4 5; do
  rm -f "$OUT"/ready.db*
  start_server "sqlite://$OUT/ready.db" 18080
  stop
  echo "run $i: ready in $READY_MS ms (server's own figure: $(grep -o 'pronto em [0-9]* ms' "$OUT/serve-18080.log"))"
done

list_bench() { # label db-url [serve args...]
  local label=$1 db=$2; shift 2
  rm -f "$OUT"/list.db*
  start_server "$db" 18081 "$@"
  local token lot
  token=$("$BIN" token create --db "$db" --login admin)
  lot=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:18081/api/v1/lots?page_size=100" \
    | python3 -c 'import json,sys; print([l["id"] for l in json.load(sys.stdin)["items"] if l["code"]=="5A"][0])')
  local url="http://127.0.0.1:18081/api/v1/accesses?lot=$lot&page_size=100"
  echo "-- $label: GET /api/v1/accesses?lot=$lot&page_size=100 (lot 5A), wrk -t2 -c32 -d$DURATION"
  curl -s -H "Authorization: Bearer $token" "$url" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   items per response:", len(d["items"]), "of", d["total"])'
  wrk -t2 -c32 -d"$DURATION" --latency -H "Authorization: Bearer $token" "$url" | tee "$OUT/wrk-$label.txt"
  stop
}

echo "== 2. list accesses of a lot"
list_bench sqlite "sqlite://$OUT/list.db"
list_bench sqlite-uncached "sqlite://$OUT/list.db" --no-list-cache
if psql "$PG" -qc 'select 1' >/dev/null 2>&1; then
  SCHEMA=bench_$(date +%s)
  psql "$PG" -qc "CREATE SCHEMA $SCHEMA"
  list_bench postgres "$PG?options=-c%20search_path%3D$SCHEMA"
  psql "$PG" -qc "DROP SCHEMA $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA"
  list_bench postgres-uncached "$PG?options=-c%20search_path%3D$SCHEMA" --no-list-cache
  psql "$PG" -qc "DROP SCHEMA $SCHEMA CASCADE"
else
  echo "-- postgres: skipped (no PostgreSQL at $PG)"
fi

echo "== 3. import 100,000 accesses from CSV (SQLite)"
rm -f "$OUT"/import.db*
"$BIN" demo --db "sqlite://$OUT/import.db" >/dev/null
python3 scripts/gen_accesses.py "$OUT/import.db" 100000 >"$OUT/accesses-100k.csv"
/usr/bin/time -f "   wall %e s, max RSS %M KiB" "$BIN" import accesses "$OUT/accesses-100k.csv" --db "sqlite://$OUT/import.db"

#!/usr/bin/env bash
# Long-transaction benchmark: one transaction of N single-row INSERT queries sent by psql -f (each its own Query),
# into a mirrored table, directly to the source and through Tandem (async), for several N in one run. The time per
# INSERT through the proxy must not grow with N: the capture's work per request is bounded by what is in flight, not
# by the size of the open transaction.
#
#   proxy/bench/long-transaction-bench.sh                  # N = 10000 20000 40000 80000
#   SIZES="20000 40000" proxy/bench/long-transaction-bench.sh
#
# Needs a JDK; installs PostgreSQL server and client binaries from Debian packages when missing. Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZES=${SIZES:-10000 20000 40000 80000}

source proxy/bench/lib.sh
bench_install

SRC=$(free_port); TGT=$(free_port)
start_cluster source "$SRC"
start_cluster target "$TGT"
for p in "$SRC" "$TGT"; do
  psql -q -h 127.0.0.1 -p "$p" -U postgres postgres -c "CREATE TABLE bench_tx (id int, v text)"
done
PORT=$(free_port); ADMIN=$(free_port)
start_tandem "$PORT" "$ADMIN" --source "127.0.0.1:$SRC" --source-tls disable \
  --target "127.0.0.1:$TGT" --target-user postgres --target-tls disable \
  --mirror-table public.bench_tx --spool-dir "$BENCH_WORK/spool" --instance-id bench-tx

seconds() { # port file: how long psql -f takes
  local start end
  start=$(date +%s.%N)
  psql -q -h 127.0.0.1 -p "$1" -U postgres postgres -f "$2" >/dev/null
  end=$(date +%s.%N)
  python3 -c "print($end - $start)"
}

printf '%-8s %10s %10s %14s %8s\n' inserts direct_s tandem_s tandem_us/row ratio
for n in $SIZES; do
  { echo "BEGIN;"; seq 1 "$n" | sed "s/.*/INSERT INTO bench_tx VALUES (&, 'x');/"; echo "COMMIT;"; } > "$BENCH_WORK/tx.sql"
  seconds "$PORT" "$BENCH_WORK/tx.sql" >/dev/null # warm-up
  direct=$(seconds "$SRC" "$BENCH_WORK/tx.sql")
  tandem=$(seconds "$PORT" "$BENCH_WORK/tx.sql")
  python3 -c "print(f'{$n:<8} {$direct:10.2f} {$tandem:10.2f} {$tandem * 1e6 / $n:14.0f} {$direct / $tandem:8.2f}')"
done
src_rows=$(psql -At -h 127.0.0.1 -p "$SRC" -U postgres postgres -c "SELECT count(*) FROM bench_tx")
until [ "$(curl -s "http://127.0.0.1:$ADMIN/status" | python3 -c "import json,sys; s=json.load(sys.stdin)['mirror']; print(s['appliedSequence'] >= s['spooledSequence'])")" = True ]; do
  sleep 0.2
done
tgt_rows=$(psql -At -h 127.0.0.1 -p "$TGT" -U postgres postgres -c "SELECT count(*) FROM bench_tx")
echo "rows: source $src_rows, target $tgt_rows (the direct runs write the source only)"

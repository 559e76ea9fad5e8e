#!/usr/bin/env bash
# Mirror benchmark: pgbench single-row INSERTs (prepared protocol) into a mirrored table, interleaved in one run:
# directly to the source, and through Tandem with mirroring off, async and sync. Prints TPS and average latency, the
# ratios to direct, and for async the mirror lag when the load stops and the time the target takes to catch up.
# Two baselines run in the same rounds: "dual", the same load sent by two pgbench at once, one to the source and one
# to the target (the source's TPS is shown: what writing both directly costs on this machine), and "pgpool",
# pgpool-II in native replication mode over the same two servers (synchronous dual-write, compared with sync).
#
#   proxy/bench/mirror-bench.sh                       # 8 clients, 10 s per run, 2 rounds
#   CLIENTS=8 DURATION=15 ROUNDS=3 proxy/bench/mirror-bench.sh
#
# Needs a JDK; installs PostgreSQL server and client binaries from Debian packages when missing. Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLIENTS=${CLIENTS:-8}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-10}
FSYNC=${FSYNC:-interval}

source proxy/bench/lib.sh
bench_install

SRC=$(free_port); TGT=$(free_port)
start_cluster source "$SRC"
start_cluster target "$TGT"
for p in "$SRC" "$TGT"; do
  psql -q -h 127.0.0.1 -p "$p" -U postgres postgres -c "CREATE TABLE bench_insert (id bigint, v double precision)"
done
printf '%s\n' '\set id random(1, 1000000000)' 'INSERT INTO bench_insert VALUES (:id, :id * 1.5);' > "$BENCH_WORK/insert.sql"

PGPOOL_PORT=$(free_port)
start_pgpool "$PGPOOL_PORT" "$SRC" "$TGT"

declare -A PORT ADMIN
for mode in off async sync; do
  PORT[$mode]=$(free_port); ADMIN[$mode]=$(free_port)
  start_tandem "${PORT[$mode]}" "${ADMIN[$mode]}" --source "127.0.0.1:$SRC" --source-tls disable \
    --target "127.0.0.1:$TGT" --target-user postgres --target-tls disable \
    --mirror-mode "$mode" --mirror-table public.bench_insert --spool-dir "$BENCH_WORK/spool-$mode" \
    --spool-fsync "$FSYNC" --instance-id "bench-$mode"
done

status_field() { # admin_port python-expression-on-status
  curl -s "http://127.0.0.1:$1/status" | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}

declare -A TPS LAT
run_one() { # name port
  local tps lat
  read -r tps lat < <(run_pgbench "$2" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -M prepared -f "$BENCH_WORK/insert.sql")
  TPS[$1]=$(python3 -c "print(${TPS[$1]:-0} + $tps)")
  LAT[$1]=$(python3 -c "print(${LAT[$1]:-0} + $lat)")
}

# dual: the source's pgbench is the one measured; the target's runs alongside for the same time
run_dual() {
  pgbench -n -h 127.0.0.1 -p "$TGT" -U postgres -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -M prepared \
    -f "$BENCH_WORK/insert.sql" postgres >/dev/null 2>&1 &
  local other=$!
  run_one dual "$SRC"
  wait "$other"
}

echo "pgbench -c $CLIENTS -j $THREADS -T $DURATION -M prepared single-row INSERT, $ROUNDS interleaved round(s), spool fsync $FSYNC"
# The JIT compiles the capture and mirror paths during the first seconds of load (C2 alone took ~20 % of the CPU in
# a cold 10 s run): warm every target up first, so the rounds measure steady state, as a long-running proxy sees it.
echo "warming up every target for $WARMUP s"
for t in "$SRC" "${PORT[off]}" "${PORT[async]}" "${PORT[sync]}" "$PGPOOL_PORT"; do
  run_pgbench "$t" -c "$CLIENTS" -j "$THREADS" -T "$WARMUP" -M prepared -f "$BENCH_WORK/insert.sql" >/dev/null
done
while [ "$(status_field "${ADMIN[async]}" "s['mirror']['appliedSequence'] >= s['mirror']['spooledSequence']")" != True ]; do
  sleep 0.1
done
for round in $(seq 1 "$ROUNDS"); do
  run_one direct "$SRC"
  run_one off "${PORT[off]}"
  run_one async "${PORT[async]}"
  pending=$(status_field "${ADMIN[async]}" "s['mirror']['pendingTransactions']")
  lag=$(status_field "${ADMIN[async]}" "s['mirror']['lagSeconds']")
  start=$(date +%s.%N)
  while [ "$(status_field "${ADMIN[async]}" "s['mirror']['appliedSequence'] >= s['mirror']['spooledSequence']")" != True ]; do
    sleep 0.05
  done
  drain=$(python3 -c "print($(date +%s.%N) - $start)")
  echo "  round $round async: ${pending} transactions (${lag} s) behind when the load stopped, caught up in ${drain} s"
  run_one sync "${PORT[sync]}"
  run_dual
  run_one pgpool "$PGPOOL_PORT"
done

printf '\n%-8s %10s %10s %12s\n' target tps avg_ms ratio_direct
for t in direct off async sync dual pgpool; do
  python3 - "$t" "${TPS[$t]}" "${LAT[$t]}" "${TPS[direct]}" "$ROUNDS" <<'PY'
import sys
t, tps, lat, direct, r = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"{t:<8} {tps/r:10.0f} {lat/r:10.3f} {tps/direct:12.2f}")
PY
done
python3 -c "print(f'async / dual {${TPS[async]} / ${TPS[dual]}:.2f}, sync / pgpool {${TPS[sync]} / ${TPS[pgpool]}:.2f}')"
src_rows=$(psql -At -h 127.0.0.1 -p "$SRC" -U postgres postgres -c "SELECT count(*) FROM bench_insert")
tgt_rows=$(psql -At -h 127.0.0.1 -p "$TGT" -U postgres postgres -c "SELECT count(*) FROM bench_insert")
echo "rows: source $src_rows, target $tgt_rows (the direct and mirror-off runs write the source only, dual writes both)"

#!/usr/bin/env bash
# Relay benchmark: pgbench against (a) the source directly, (b) PgBouncer in session mode, (c) Tandem (mirroring off),
# interleaved in one run on this machine, for select-only (-S) in the simple, extended and prepared protocol modes and
# for a single-row INSERT workload. Prints TPS, average latency and the ratios Tandem/direct and Tandem/PgBouncer.
#
#   proxy/bench/relay-bench.sh            # defaults: 8 clients, 10 s per run, 2 rounds
#   CLIENTS=8 DURATION=10 ROUNDS=3 TRANSPORT=io_uring proxy/bench/relay-bench.sh
#
# Needs: a JDK, and PostgreSQL server + client binaries and pgbouncer from Debian packages (installed when missing).
# Runs as root: the servers run as the 'postgres' system user.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLIENTS=${CLIENTS:-8}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
SCALE=${SCALE:-10}
TRANSPORT=${TRANSPORT:-auto}
MODES=${MODES:-"simple extended prepared insert"}

source proxy/bench/lib.sh
bench_install
work=$BENCH_WORK
PG_PORT=$(free_port); BOUNCER_PORT=$(free_port); TANDEM_PORT=$(free_port)
start_cluster source "$PG_PORT"
pgbench -q -i -s "$SCALE" -h 127.0.0.1 -p "$PG_PORT" -U postgres postgres >/dev/null 2>&1
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres postgres -c "CREATE TABLE IF NOT EXISTS bench_insert (id bigint, v double precision)"
printf '%s\n' '\set id random(1, 1000000000)' 'INSERT INTO bench_insert VALUES (:id, :id * 1.5);' > "$work/insert.sql"

cat > "$work/pgbouncer.ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$PG_PORT dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $work/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 50
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI
echo '"postgres" ""' > "$work/userlist.txt"
chown postgres "$work"/*
runuser -u postgres -- pgbouncer -d "$work/pgbouncer.ini"
sleep 0.5
BENCH_PIDS+=("$(cat "$work/pgbouncer.pid")")

start_tandem "$TANDEM_PORT" "$(free_port)" --source "127.0.0.1:$PG_PORT" --source-tls disable --mirror-mode off --io-threads "${IO_THREADS:-0}" \
  --transport "$TRANSPORT"

declare -A TPS LAT
run_one() { # target port mode
  local target=$1 port=$2 mode=$3 args tps lat
  if [ "$mode" = insert ]; then args=(-M prepared -f "$work/insert.sql"); else args=(-S -M "$mode"); fi
  read -r tps lat < <(run_pgbench "$port" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" "${args[@]}")
  TPS[$target,$mode]=$(python3 -c "print(${TPS[$target,$mode]:-0} + $tps)")
  LAT[$target,$mode]=$(python3 -c "print(${LAT[$target,$mode]:-0} + $lat)")
}

echo "pgbench -c $CLIENTS -j $THREADS -T $DURATION, $ROUNDS interleaved round(s), scale $SCALE, Tandem transport $TRANSPORT"
for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    run_one direct "$PG_PORT" "$mode"
    run_one pgbouncer "$BOUNCER_PORT" "$mode"
    run_one tandem "$TANDEM_PORT" "$mode"
  done
done

printf '\n%-10s %12s %12s %12s %10s %10s %10s %14s %14s\n' mode direct_tps bouncer_tps tandem_tps direct_ms bouncer_ms tandem_ms tandem/direct tandem/bouncer
for mode in $MODES; do
  python3 - "$mode" "${TPS[direct,$mode]}" "${TPS[pgbouncer,$mode]}" "${TPS[tandem,$mode]}" \
    "${LAT[direct,$mode]}" "${LAT[pgbouncer,$mode]}" "${LAT[tandem,$mode]}" "$ROUNDS" <<'PY'
import sys
mode = sys.argv[1]
d, b, t, dl, bl, tl = (float(x) for x in sys.argv[2:8])
r = int(sys.argv[8])
print(f"{mode:<10} {d/r:12.0f} {b/r:12.0f} {t/r:12.0f} {dl/r:10.3f} {bl/r:10.3f} {tl/r:10.3f} {t/d:14.2f} {t/b:14.2f}")
PY
done

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

need=()
command -v pgbench >/dev/null || need+=(postgresql postgresql-client)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

[ -f proxy/target/tandem-proxy.jar ] || ./mvnw -B -q -DskipTests package

work=$(mktemp -d /tmp/tandem-bench.XXXXXX)
chown postgres "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port); BOUNCER_PORT=$(free_port); TANDEM_PORT=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

runuser -u postgres -- "$PGBIN/initdb" -D "$work/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
  -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off" \
  start >/dev/null
pgbench -q -i -s "$SCALE" -h 127.0.0.1 -p "$PG_PORT" -U postgres postgres >/dev/null 2>&1
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres postgres -c "CREATE TABLE IF NOT EXISTS bench_insert (t timestamptz, id int, v double precision)"
echo 'INSERT INTO bench_insert VALUES (:t, :id, 1.5);' > "$work/insert.sql"
sed -i 's/:t/now()/' "$work/insert.sql"
echo '\set id random(1, 1000000)' | cat - "$work/insert.sql" > "$work/insert2.sql" && mv "$work/insert2.sql" "$work/insert.sql"

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
pids+=("$(cat "$work/pgbouncer.pid")")

java -Dtandem.transport="$TRANSPORT" -jar proxy/target/tandem-proxy.jar --listen "127.0.0.1:$TANDEM_PORT" \
  --source "127.0.0.1:$PG_PORT" --mirror-mode off --admin-listen 127.0.0.1:0 > "$work/tandem.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  psql -q -h 127.0.0.1 -p "$TANDEM_PORT" -U postgres postgres -c 'select 1' >/dev/null 2>&1 && break
  sleep 0.2
done

declare -A TPS LAT
run_one() { # target port mode
  local target=$1 port=$2 mode=$3 args out
  if [ "$mode" = insert ]; then args=(-M prepared -f "$work/insert.sql"); else args=(-S -M "$mode"); fi
  out=$(pgbench -n -h 127.0.0.1 -p "$port" -U postgres -c "$CLIENTS" -j "$THREADS" -T "$DURATION" "${args[@]}" postgres 2>&1)
  local tps lat
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -1)
  lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
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

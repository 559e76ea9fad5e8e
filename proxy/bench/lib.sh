# Shared by the proxy benchmarks: install what is missing, start throw-away PostgreSQL clusters, run pgbench.
# Source it from a script that has done `set -euo pipefail` and `cd` to the repository root.

bench_install() {
  local need=()
  command -v pgbench >/dev/null || need+=(postgresql postgresql-client)
  command -v pgbouncer >/dev/null || need+=(pgbouncer)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [ -f proxy/target/tandem-proxy.jar ] || ./mvnw -B -q -DskipTests package
  BENCH_WORK=$(mktemp -d /tmp/tandem-bench.XXXXXX)
  chown postgres "$BENCH_WORK"
  BENCH_PIDS=()
  BENCH_CLUSTERS=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for c in "${BENCH_CLUSTERS[@]}"; do
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$c" -m fast stop >/dev/null 2>&1 || true
  done
  rm -rf "$BENCH_WORK"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_cluster NAME PORT: a PostgreSQL cluster run by the postgres system user (initdb refuses root)
start_cluster() {
  local dir="$BENCH_WORK/$1"
  runuser -u postgres -- "$PGBIN/initdb" -D "$dir" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir" -l "$BENCH_WORK/$1.log" -w \
    -o "-p $2 -k $BENCH_WORK -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off" \
    start >/dev/null
  BENCH_CLUSTERS+=("$dir")
}

# start_tandem PORT ADMIN_PORT ARGS...: the proxy jar in the background (JVM flags from TANDEM_JAVA_OPTS, e.g. a JFR
# recording); waits until it accepts sessions
start_tandem() {
  local port=$1 admin=$2
  shift 2
  java ${TANDEM_JAVA_OPTS:-} -jar proxy/target/tandem-proxy.jar --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" "$@" \
    > "$BENCH_WORK/tandem-$port.log" 2>&1 &
  BENCH_PIDS+=($!)
  for _ in $(seq 1 150); do
    psql -q -h 127.0.0.1 -p "$port" -U postgres postgres -c 'select 1' >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "Tandem on port $port did not start; its log:" >&2
  cat "$BENCH_WORK/tandem-$port.log" >&2
  return 1
}

# run_pgbench PORT ARGS...: prints "tps latency_ms"
run_pgbench() {
  local port=$1 out
  shift
  out=$(pgbench -n -h 127.0.0.1 -p "$port" -U postgres "$@" postgres 2>&1)
  echo "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -1) $(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')"
}

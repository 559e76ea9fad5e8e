# Shared by the proxy benchmarks: install what is missing, start throw-away PostgreSQL clusters, run pgbench.
# Source it from a script that has done `set -euo pipefail` and `cd` to the repository root.

bench_install() {
  local need=()
  command -v pgbench >/dev/null || need+=(postgresql postgresql-client)
  command -v pgbouncer >/dev/null || need+=(pgbouncer)
  command -v pgpool >/dev/null || need+=(pgpool2)
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

# start_cluster NAME PORT [SETTINGS]: a PostgreSQL cluster run by the postgres system user (initdb refuses root);
# SETTINGS are more server options ("-c max_locks_per_transaction=256")
start_cluster() {
  local dir="$BENCH_WORK/$1"
  runuser -u postgres -- "$PGBIN/initdb" -D "$dir" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir" -l "$BENCH_WORK/$1.log" -w \
    -o "-p $2 -k $BENCH_WORK -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off ${3:-}" \
    start >/dev/null
  BENCH_CLUSTERS+=("$dir")
}

# start_pgpool PORT SOURCE_PORT TARGET_PORT: pgpool-II in native replication mode over the two clusters (every write
# sent to both, in step), the synchronous dual-write a proxy can be compared with; waits until it accepts sessions
start_pgpool() {
  local port=$1 pcp
  pcp=$(free_port)
  cat > "$BENCH_WORK/pgpool.conf" <<CONF
backend_clustering_mode = 'native_replication'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$BENCH_WORK'
pcp_listen_addresses = '127.0.0.1'
pcp_port = $pcp
pcp_socket_dir = '$BENCH_WORK'
backend_hostname0 = '127.0.0.1'
backend_port0 = $2
backend_flag0 = 'DISALLOW_TO_FAILOVER'
backend_hostname1 = '127.0.0.1'
backend_port1 = $3
backend_flag1 = 'DISALLOW_TO_FAILOVER'
num_init_children = 32
max_pool = 2
enable_pool_hba = off
load_balance_mode = off
replicate_select = off
insert_lock = off
health_check_period = 0
sr_check_period = 0
failover_on_backend_error = off
logdir = '$BENCH_WORK'
pid_file_name = '$BENCH_WORK/pgpool.pid'
log_destination = 'stderr'
CONF
  : > "$BENCH_WORK/pcp.conf"
  : > "$BENCH_WORK/pool_hba.conf"
  pgpool -n -f "$BENCH_WORK/pgpool.conf" -F "$BENCH_WORK/pcp.conf" -a "$BENCH_WORK/pool_hba.conf" \
    > "$BENCH_WORK/pgpool.log" 2>&1 &
  BENCH_PIDS+=($!)
  for _ in $(seq 1 150); do
    psql -q -h 127.0.0.1 -p "$port" -U postgres postgres -c 'select 1' >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "pgpool-II on port $port did not start; its log:" >&2
  cat "$BENCH_WORK/pgpool.log" >&2
  return 1
}

# start_tandem PORT ADMIN_PORT ARGS...: the proxy jar in the background (JVM flags from TANDEM_JAVA_OPTS, e.g. a JFR
# recording; another build's jar from TANDEM_JAR); waits until it accepts sessions
start_tandem() {
  local port=$1 admin=$2
  shift 2
  java ${TANDEM_JAVA_OPTS:-} -jar "${TANDEM_JAR:-proxy/target/tandem-proxy.jar}" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" "$@" \
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

#!/usr/bin/env bash
# Many-partitions benchmark (README, "Many partitions"): one table range-partitioned by day into $PARTITIONS partitions
# on source and target, $ROWS rows spread over them on the source. Measures, in one run:
#   - single-row INSERTs naming a partition (pgbench, simple protocol, a random partition per row), directly to the
#     source and through the proxy (async, source.user set), interleaved over $ROUNDS rounds; TPS and ratio;
#   - the proxy's GET /metrics after those writes: bytes, series, series with a table label and how many tables;
#   - the backfill's stage (with the time of each of its queries on the source that plan over every partition) and
#     copy, wall time and peak RSS.
#
#   proxy/bench/partitions-bench.sh                               # 5,000 partitions, 3 M rows, 10 s per run
#   PARTITIONS=500 ROWS=300000 proxy/bench/partitions-bench.sh    # a quick run
#   PARTITIONS=10 proxy/bench/partitions-bench.sh                 # the README's baseline
#   BACKFILL_JAR=/elsewhere/tandem-backfill.jar proxy/bench/...   # stage and copy of another build
#   TANDEM_JAR=/elsewhere/tandem-proxy.jar proxy/bench/...        # the proxy of another build
#   STAGE_BEFORE_JAR=/elsewhere/tandem-backfill.jar proxy/bench/... # its stage, then this build's, on the same data
#
# Needs a JDK; installs PostgreSQL server and client binaries from Debian packages when missing (lib.sh). Run as root.
# Builds the jars when missing; after a code change rebuild them (./mvnw -B -q -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/../.."

PARTITIONS=${PARTITIONS:-5000}
ROWS=${ROWS:-3000000}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-10}
# another build's backfill CLI, for an A/B of stage and copy
BACKFILL_JAR=${BACKFILL_JAR:-backfill-cli/target/tandem-backfill.jar}
# another build's backfill CLI whose stage runs first on the same data, for an A/B of stage in one run
STAGE_BEFORE_JAR=${STAGE_BEFORE_JAR:-}
# the data ends here, one partition per day before it
UNTIL=2024-01-01
UNTIL_EPOCH=1704067200

source proxy/bench/lib.sh
bench_install
[ -f "$BACKFILL_JAR" ] || ./mvnw -B -q -DskipTests package -pl protocol,backfill-cli -am

SRC=$(free_port); TGT=$(free_port)
# a plan over every partition locks each partition and its index: more than the default lock table holds
start_cluster source "$SRC" "-c max_locks_per_transaction=$((PARTITIONS * 2 / 100 + 64))"
start_cluster target "$TGT" "-c max_locks_per_transaction=$((PARTITIONS * 2 / 100 + 64))"
sql() { psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres postgres "${@:2}"; }

echo "creating $PARTITIONS daily partitions on source and target, $ROWS rows on the source"
start=$(date +%s.%N)
for p in "$SRC" "$TGT"; do
  {
    echo "CREATE TABLE metrics (t timestamptz NOT NULL, device int, v double precision, note text) PARTITION BY RANGE (t);"
    echo "CREATE INDEX ON metrics (t);"
    # one transaction per partition: creating thousands in one would take as many locks
    for i in $(seq 1 "$PARTITIONS"); do
      from=$((UNTIL_EPOCH - (PARTITIONS - i + 1) * 86400))
      echo "CREATE TABLE metrics_p$i PARTITION OF metrics FOR VALUES FROM (to_timestamp($from)) TO (to_timestamp($((from + 86400))));"
    done
  } | sql "$p"
done
sql "$SRC" -c "INSERT INTO metrics SELECT to_timestamp($UNTIL_EPOCH - $PARTITIONS * 86400.0 + g * ($PARTITIONS * 86400.0 / $ROWS)),
  g % 100, g * 1.5, 'n' || g FROM generate_series(0, $ROWS - 1) g; ANALYZE metrics"
echo "  $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"

PORT=$(free_port); ADMIN=$(free_port)
start_tandem "$PORT" "$ADMIN" --source "127.0.0.1:$SRC" --source-tls disable \
  --target "127.0.0.1:$TGT" --target-user postgres --target-tls disable --set source.user=postgres \
  --mirror-mode async --mirror-table public.metrics --spool-dir "$BENCH_WORK/spool" --instance-id bench-partitions

# a random partition per row, named in the INSERT (pgbench puts variables into the text in simple mode only), and a
# time inside that partition's day
cat > "$BENCH_WORK/insert.sql" <<SQL
\set p random(1, $PARTITIONS)
\set s random(0, 86399)
\set d random(1, 1000)
INSERT INTO metrics_p:p VALUES (to_timestamp($((UNTIL_EPOCH - PARTITIONS * 86400)) + (:p - 1) * 86400 + :s), :d, :d * 1.5, 'bench');
SQL

caught_up() {
  curl -s "http://127.0.0.1:$ADMIN/status" \
    | python3 -c "import json,sys; m=json.load(sys.stdin)['mirror']; print(m['appliedSequence'] >= m['spooledSequence'])"
}
wait_caught_up() { while [ "$(caught_up)" != True ]; do sleep 0.1; done; }

declare -A TPS
run_one() { # name port
  local tps lat
  read -r tps lat < <(run_pgbench "$2" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -M simple -f "$BENCH_WORK/insert.sql")
  TPS[$1]=$(python3 -c "print(${TPS[$1]:-0} + $tps)")
}

echo "pgbench -c $CLIENTS -j $THREADS -T $DURATION -M simple single-row INSERT naming one of $PARTITIONS partitions, $ROUNDS interleaved round(s)"
echo "warming up both for $WARMUP s"
for t in "$SRC" "$PORT"; do
  run_pgbench "$t" -c "$CLIENTS" -j "$THREADS" -T "$WARMUP" -M simple -f "$BENCH_WORK/insert.sql" >/dev/null
done
wait_caught_up
for round in $(seq 1 "$ROUNDS"); do
  run_one direct "$SRC"
  run_one proxy "$PORT"
  wait_caught_up
done
python3 -c "d, p, r = ${TPS[direct]}, ${TPS[proxy]}, $ROUNDS; print(f'INSERT TPS: direct {d / r:.0f}, proxy {p / r:.0f}, proxy / direct {p / d:.2f}')"

curl -s "http://127.0.0.1:$ADMIN/metrics" > "$BENCH_WORK/metrics.txt"
python3 - "$BENCH_WORK/metrics.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
series = [l for l in text.splitlines() if l and not l.startswith("#")]
tabled = [l for l in series if 'table="' in l]
tables = {re.search(r'table="([^"]*)"', l).group(1) for l in tabled}
print(f"GET /metrics: {len(text.encode()):,} bytes, {len(series):,} series, {len(tabled):,} with a table label"
      f" over {len(tables):,} table(s)")
PY

B="java -jar $BACKFILL_JAR"
C="--source postgres://postgres@127.0.0.1:$SRC/postgres --target postgres://postgres@127.0.0.1:$TGT/postgres"
timed() { # name command...: wall time and peak RSS of one backfill run
  local name=$1 file=${1//[^a-zA-Z0-9]/_}
  shift
  /usr/bin/time -f "%e %M" -o "$BENCH_WORK/time-$file" "$@" > "$BENCH_WORK/$file.log" 2>&1 \
    || { echo "$name failed; its output:" >&2; cat "$BENCH_WORK/$file.log" >&2; return 1; }
  read -r secs kb < "$BENCH_WORK/time-$file"
  echo "backfill $name: $secs s, $((kb / 1024)) MB peak RSS"
}
# the source's log times each statement stage runs there (its application_name, the proxy's look-ups are not counted)
sql "$SRC" -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "ALTER SYSTEM SET log_line_prefix = '%a: '" \
  -c "SELECT pg_reload_conf()" >/dev/null
stage() { # name jar args...
  local name=$1 jar=$2 log_lines
  shift 2
  log_lines=$(wc -l < "$BENCH_WORK/source.log")
  timed "$name" java -jar "$jar" stage $C --table public.metrics:t --until "$UNTIL 00:00+00" "$@"
  tail -n +"$((log_lines + 1))" "$BENCH_WORK/source.log" | python3 -c '
import re, sys
# an extended-protocol statement is planned at its bind: its parse, bind and execute add up
timed = {}
for line in sys.stdin:
    m = re.search(r"^tandem-backfill: LOG:  duration: ([0-9.]+) ms  (?:statement|(?:parse|bind|execute) [^:]*): (.*)", line)
    if m:
        timed[m.group(2).strip()] = timed.get(m.group(2).strip(), 0) + float(m.group(1))
print(f"  {len(timed)} statements on the source, {sum(timed.values()) / 1000:.2f} s; the slowest:")
for text, ms in sorted(timed.items(), key=lambda e: -e[1])[:3]:
    print(f"    {ms / 1000:.2f} s: {text[:150]}")'
}
if [ -n "$STAGE_BEFORE_JAR" ]; then
  stage "stage ($STAGE_BEFORE_JAR)" "$STAGE_BEFORE_JAR"
  stage stage "$BACKFILL_JAR" --replace
else
  stage stage "$BACKFILL_JAR"
fi
sql "$SRC" -c "ALTER SYSTEM RESET log_min_duration_statement" -c "ALTER SYSTEM RESET log_line_prefix" \
  -c "SELECT pg_reload_conf()" >/dev/null
echo "  $(psql -At -h 127.0.0.1 -p "$TGT" -U postgres postgres -c "SELECT count(*) FROM tandem.backfill_task") tasks staged"
timed copy $B copy $C
src_rows=$(psql -At -h 127.0.0.1 -p "$SRC" -U postgres postgres -c "SELECT count(*) FROM metrics")
tgt_rows=$(psql -At -h 127.0.0.1 -p "$TGT" -U postgres postgres -c "SELECT count(*) FROM metrics")
echo "rows: source $src_rows, target $tgt_rows (the same once copy ran: direct writes reach the target through it)"

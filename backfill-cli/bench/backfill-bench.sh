#!/usr/bin/env bash
# Backfill benchmark (not a test): tandem-backfill copy vs a psql binary COPY pipe, plus stage and verify, in one run.
# Needs the repository, a JDK 17+ and psql. ROWS (default 10000000) and PARALLELISM (default 4) may be set.
#   ROWS=1000000 backfill-cli/bench/backfill-bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-10000000}
PARALLELISM=${PARALLELISM:-4}
WORK=$(mktemp -d -t tandem-bench-XXXXXX)

echo "building (jar, test harness classpath) ..."
./mvnw -B -q -pl backfill-cli -am package dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; exit 1; }
CP="backfill-cli/target/test-classes:backfill-cli/target/classes:$(cat backfill-cli/target/bench.classpath)"

# two embedded PostgreSQL servers from the test harness; they stop when the fifo's writer closes
mkfifo "$WORK/stdin"
java -cp "$CP" dev.tandem.backfill.bench.BenchServers <"$WORK/stdin" >"$WORK/servers.out" 2>"$WORK/servers.err" &
SERVERS=$!
exec 3>"$WORK/stdin"
cleanup() { exec 3>&-; wait "$SERVERS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 1 120); do grep -q TARGET_PORT "$WORK/servers.out" 2>/dev/null && break; sleep 0.5; done
SOURCE_PORT=$(sed -n 's/^SOURCE_PORT=//p' "$WORK/servers.out")
TARGET_PORT=$(sed -n 's/^TARGET_PORT=//p' "$WORK/servers.out")
[ -n "$TARGET_PORT" ] || { echo "servers did not start:"; cat "$WORK/servers.err"; exit 1; }

SRC=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$SOURCE_PORT" -U postgres)
TGT=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$TARGET_PORT" -U postgres)
"${SRC[@]}" -d postgres -c "CREATE DATABASE bench"
"${TGT[@]}" -d postgres -c "CREATE DATABASE bench"
# a time-series table has an index on its time column: each task reads its range through it
DDL="CREATE TABLE bench (t timestamptz NOT NULL, device int, v1 double precision, v2 double precision, note text);
CREATE INDEX ON bench (t)"
"${SRC[@]}" -d bench -c "$DDL"
"${TGT[@]}" -d bench -c "$DDL"
echo "loading $ROWS rows into the source ..."
"${SRC[@]}" -d bench -c "INSERT INTO bench SELECT '2026-01-01'::timestamptz + i * (interval '30 days' / $ROWS),
  i % 1000, random(), i * 0.5, 'device reading ' || i FROM generate_series(0, $ROWS - 1) i" -c "VACUUM ANALYZE bench"
SIZE=$("${SRC[@]}" -d bench -At -c "SELECT pg_size_pretty(pg_table_size('bench'))")

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "psql | psql binary COPY pipe ..."
t0=$(now)
"${SRC[@]}" -d bench -c "COPY bench TO STDOUT (FORMAT binary)" | "${TGT[@]}" -d bench -c "COPY bench FROM STDIN (FORMAT binary)"
t1=$(now)
PIPE=$(elapsed "$t0" "$t1")
"${TGT[@]}" -d bench -c "TRUNCATE bench" -c "CHECKPOINT"

BACKFILL=(java -jar backfill-cli/target/tandem-backfill.jar)
CONN=(--source "postgres://postgres@127.0.0.1:$SOURCE_PORT/bench" --target "postgres://postgres@127.0.0.1:$TARGET_PORT/bench")
echo "tandem-backfill stage + copy (parallelism $PARALLELISM) ..."
t0=$(now)
"${BACKFILL[@]}" stage "${CONN[@]}" --table public.bench:t --until 2026-02-01 >"$WORK/stage.log"
t_staged=$(now)
"${BACKFILL[@]}" copy "${CONN[@]}" --parallelism "$PARALLELISM" >"$WORK/copy.log"
t1=$(now)
STAGE=$(elapsed "$t0" "$t_staged")
COPY=$(elapsed "$t_staged" "$t1")
echo "tandem-backfill verify ..."
t0=$(now)
"${BACKFILL[@]}" verify "${CONN[@]}" --parallelism "$PARALLELISM" >"$WORK/verify.log"
t1=$(now)
VERIFY=$(elapsed "$t0" "$t1")
COPIED=$("${TGT[@]}" -d bench -At -c "SELECT count(*) FROM bench")

echo
tail -n 1 "$WORK/copy.log"
head -n 1 "$WORK/verify.log"
echo "rows: $ROWS (copied $COPIED), table size $SIZE, parallelism $PARALLELISM, $(nproc) cores"
echo "psql | psql binary pipe:        ${PIPE} s"
echo "tandem-backfill stage:          ${STAGE} s   (planning; JVM start included)"
echo "tandem-backfill copy:           ${COPY} s   (JVM start included)"
echo "tandem-backfill verify:         ${VERIFY} s"
awk -v c="$COPY" -v p="$PIPE" -v v="$VERIFY" 'BEGIN {
  printf "copy / pipe   = %.2f   (target <= 1.0)\n", c / p
  printf "verify / copy = %.2f   (target <= 0.5)\n", v / c }'

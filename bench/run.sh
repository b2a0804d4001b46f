#!/usr/bin/env bash
# Natter's benchmark, in one run: builds what it needs (release), seeds databases through
# the real HTTP API of the real `natter` binary, measures reads, counts, creates, memory,
# start-up and database size next to a read ceiling and a write ceiling, and writes
# bench/results/latest.md (+ raw wrk output in bench/results/raw/).
#
#   bench/run.sh                # small archive (1,000 comments): about 3 minutes
#   bench/run.sh --large        # also the 1,000,000-comment archive (seeded once, cached
#                               # in bench/data/, reused on later runs)
#   bench/run.sh --duration 5   # seconds per wrk measurement (default 10, at most 60)
#   bench/run.sh --postgres     # PostgreSQL mode instead: a throwaway PostgreSQL 15 cluster
#                               # (scripts/pg.sh), one node and two nodes on it, next to a
#                               # read ceiling and a PostgreSQL commit loop; writes
#                               # bench/results/latest-postgres.md (about 3 minutes)
#
# Needs: cargo, wrk, curl (Debian: apt-get install -y wrk curl); --postgres also Debian's
# postgresql package (scripts/pg.sh installs it when missing). All load goes to 127.0.0.1.
# Set CARGO_TARGET_DIR to share a build directory; default is bench/target.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
LARGE=0
POSTGRES=0
DURATION=10
READ_THREADS=2
READ_CONNS=32
STARTUP_RUNS=5
SMALL_COMMENTS=1000 SMALL_PAGES=100
LARGE_COMMENTS=1000000 LARGE_PAGES=100000
# Bump when the seeded layout changes: a cached large archive of another version is reseeded.
SEED_VERSION=2

die() { echo "run.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --large) LARGE=1 ;;
    --postgres) POSTGRES=1 ;;
    --duration) DURATION=${2:-}; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ "$DURATION" =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 60 ] \
  || die "--duration must be 1..60 seconds"
[ "$LARGE" = 1 ] && [ "$POSTGRES" = 1 ] && die "--large and --postgres don't go together"
for tool in cargo wrk curl; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install -y wrk curl)"
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$BENCH/target}
DATA=$BENCH/data
RES=$BENCH/results
if [ "$POSTGRES" = 1 ]; then
  WORK=$DATA/run-postgres
  RAW=$RES/raw-postgres
else
  WORK=$DATA/run
  RAW=$RES/raw
fi
RESULTS=$WORK/results.env
[ -f "$WORK/pg/data/postmaster.pid" ] && "$ROOT/scripts/pg.sh" stop "$WORK/pg"   # a run cut short
rm -rf "$WORK" "$RAW"
mkdir -p "$WORK" "$RAW"
: > "$RESULTS"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
put() { printf '%s=%s\n' "$1" "$2" >> "$RESULTS"; }

# ---------------------------------------------------------------- build (one at a time)
log "building natter, the ceilings and the client (release)"
(cd "$ROOT" && cargo build --release --locked --quiet --bin natter)
(cd "$BENCH/ceiling" && cargo build --release --locked --quiet)
(cd "$BENCH/client" && cargo build --release --locked --quiet)
BIN=$CARGO_TARGET_DIR/release
NATTER=$BIN/natter
CLIENT=$BIN/natter-bench-client

# ---------------------------------------------------------------- helpers
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    if port_free "$p"; then echo "$p"; return; fi
  done
  die "no free port near $1"
}
PORT=$(pick_port 18480)
CEIL_PORT=$(pick_port $((PORT + 1)))
BASE=http://127.0.0.1:$PORT
CEIL=http://127.0.0.1:$CEIL_PORT

export NATTER_LIMITS__COMMENTS_PER_MINUTE=0
export NATTER_LIMITS__READS_PER_MINUTE=0
export NATTER_LIMITS__VOTES_PER_MINUTE=0
unset NATTER_CONFIG NATTER_DATABASE NATTER_BIND NATTER_DURABILITY || true

SERVER_PID=""
SERVER2_PID=""
CEIL_PID=""
PG_DIR=""
cleanup() {
  [ -n "$CEIL_PID" ] && kill -TERM "$CEIL_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true
  [ -n "$SERVER2_PID" ] && kill -TERM "$SERVER2_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$PG_DIR" ] && "$ROOT/scripts/pg.sh" stop "$PG_DIR" || true
}
trap cleanup EXIT

# write_config DB FILE: Natter's config for one database (site `bench`, open to every origin).
write_config() {
  cat > "$2" <<EOF
bind = "127.0.0.1:$PORT"
database = "$1"
public_url = "$BASE"
trusted_proxies = ["127.0.0.1"]   # bench/wrk/create.lua sends readers' X-Forwarded-For

[sites.bench]
origins = ["*"]
EOF
}

wait_ready() { # URL PID
  local i
  for i in $(seq 1 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || die "server exited while starting (see $WORK/*.log)"
    sleep 0.1
  done
  die "$1 did not answer within 60 s"
}

start_natter() { # CONFIG DURABILITY LOG
  NATTER_DURABILITY=$2 "$NATTER" --config "$1" serve >> "$3" 2>&1 &
  SERVER_PID=$!
  wait_ready "$BASE/healthz" "$SERVER_PID"
}

stop_natter() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
}

# seed SIZE DB COMMENTS PAGES CLIENTS DURABILITY: a fresh archive through POST /api/comments.
seed() {
  local size=$1 db=$2 comments=$3 pages=$4 clients=$5 durability=$6
  rm -f "$db" "$db-wal" "$db-shm"
  write_config "$db" "$WORK/seed-$size.toml"
  start_natter "$WORK/seed-$size.toml" "$durability" "$WORK/seed-$size.log"
  log "seeding $size: $comments comments over $pages pages, $clients clients, durability $durability"
  "$CLIENT" seed --addr "127.0.0.1:$PORT" --site bench --comments "$comments" --pages "$pages" \
    --concurrency "$clients" --out "$db.seed.env"
  stop_natter
  echo "seed_durability=$durability" >> "$db.seed.env"
  echo "seed_version=$SEED_VERSION" >> "$db.seed.env"
}

# wrk_run SIZE NAME PID SCRIPT THREADS CONNS URL [wrk args…]: one measurement, raw output
# kept; PID is the server under test, whose CPU time per request is recorded too.
wrk_run() {
  local size=$1 name=$2 pid=$3 script=$4 threads=$5 conns=$6 url=$7
  shift 7
  rm -f "$WORK/wrk.env"
  local cpu0 cpu1 db0="" db1=""
  cpu0=$(cpu_ticks "$pid")
  [ -z "$PG_PM" ] || db0=$(pg_cpu_ticks)
  WRK_SUMMARY=$WORK/wrk.env RUN_ID="$size-$name-$(date +%s)" \
    wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$script" "$@" "$url" \
    > "$RAW/$size-$name.txt" 2>&1 || die "wrk failed: $(cat "$RAW/$size-$name.txt")"
  cpu1=$(cpu_ticks "$pid")
  [ -z "$PG_PM" ] || db1=$(pg_cpu_ticks)
  [ -s "$WORK/wrk.env" ] || die "wrk wrote no summary for $name"
  local n
  n=$(grep '^requests=' "$WORK/wrk.env" | cut -d= -f2)
  awk -v t=$((cpu1 - cpu0)) -v hz="$HZ" -v n="$n" -v d="$DURATION" 'BEGIN {
    if (n > 0) printf "cpu_ms_per_req=%.3f\n", t * 1000 / hz / n
    printf "cpu_cores=%.2f\n", t / hz / d }' >> "$WORK/wrk.env"
  # On PostgreSQL, the database server's CPU time (all its processes) too.
  [ -z "$PG_PM" ] || awk -v t=$((db1 - db0)) -v hz="$HZ" -v n="$n" -v d="$DURATION" 'BEGIN {
    if (n > 0) printf "db_cpu_ms_per_req=%.3f\n", t * 1000 / hz / n
    printf "db_cpu_cores=%.2f\n", t / hz / d }' >> "$WORK/wrk.env"
  sed "s/^/${size}_${name}_/" "$WORK/wrk.env" >> "$RESULTS"
  log "  $name: $(grep '^rps=' "$WORK/wrk.env" | cut -d= -f2) req/s, p99 $(grep '^p99_us=' "$WORK/wrk.env" | cut -d= -f2) µs, $(grep '^cpu_ms_per_req=' "$WORK/wrk.env" | cut -d= -f2) CPU ms/request"
}
HZ=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# PostgreSQL's CPU time, in clock ticks: the postmaster and every process it forked (the
# backends, the WAL writer, the checkpointer…), with what its children that exited used
# (cutime + cstime), so connections opened and closed in between count too.
PG_PM=""
pg_cpu_ticks() {
  local c
  {
    cat "/proc/$PG_PM/stat"
    for c in $(cat /proc/"$PG_PM"/task/*/children 2>/dev/null); do
      cat "/proc/$c/stat" 2>/dev/null || true
    done
  } | awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t }'
}
warm() { wrk -t"$READ_THREADS" -c"$READ_CONNS" -d2s "$@" > /dev/null 2>&1 || true; }

REPORT_LUA=$BENCH/wrk/report.lua
CREATE_LUA=$BENCH/wrk/create.lua
GZ=(-H "Accept-Encoding: gzip")

# measure SIZE DB: every figure for one archive (the server at durability full).
measure() {
  local size=$1 db=$2
  local cfg=$WORK/$size.toml
  write_config "$db" "$cfg"
  seedv() { grep "^$1=" "$db.seed.env" | tail -1 | cut -d= -f2-; }
  local hot_page_q hot_comments count_query
  hot_page_q=$(seedv hot_page_q)
  hot_comments=$(seedv hot_comments)
  count_query=$(seedv count_query)
  put "${size}_loadavg" "$(cut -d' ' -f1-3 /proc/loadavg)"
  "$BIN/db-stat" "$db" | sed "s/^db_/${size}_db_/" >> "$RESULTS"
  put "${size}_comments" "$(grep "^${size}_db_comments=" "$RESULTS" | cut -d= -f2)"
  put "${size}_pages" "$(grep "^${size}_db_pages=" "$RESULTS" | cut -d= -f2)"
  for k in seed_seconds seed_rate seed_concurrency seed_durability; do
    put "${size}_$k" "$(seedv "$k")"
  done

  log "$size: start-up, $STARTUP_RUNS runs"
  "$CLIENT" startup --runs "$STARTUP_RUNS" --addr "127.0.0.1:$PORT" --log "$WORK/$size-startup.log" \
    --out "$WORK/startup.env" -- "$NATTER" --config "$cfg" serve
  sed "s/^/${size}_/" "$WORK/startup.env" >> "$RESULTS"

  start_natter "$cfg" full "$WORK/$size.log"
  local thread="$BASE/api/comments?site=bench&page=${hot_page_q}&limit=200"
  curl -fsS -D "$WORK/$size-thread.headers" -o "$WORK/$size-thread.json" "$thread"
  curl -fsS "${GZ[@]}" -o "$WORK/$size-thread.json.gz" "$thread"
  local etag n
  etag=$(grep -i '^etag:' "$WORK/$size-thread.headers" | cut -d' ' -f2- | tr -d '\r')
  n=$(grep -o '"id":' "$WORK/$size-thread.json" | wc -l)
  [ "$n" -eq "$hot_comments" ] || die "the thread shows $n comments, expected $hot_comments"
  put "${size}_thread_comments" "$n"
  put "${size}_body_bytes" "$(wc -c < "$WORK/$size-thread.json")"
  put "${size}_gzip_bytes" "$(wc -c < "$WORK/$size-thread.json.gz")"

  log "$size: thread read ($n comments)"
  warm "${GZ[@]}" "$thread"
  wrk_run "$size" read "$SERVER_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$thread" "${GZ[@]}"
  wrk_run "$size" readid "$SERVER_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$thread"
  wrk_run "$size" read1 "$SERVER_PID" "$REPORT_LUA" 1 1 "$thread" "${GZ[@]}"

  # The read ceiling: a bare actix-web handler (TCP_NODELAY, the same Compress and header
  # middleware) serving from memory the very bytes Natter served above: `/pre/…` the same
  # gzip body (what Natter's thread cache serves), `/api/comments` the same JSON.
  "$BIN/read-ceiling" --bind "127.0.0.1:$CEIL_PORT" --body "$WORK/$size-thread.json" \
    --gzip "$WORK/$size-thread.json.gz" --etag "$etag" --nodelay > "$WORK/ceiling.log" 2>&1 &
  CEIL_PID=$!
  wait_ready "$CEIL/api/comments" "$CEIL_PID"
  cmp -s <(curl -fsS "$CEIL/api/comments") "$WORK/$size-thread.json" \
    || die "the read ceiling does not serve the same JSON"
  cmp -s <(curl -fsS "${GZ[@]}" "$CEIL/pre/api/comments") "$WORK/$size-thread.json.gz" \
    || die "the read ceiling does not serve the same gzip bytes"
  log "$size: read ceiling"
  warm "${GZ[@]}" "$CEIL/pre/api/comments"
  wrk_run "$size" pre "$CEIL_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$CEIL/pre/api/comments" "${GZ[@]}"
  wrk_run "$size" pre1 "$CEIL_PID" "$REPORT_LUA" 1 1 "$CEIL/pre/api/comments" "${GZ[@]}"
  wrk_run "$size" ceilid "$CEIL_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$CEIL/api/comments"
  # For reference: the same handler gzipping on every request (what Natter did before its
  # thread cache).
  wrk_run "$size" ceil "$CEIL_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$CEIL/api/comments" "${GZ[@]}"
  kill -TERM "$CEIL_PID"; wait "$CEIL_PID" || true; CEIL_PID=""

  log "$size: counts for 20 pages"
  local counts="$BASE/api/counts?site=bench&${count_query}"
  curl -fsS -o "$WORK/$size-counts.json" "$counts"
  warm "${GZ[@]}" "$counts"
  wrk_run "$size" counts "$SERVER_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$counts" "${GZ[@]}"

  log "$size: creates"
  # On the archive's existing pages (as on a blog), then each comment on a new page.
  # The seeded pages are /posts/000000/ … plus /posts/hot/.
  local pages
  pages=$(( $(grep "^${size}_pages=" "$RESULTS" | cut -d= -f2) - 1 ))
  PAGES=$pages wrk_run "$size" create1 "$SERVER_PID" "$CREATE_LUA" 1 1 "$BASE/api/comments"
  PAGES=$pages wrk_run "$size" create8 "$SERVER_PID" "$CREATE_LUA" 2 8 "$BASE/api/comments"
  wrk_run "$size" create8new "$SERVER_PID" "$CREATE_LUA" 2 8 "$BASE/api/comments"

  put "${size}_rss_kb" "$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")"
  put "${size}_threads" "$(awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status")"
  stop_natter

  # Right after the creates, on the same disk: the write ceiling.
  log "$size: write ceiling (single-row transactions, WAL, synchronous=FULL)"
  "$BIN/write-ceiling" --db "$WORK/write-ceiling.db" --seconds "$DURATION" \
    | sed "s/^/${size}_wc_/" >> "$RESULTS"
  log "  $(grep "^${size}_wc_rps=" "$RESULTS" | cut -d= -f2) commits/s"
}

put run_date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
put git_rev "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src migrations Cargo.toml 2>/dev/null || echo '+dirty')"
put nproc "$(nproc)"
put cpu_model "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
put loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
put duration_s "$DURATION"
put read_threads "$READ_THREADS"
put read_conns "$READ_CONNS"

# ---------------------------------------------------------------- PostgreSQL mode
# bench/run.sh --postgres: the small archive on a throwaway PostgreSQL cluster, one node,
# then two nodes on the same database, next to the read ceiling and a plain commit loop
# against the same server. Every key is `pg_…`; the report is latest-postgres.md.
if [ "$POSTGRES" = 1 ]; then
  PORT2=$(pick_port $((CEIL_PORT + 1)))
  BASE2=http://127.0.0.1:$PORT2
  PG_DIR=$WORK/pg
  log "starting a throwaway PostgreSQL cluster (scripts/pg.sh)"
  PG_ADMIN=$("$ROOT/scripts/pg.sh" start "$PG_DIR")
  PG_PM=$(head -1 "$PG_DIR/data/postmaster.pid")
  command -v psql >/dev/null || die "psql is missing (Debian: apt-get install -y postgresql-client)"
  psql -qAtX "$PG_ADMIN" -c 'CREATE DATABASE natter' > /dev/null
  PG_URL=${PG_ADMIN%/postgres}/natter
  q() { psql -qAtX "$PG_URL" -c "$1"; }
  put pg_version "$(q 'SHOW server_version' | cut -d' ' -f1)"
  # The server's settings that bear on commits and reads (pg.sh's, else the defaults).
  for name in fsync synchronous_commit wal_sync_method full_page_writes commit_delay \
    shared_buffers wal_buffers max_wal_size checkpoint_timeout max_connections jit \
    jit_above_cost; do
    put "pg_set_$name" "$(q "SHOW $name")"
  done
  put pg_jit_available "$(q 'SELECT pg_jit_available()')"

  # Both nodes read the same config file; node B gets another port through NATTER_BIND.
  CFG=$WORK/pg.toml
  write_config "$PG_URL" "$CFG"
  start_natter "$CFG" full "$WORK/node-a.log"
  log "seeding: $SMALL_COMMENTS comments over $SMALL_PAGES pages, 16 clients (node A)"
  "$CLIENT" seed --addr "127.0.0.1:$PORT" --site bench --comments "$SMALL_COMMENTS" \
    --pages "$SMALL_PAGES" --concurrency 16 --out "$WORK/pg.seed.env"
  seedv() { grep "^$1=" "$WORK/pg.seed.env" | tail -1 | cut -d= -f2-; }
  for k in seed_comments seed_seconds seed_rate seed_concurrency; do put "pg_$k" "$(seedv "$k")"; done
  HOT_COMMENTS=$(seedv hot_comments)
  THREAD_PATH="/api/comments?site=bench&page=$(seedv hot_page_q)&limit=200"
  PAGES_N=$(( $(q 'SELECT count(*) FROM pages') - 1 ))   # /posts/000000/ … plus /posts/hot/
  put pg_comments "$(q 'SELECT count(*) FROM comments')"
  put pg_pages "$((PAGES_N + 1))"

  # ---- one node: thread read, and the read ceiling on the very bytes it served
  curl -fsS -D "$WORK/pg-thread.headers" -o "$WORK/pg-thread.json" "$BASE$THREAD_PATH"
  curl -fsS "${GZ[@]}" -o "$WORK/pg-thread.json.gz" "$BASE$THREAD_PATH"
  ETAG=$(grep -i '^etag:' "$WORK/pg-thread.headers" | cut -d' ' -f2- | tr -d '\r')
  n=$(grep -o '"id":' "$WORK/pg-thread.json" | wc -l)
  [ "$n" -eq "$HOT_COMMENTS" ] || die "the thread shows $n comments, expected $HOT_COMMENTS"
  put pg_thread_comments "$n"
  put pg_body_bytes "$(wc -c < "$WORK/pg-thread.json")"
  put pg_gzip_bytes "$(wc -c < "$WORK/pg-thread.json.gz")"
  put pg_loadavg_read "$(cut -d' ' -f1-3 /proc/loadavg)"
  log "one node: thread read ($n comments)"
  warm "${GZ[@]}" "$BASE$THREAD_PATH"
  wrk_run pg read "$SERVER_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$BASE$THREAD_PATH" "${GZ[@]}"
  wrk_run pg read1 "$SERVER_PID" "$REPORT_LUA" 1 1 "$BASE$THREAD_PATH" "${GZ[@]}"
  "$BIN/read-ceiling" --bind "127.0.0.1:$CEIL_PORT" --body "$WORK/pg-thread.json" \
    --gzip "$WORK/pg-thread.json.gz" --etag "$ETAG" --nodelay > "$WORK/ceiling.log" 2>&1 &
  CEIL_PID=$!
  wait_ready "$CEIL/api/comments" "$CEIL_PID"
  cmp -s <(curl -fsS "${GZ[@]}" "$CEIL/pre/api/comments") "$WORK/pg-thread.json.gz" \
    || die "the read ceiling does not serve the same gzip bytes"
  log "one node: read ceiling"
  warm "${GZ[@]}" "$CEIL/pre/api/comments"
  wrk_run pg pre "$CEIL_PID" "$REPORT_LUA" "$READ_THREADS" "$READ_CONNS" "$CEIL/pre/api/comments" "${GZ[@]}"
  wrk_run pg pre1 "$CEIL_PID" "$REPORT_LUA" 1 1 "$CEIL/pre/api/comments" "${GZ[@]}"
  kill -TERM "$CEIL_PID"; wait "$CEIL_PID" || true; CEIL_PID=""

  # ---- one node: creates, then the commit loop against the same server right after
  put pg_loadavg_create "$(cut -d' ' -f1-3 /proc/loadavg)"
  log "one node: creates"
  PAGES=$PAGES_N wrk_run pg create1 "$SERVER_PID" "$CREATE_LUA" 1 1 "$BASE/api/comments"
  PAGES=$PAGES_N wrk_run pg create8 "$SERVER_PID" "$CREATE_LUA" 2 8 "$BASE/api/comments"
  for c in 1 8; do
    log "PostgreSQL write ceiling: single-row INSERT transactions, $c client(s)"
    db0=$(pg_cpu_ticks)
    "$BIN/pg-write-ceiling" --url "$PG_URL" --seconds "$DURATION" --clients "$c" \
      > "$WORK/pgwc.env"
    db1=$(pg_cpu_ticks)
    n=$(grep '^commits=' "$WORK/pgwc.env" | cut -d= -f2)
    awk -v t=$((db1 - db0)) -v hz="$HZ" -v n="$n" -v d="$DURATION" 'BEGIN {
      if (n > 0) printf "db_cpu_ms_per_req=%.3f\n", t * 1000 / hz / n
      printf "db_cpu_cores=%.2f\n", t / hz / d }' >> "$WORK/pgwc.env"
    sed "s/^/pg_wc${c}_/" "$WORK/pgwc.env" >> "$RESULTS"
    log "  $(grep '^rps=' "$WORK/pgwc.env" | cut -d= -f2) commits/s"
  done

  # ---- two nodes on the same database: the same read load and the same create load,
  # split over both (one wrk per node, half the connections each, both at once)
  log "two nodes: starting node B on port $PORT2"
  NATTER_BIND=127.0.0.1:$PORT2 "$NATTER" --config "$CFG" serve >> "$WORK/node-b.log" 2>&1 &
  SERVER2_PID=$!
  wait_ready "$BASE2/healthz" "$SERVER2_PID"
  cmp -s <(curl -fsS "${GZ[@]}" "$BASE2$THREAD_PATH") "$WORK/pg-thread.json.gz" \
    || die "node B does not serve the same thread bytes as node A"

  # wrk_pair NAME SCRIPT CONNS_EACH PATH [wrk args…]: one `wrk -t1 -cCONNS_EACH` per node,
  # both at once. Keys: pg_NAME_a_… and pg_NAME_b_… per node; pg_NAME_… the sums (requests/s,
  # CPU per request of both nodes together, PostgreSQL's CPU per request).
  wrk_pair() {
    local name=$1 script=$2 conns=$3 path=$4
    shift 4
    rm -f "$WORK/wrk-a.env" "$WORK/wrk-b.env"
    local a0 b0 d0 a1 b1 d1 wa wb
    a0=$(cpu_ticks "$SERVER_PID"); b0=$(cpu_ticks "$SERVER2_PID"); d0=$(pg_cpu_ticks)
    WRK_SUMMARY=$WORK/wrk-a.env RUN_ID="pg-$name-a-$(date +%s)" TID_BASE=0 \
      wrk -t1 -c"$conns" -d"${DURATION}s" --latency -s "$script" "$@" "$BASE$path" \
      > "$RAW/pg-$name-a.txt" 2>&1 &
    wa=$!
    WRK_SUMMARY=$WORK/wrk-b.env RUN_ID="pg-$name-b-$(date +%s)" TID_BASE=1 \
      wrk -t1 -c"$conns" -d"${DURATION}s" --latency -s "$script" "$@" "$BASE2$path" \
      > "$RAW/pg-$name-b.txt" 2>&1 &
    wb=$!
    wait "$wa" || die "wrk failed: $(cat "$RAW/pg-$name-a.txt")"
    wait "$wb" || die "wrk failed: $(cat "$RAW/pg-$name-b.txt")"
    a1=$(cpu_ticks "$SERVER_PID"); b1=$(cpu_ticks "$SERVER2_PID"); d1=$(pg_cpu_ticks)
    [ -s "$WORK/wrk-a.env" ] && [ -s "$WORK/wrk-b.env" ] || die "wrk wrote no summary for $name"
    local node
    for node in a b; do
      sed "s/^/pg_${name}_${node}_/" "$WORK/wrk-$node.env" >> "$RESULTS"
    done
    cat "$WORK/wrk-a.env" "$WORK/wrk-b.env" | awk -F= -v ta=$((a1 - a0)) -v tb=$((b1 - b0)) \
      -v td=$((d1 - d0)) -v hz="$HZ" -v d="$DURATION" -v p="pg_${name}_" '
      { s[$1] += $2 }
      END {
        n = s["requests"]
        printf "%srequests=%d\n%srps=%.1f\n", p, n, p, s["rps"]
        printf "%serrors_status=%d\n%serrors_other=%d\n", p, s["errors_status"], p, s["errors_other"]
        if (n > 0) printf "%scpu_ms_per_req=%.3f\n", p, (ta + tb) * 1000 / hz / n
        printf "%scpu_cores=%.2f\n%sa_cpu_cores=%.2f\n%sb_cpu_cores=%.2f\n", p, (ta + tb) / hz / d, p, ta / hz / d, p, tb / hz / d
        if (n > 0) printf "%sdb_cpu_ms_per_req=%.3f\n", p, td * 1000 / hz / n
        printf "%sdb_cpu_cores=%.2f\n", p, td / hz / d
      }' >> "$RESULTS"
    log "  $name: $(grep "^pg_${name}_rps=" "$RESULTS" | cut -d= -f2) req/s over both nodes (A $(grep "^pg_${name}_a_rps=" "$RESULTS" | cut -d= -f2), B $(grep "^pg_${name}_b_rps=" "$RESULTS" | cut -d= -f2))"
  }
  put pg_loadavg_two "$(cut -d' ' -f1-3 /proc/loadavg)"
  log "two nodes: creates, 4 clients per node"
  PAGES=$PAGES_N wrk_pair create2 "$CREATE_LUA" 4 /api/comments
  # Every commit empties both nodes' thread caches (PostgreSQL NOTIFYs them); one read
  # through each fills them again before the read load starts. The first one is timed: a
  # thread read that misses the cache, on one connection.
  sleep 1
  put pg_cold_read_ms "$(curl -fsS "${GZ[@]}" -o /dev/null -w '%{time_total}' "$BASE$THREAD_PATH" \
    | awk '{ printf "%.1f", $1 * 1000 }')"
  curl -fsS "${GZ[@]}" -o /dev/null "$BASE2$THREAD_PATH"
  log "two nodes: thread read, $((READ_CONNS / 2)) connections per node"
  warm "${GZ[@]}" "$BASE$THREAD_PATH" &
  WARM_PID=$!
  warm "${GZ[@]}" "$BASE2$THREAD_PATH"
  wait "$WARM_PID" || true
  wrk_pair read2 "$REPORT_LUA" $((READ_CONNS / 2)) "$THREAD_PATH" "${GZ[@]}"

  # A comment written through node B, read through node A: from B's 201 to the first read
  # through A that shows it (one curl after another, a few ms each).
  code=$(curl -sS -o "$WORK/cross.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"site\":\"bench\",\"page\":\"/posts/hot/\",\"author\":\"Cross\",\"text\":\"Written through node B at $(date +%s%N).\"}" \
    "$BASE2/api/comments")
  t0=$(date +%s%N)
  [ "$code" = 201 ] || die "a create through node B answered $code: $(cat "$WORK/cross.json")"
  seen=""
  while [ $(( $(date +%s%N) - t0 )) -lt 10000000000 ]; do
    if [ "$(curl -fsS "$BASE$THREAD_PATH" | grep -o '"id":' | wc -l)" -gt "$HOT_COMMENTS" ]; then
      seen=$(( ($(date +%s%N) - t0) / 1000000 )); break
    fi
  done
  put pg_cross_ms "${seen:-not within 10 s}"

  for node in a b; do
    pid=$SERVER_PID; [ "$node" = b ] && pid=$SERVER2_PID
    put "pg_${node}_rss_kb" "$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")"
    put "pg_${node}_threads" "$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")"
  done
  kill -TERM "$SERVER2_PID"; wait "$SERVER2_PID" || true; SERVER2_PID=""
  stop_natter

  # Every create wrk counted as answered 2xx is in the database (a few more may be: the
  # requests in flight when wrk stopped, committed but not counted).
  acked=$(( $(seedv seed_comments) + 1 ))   # the seeded ones, the cross-node one
  for k in create1 create8 create2_a create2_b; do
    acked=$(( acked + $(grep "^pg_${k}_requests=" "$RESULTS" | cut -d= -f2) \
      - $(grep "^pg_${k}_errors_status=" "$RESULTS" | cut -d= -f2) ))
  done
  put pg_comments_acked "$acked"
  put pg_comments_end "$(q 'SELECT count(*) FROM comments')"
  # What went wrong in the nodes' logs, if anything.
  for node in a b; do
    put "pg_${node}_log_errors" "$(grep -c -E '\b(ERROR|WARN)\b' "$WORK/node-$node.log" || true)"
  done
  put loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
  "$ROOT/scripts/pg.sh" stop "$PG_DIR"; PG_DIR=""; PG_PM=""
  cp "$WORK/pg/server.log" "$WORK/pg-server.log"
  put pg_server_log_errors "$(grep -c -E '\b(ERROR|FATAL|PANIC):' "$WORK/pg-server.log" || true)"

  cp "$RESULTS" "$RES/latest-postgres.env"
  "$CLIENT" report-pg --in "$RESULTS" --out "$RES/latest-postgres.md"
  if grep -q '<!-- latest-postgres:start -->' "$BENCH/README.md" 2>/dev/null; then
    awk -v f="$RES/latest-postgres.md" '
      /<!-- latest-postgres:start -->/ { print; while ((getline l < f) > 0) { if (l ~ /^# /) continue; sub(/^## /, "#### ", l); print l }; skip=1; next }
      /<!-- latest-postgres:end -->/ { skip=0 }
      !skip' "$BENCH/README.md" > "$WORK/README.md" && cp "$WORK/README.md" "$BENCH/README.md"
  fi
  rm -rf "$WORK/pg" "$WORK"/*.json.gz
  log "done: $RES/latest-postgres.md"
  cat "$RES/latest-postgres.md"
  exit 0
fi

# ---------------------------------------------------------------- small archive
seed small "$WORK/small.db" "$SMALL_COMMENTS" "$SMALL_PAGES" 16 full
measure small "$WORK/small.db"

# ---------------------------------------------------------------- large archive (optional)
if [ "$LARGE" = 1 ]; then
  CACHED=$DATA/large-1m.db
  if [ ! -f "$CACHED.seed.env" ] || ! grep -qx "seed_version=$SEED_VERSION" "$CACHED.seed.env"; then
    rm -f "$CACHED" "$CACHED"-* "$CACHED.seed.env"
    # Durability "normal" for seeding only (the archive is the same; measurements use full).
    seed large "$DATA/large-1m.tmp.db" "$LARGE_COMMENTS" "$LARGE_PAGES" 32 normal
    "$BIN/db-stat" "$DATA/large-1m.tmp.db" > /dev/null   # checkpoint into one file
    mv "$DATA/large-1m.tmp.db.seed.env" "$WORK/large.seed.env.tmp"
    mv "$DATA/large-1m.tmp.db" "$CACHED"
    mv "$WORK/large.seed.env.tmp" "$CACHED.seed.env"
    put large_seed_cached no
  else
    log "large: reusing the cached archive $CACHED"
    put large_seed_cached yes
  fi
  # Measure on a copy, so the creates don't grow the cached archive.
  cp "$CACHED" "$WORK/large.db"
  cp "$CACHED.seed.env" "$WORK/large.db.seed.env"
  measure large "$WORK/large.db"
fi

put loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
cp "$RESULTS" "$RES/latest.env"
"$CLIENT" report --in "$RESULTS" --out "$RES/latest.md"

# The latest table also goes into bench/README.md, between its markers.
if grep -q '<!-- latest:start -->' "$BENCH/README.md" 2>/dev/null; then
  awk -v f="$RES/latest.md" '
    /<!-- latest:start -->/ { print; while ((getline l < f) > 0) { if (l ~ /^# /) continue; sub(/^## /, "### ", l); print l }; skip=1; next }
    /<!-- latest:end -->/ { skip=0 }
    !skip' "$BENCH/README.md" > "$WORK/README.md" && cp "$WORK/README.md" "$BENCH/README.md"
fi
rm -f "$WORK"/*.db "$WORK"/*.db-* "$WORK"/*.json.gz
log "done: $RES/latest.md"
cat "$RES/latest.md"

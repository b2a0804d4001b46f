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
#
# Needs: cargo, wrk, curl (Debian: apt-get install -y wrk curl). All load goes to 127.0.0.1.
# Set CARGO_TARGET_DIR to share a build directory; default is bench/target.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
LARGE=0
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
    --duration) DURATION=${2:-}; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ "$DURATION" =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 60 ] \
  || die "--duration must be 1..60 seconds"
for tool in cargo wrk curl; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install -y wrk curl)"
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$BENCH/target}
DATA=$BENCH/data
WORK=$DATA/run
RES=$BENCH/results
RAW=$RES/raw
RESULTS=$WORK/results.env
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
CEIL_PID=""
cleanup() {
  [ -n "$CEIL_PID" ] && kill -TERM "$CEIL_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
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
  local cpu0 cpu1
  cpu0=$(cpu_ticks "$pid")
  WRK_SUMMARY=$WORK/wrk.env RUN_ID="$size-$name-$(date +%s)" \
    wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$script" "$@" "$url" \
    > "$RAW/$size-$name.txt" 2>&1 || die "wrk failed: $(cat "$RAW/$size-$name.txt")"
  cpu1=$(cpu_ticks "$pid")
  [ -s "$WORK/wrk.env" ] || die "wrk wrote no summary for $name"
  local n
  n=$(grep '^requests=' "$WORK/wrk.env" | cut -d= -f2)
  awk -v t=$((cpu1 - cpu0)) -v hz="$HZ" -v n="$n" -v d="$DURATION" 'BEGIN {
    if (n > 0) printf "cpu_ms_per_req=%.3f\n", t * 1000 / hz / n
    printf "cpu_cores=%.2f\n", t / hz / d }' >> "$WORK/wrk.env"
  sed "s/^/${size}_${name}_/" "$WORK/wrk.env" >> "$RESULTS"
  log "  $name: $(grep '^rps=' "$WORK/wrk.env" | cut -d= -f2) req/s, p99 $(grep '^p99_us=' "$WORK/wrk.env" | cut -d= -f2) µs, $(grep '^cpu_ms_per_req=' "$WORK/wrk.env" | cut -d= -f2) CPU ms/request"
}
HZ=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
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

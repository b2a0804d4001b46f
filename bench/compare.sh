#!/usr/bin/env bash
# natter binaries side by side, in one run, on what the thread-read work changed:
# * uncached reads: GET /api/comments on one long thread (20,000 comments by default), every
#   request a list the thread cache has not answered yet (bench/wrk/uncached.lua), for all
#   sorts in turn and for each sort alone;
# * cached reads of that thread, spelled as the widget spells it and spelled otherwise;
# * creates: 8 clients posting to 100 pages (bench/wrk/create.lua, as bench/run.sh does).
#
#   bench/compare.sh BIN [BIN…]       e.g. a build of an older commit, then this one
#   --comments N                      the thread's size (default 20000)
#   --duration S                      seconds per wrk measurement (default 10)
#
# Each binary gets a database of its own, made by itself, then the same thread is written
# into it with sqlite3 (73 % top-level comments, the rest replies, ~360 characters each).
# Needs wrk, curl, sqlite3. Prints a table; raw wrk output in bench/data/compare/ (not kept
# in git). Compare the server CPU per request more than requests/s: the machine is shared.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
COMMENTS=20000
DURATION=10
BINS=()
die() { echo "compare.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --comments) COMMENTS=${2:-}; shift ;;
    --duration) DURATION=${2:-}; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) BINS+=("$(realpath "$1")") ;;
  esac
  shift
done
[ ${#BINS[@]} -ge 1 ] || die "give at least one natter binary (see --help)"
for tool in wrk curl sqlite3; do command -v "$tool" >/dev/null || die "$tool is missing"; done

WORK=$(mktemp -d)
RAW=$BENCH/data/compare
mkdir -p "$RAW"
PORT=18680
BASE=http://127.0.0.1:$PORT
PAGE=/posts/big/
PAGE_Q=%2Fposts%2Fbig%2F
T0=1700000000
HZ=$(getconf CLK_TCK)
export NATTER_LIMITS__COMMENTS_PER_MINUTE=0 NATTER_LIMITS__READS_PER_MINUTE=0
export NATTER_LIMITS__VOTES_PER_MINUTE=0
unset NATTER_CONFIG NATTER_DATABASE NATTER_BIND NATTER_DURABILITY || true
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

start() { # BIN CONFIG LOG
  "$1" --config "$2" serve >> "$3" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited (see $3)"
    sleep 0.1
  done
  die "no answer within 60 s"
}
stop() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }

# measure N NAME PID ARGS…: one wrk run; prints "rps p50_us p99_us cpu_ms_per_request".
measure() {
  local n=$1 name=$2 pid=$3
  shift 3
  local c0 c1
  c0=$(cpu_ticks "$pid")
  WRK_SUMMARY=$WORK/wrk.env wrk -d"${DURATION}s" --latency "$@" > "$RAW/$n-$name.txt" 2>&1 \
    || die "wrk failed: $(cat "$RAW/$n-$name.txt")"
  c1=$(cpu_ticks "$pid")
  local v
  v() { grep "^$1=" "$WORK/wrk.env" | cut -d= -f2; }
  [ "$(v errors_status)" = 0 ] || die "$name: $(v errors_status) answers were not 2xx/3xx"
  awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$(v requests)" -v rps="$(v rps)" \
    -v p50="$(v p50_us)" -v p99="$(v p99_us)" \
    'BEGIN { printf "%s %s %s %.3f\n", rps, p50, p99, t * 1000 / hz / n }'
}

printf '| binary | measurement | requests/s | p50 µs | p99 µs | server CPU ms/request |\n'
printf '|---|---|---|---|---|---|\n'
n=0
for bin in "${BINS[@]}"; do
  n=$((n + 1))
  dir=$WORK/$n
  mkdir -p "$dir"
  cat > "$dir/natter.toml" <<EOF
bind = "127.0.0.1:$PORT"
database = "$dir/natter.db"
trusted_proxies = ["127.0.0.1"]   # bench/wrk/create.lua sends readers' X-Forwarded-For

[sites.bench]
origins = ["*"]
EOF
  log "$n: $bin: seeding a $COMMENTS-comment thread"
  start "$bin" "$dir/natter.toml" "$dir/natter.log"
  curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"site\":\"bench\",\"page\":\"$PAGE\",\"text\":\"first\"}" "$BASE/api/comments"
  stop
  sqlite3 "$dir/natter.db" <<EOF
BEGIN;
UPDATE comments SET created_at = $T0 - 10;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $COMMENTS - 2),
  first(id, page_id) AS (SELECT id, page_id FROM comments LIMIT 1),
  body(t) AS (SELECT substr(replace(hex(zeroblob(72)), '00', 'lorem '), 1, 360))
INSERT INTO comments (page_id, parent, text, html, status, created_at, likes, dislikes, ip, avatar)
SELECT first.page_id,
       CASE WHEN i % 100 < 27 AND i > 0 THEN first.id + 1 + ((i * 1103515245 + 12345) / 65536) % i END,
       body.t, '<p>' || body.t || '</p>', 'approved', $T0 + i * 10, (i * 31) % 10, (i * 17) % 3,
       '127.0.0.0', 'ab12'
FROM n, first, body;
COMMIT;
EOF
  start "$bin" "$dir/natter.toml" "$dir/natter.log"
  pid=$SERVER_PID
  total=$(curl -fsS "$BASE/api/comments?site=bench&page=$PAGE_Q&limit=1" | sed 's/.*"total":\([0-9]*\).*/\1/')
  [ "$total" = "$COMMENTS" ] || die "the thread has $total comments, not $COMMENTS"

  log "$n: uncached reads"
  export PAGE_Q T0 SPAN=$COMMENTS SPACING=10
  wrk -t1 -c2 -d2s -s "$BENCH/wrk/uncached.lua" "$BASE/" > /dev/null 2>&1 || true
  for SORTS in oldest,newest,top oldest newest top; do
    export SORTS
    r=$(measure "$n" "uncached-${SORTS//,/-}" "$pid" -t1 -c2 -s "$BENCH/wrk/uncached.lua" "$BASE/")
    printf '| %s | uncached, limit 50, `%s` | %s | %s | %s | %s |\n' "$n" "$SORTS" $r
  done

  log "$n: cached reads"
  for spelling in "page=$PAGE_Q" "page=$PAGE"; do
    url="$BASE/api/comments?site=bench&$spelling&limit=200"
    name=cached-widget-spelling
    [ "$spelling" = "page=$PAGE_Q" ] || name=cached-other-spelling
    wrk -t2 -c32 -d2s -H 'Accept-Encoding: gzip' "$url" > /dev/null 2>&1 || true
    r=$(measure "$n" "$name" "$pid" -t2 -c32 -s "$BENCH/wrk/report.lua" \
      -H 'Accept-Encoding: gzip' "$url")
    printf '| %s | cached, limit 200, `%s` | %s | %s | %s | %s |\n' "$n" "$spelling" $r
  done

  log "$n: creates"
  PAGES=100 RUN_ID="warm-$n" wrk -t2 -c8 -d2s -s "$BENCH/wrk/create.lua" "$BASE/" > /dev/null 2>&1 || true
  r=$(PAGES=100 RUN_ID="run-$n" measure "$n" creates "$pid" -t2 -c8 -s "$BENCH/wrk/create.lua" "$BASE/")
  printf '| %s | creates, 8 clients, 100 pages | %s | %s | %s | %s |\n' "$n" $r
  stop
done
printf '\nbinaries: %s\nload average at the end: %s\n' "$(printf '%s ' "${BINS[@]}")" "$(cut -d' ' -f1-3 /proc/loadavg)"

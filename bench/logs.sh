#!/usr/bin/env bash
# The JSON request log's cost, two natter binaries side by side in one run: cached thread
# reads (GET /api/comments, gzip, as bench/run.sh measures them) with NATTER_LOG_FORMAT=json
# and standard error going to a file, so every request writes one log line. Made to compare
# two ways of writing the log (e.g. a build of the commit before a change, then this one).
#
#   bench/logs.sh BIN_A BIN_B        runs A, B, A, B, … and prints each run and B/A ratios
#   --rounds N                       A/B pairs (default 4)
#   --duration S                     seconds per wrk measurement (default 10)
#
# The runs alternate so that a machine whose load drifts hurts both alike; read the ratios
# of each pair and their median, not the absolute figures. Each run starts a fresh server on
# a copy of the same database (one 40-comment thread, seeded through the API by BIN_A),
# warms it for 2 s, then runs `wrk -t2 -c32`. Server CPU per request is user + system time
# of the server process (its log thread included) over the run, ÷ requests. The log of
# each run is checked to hold one line per request wrk made (nothing dropped), then
# deleted (it is ~250 bytes a request) but for its first lines.
# Needs wrk and curl. Raw output in bench/data/logs/ (not kept in git).
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROUNDS=4
DURATION=10
BINS=()
die() { echo "logs.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=${2:-}; shift ;;
    --duration) DURATION=${2:-}; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) BINS+=("$(realpath "$1")") ;;
  esac
  shift
done
[ ${#BINS[@]} -eq 2 ] || die "give two natter binaries, A then B (see --help)"
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || die "--rounds must be a number ≥ 1"
[[ "$DURATION" =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 60 ] \
  || die "--duration must be 1..60 seconds"
for tool in wrk curl; do command -v "$tool" >/dev/null || die "$tool is missing"; done

WORK=$(mktemp -d)
RAW=$BENCH/data/logs
rm -rf "$RAW"
mkdir -p "$RAW"
PORT=18780
BASE=http://127.0.0.1:$PORT
HZ=$(getconf CLK_TCK)
export NATTER_LIMITS__COMMENTS_PER_MINUTE=0 NATTER_LIMITS__READS_PER_MINUTE=0
export NATTER_LIMITS__VOTES_PER_MINUTE=0
unset NATTER_CONFIG NATTER_DATABASE NATTER_BIND NATTER_DURABILITY NATTER_LOG || true
export NATTER_LOG_FORMAT=json
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

write_config() { # DB FILE
  cat > "$2" <<EOF
bind = "127.0.0.1:$PORT"
database = "$1"
public_url = "$BASE"

[sites.bench]
origins = ["*"]
moderation = "none"
EOF
}

start() { # BIN CONFIG LOG
  "$1" --config "$2" serve > "$3" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 600); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited while starting (see $3)"
    sleep 0.1
  done
  die "$BASE did not answer within 60 s"
}

stop() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
}

log "seeding one 40-comment thread with ${BINS[0]}"
write_config "$WORK/seed.db" "$WORK/seed.toml"
start "${BINS[0]}" "$WORK/seed.toml" "$WORK/seed.log"
for i in $(seq 1 40); do
  curl -fsS -o /dev/null -H 'Content-Type: application/json' -X POST "$BASE/api/comments" \
    -d "{\"site\":\"bench\",\"page\":\"/posts/logs/\",\"author\":\"Reader $i\",\"text\":\"Comment number $i, with a few words of *markdown* so the thread has some weight to it.\"}" \
    || die "seeding failed"
done
stop
THREAD="$BASE/api/comments?site=bench&page=%2Fposts%2Flogs%2F&limit=200"

# run LABEL BIN ROUND: one measurement; appends "label round rps p99_us cpu_ms lines" to runs.
run() {
  local label=$1 bin=$2 round=$3
  local db=$WORK/run.db
  rm -f "$db" "$db-wal" "$db-shm"
  cp "$WORK/seed.db" "$db"
  write_config "$db" "$WORK/run.toml"
  local server_log=$WORK/server.log
  start "$bin" "$WORK/run.toml" "$server_log"
  wrk -t2 -c32 -d2s -H 'Accept-Encoding: gzip' "$THREAD" > /dev/null 2>&1 || true
  local before cpu0 cpu1
  before=$(grep -c '"message":"request"' "$server_log" || true)
  cpu0=$(cpu_ticks "$SERVER_PID")
  rm -f "$WORK/wrk.env"
  WRK_SUMMARY=$WORK/wrk.env wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH/wrk/report.lua" \
    -H 'Accept-Encoding: gzip' "$THREAD" > "$RAW/$label-$round.txt" 2>&1 \
    || die "wrk failed: $(cat "$RAW/$label-$round.txt")"
  cpu1=$(cpu_ticks "$SERVER_PID")
  stop
  local n rps p99 errors lines
  n=$(grep '^requests=' "$WORK/wrk.env" | cut -d= -f2)
  rps=$(grep '^rps=' "$WORK/wrk.env" | cut -d= -f2)
  p99=$(grep '^p99_us=' "$WORK/wrk.env" | cut -d= -f2)
  errors=$(awk -F= '/^errors_/ { s += $2 } END { print s + 0 }' "$WORK/wrk.env")
  [ "$errors" -eq 0 ] || die "$label run $round: $errors wrk errors"
  lines=$(( $(grep -c '"message":"request"' "$server_log" || true) - before ))
  # wrk counts the requests it completed; a few more may be in flight when it stops.
  [ "$lines" -ge "$n" ] || die "$label run $round: $n requests but $lines log lines"
  # Keep a sample of the log, not its hundreds of megabytes.
  head -n 20 "$server_log" > "$RAW/$label-$round.log"
  rm -f "$server_log"
  local cpu
  cpu=$(awk -v t=$((cpu1 - cpu0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.4f", t * 1000 / hz / n }')
  echo "$label $round $rps $p99 $cpu $lines" >> "$WORK/runs"
  log "  $label run $round: $rps req/s, p99 $p99 µs, $cpu CPU ms/request, $lines log lines"
}

log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$WORK/runs"
for r in $(seq 1 "$ROUNDS"); do
  run A "${BINS[0]}" "$r"
  run B "${BINS[1]}" "$r"
done
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$WORK/runs" "$RAW/runs.txt"

echo "A = ${BINS[0]}"
echo "B = ${BINS[1]}"
echo "wrk -t2 -c32 -d${DURATION}s, cached thread read (gzip), NATTER_LOG_FORMAT=json to a file"
echo
echo "| pair | A req/s | B req/s | B/A req/s | A CPU ms/req | B CPU ms/req | B/A CPU | A p99 µs | B p99 µs |"
echo "|---|---|---|---|---|---|---|---|---|"
awk '
  $1 == "A" { ar[$2] = $3; ap[$2] = $4; ac[$2] = $5 }
  $1 == "B" { br[$2] = $3; bp[$2] = $4; bc[$2] = $5 }
  END {
    n = 0
    for (r = 1; r in ar; r++) {
      qr = br[r] / ar[r]; qc = bc[r] / ac[r]
      printf "| %d | %.0f | %.0f | %.3f | %.4f | %.4f | %.3f | %d | %d |\n", r, ar[r], br[r], qr, ac[r], bc[r], qc, ap[r], bp[r]
      rr[++n] = qr; cc[n] = qc
    }
    # medians of the per-pair ratios
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
      if (rr[j] < rr[i]) { t = rr[i]; rr[i] = rr[j]; rr[j] = t }
      if (cc[j] < cc[i]) { t = cc[i]; cc[i] = cc[j]; cc[j] = t }
    }
    mr = (n % 2) ? rr[(n + 1) / 2] : (rr[n / 2] + rr[n / 2 + 1]) / 2
    mc = (n % 2) ? cc[(n + 1) / 2] : (cc[n / 2] + cc[n / 2 + 1]) / 2
    printf "\nmedian B/A: req/s %.3f (range %.3f–%.3f), CPU per request %.3f (range %.3f–%.3f)\n", mr, rr[1], rr[n], mc, cc[1], cc[n]
  }' "$WORK/runs"

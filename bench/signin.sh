#!/usr/bin/env bash
# What signing in costs a create: creates with a session (`Authorization: Bearer ns1.…`)
# against anonymous ones, on one server in one run, rounds alternating so that the machine's
# noise falls on both. The session is made in the database as a sign-in would leave it (an
# identity and a session row) and its token signed with the server's key, so no browser is
# needed. Usage: bench/signin.sh [--duration SECONDS] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10
ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "usage: $0 [--duration SECONDS] [--rounds N]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release --locked -q
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/natter"
WORK=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$WORK/natter.toml" <<TOML
bind = "127.0.0.1:$PORT"
database = "$WORK/natter.db"
public_url = "http://localhost:$PORT"
trusted_proxies = ["127.0.0.1"]
[limits]
comments_per_minute = 0
votes_per_minute = 0
reads_per_minute = 0
edits_per_minute = 0
assets_per_minute = 0
[sites.bench]
origins = ["*"]
sign_in = ["passkey"]
TOML
"$BIN" --config "$WORK/natter.toml" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done
TOKEN=$(python3 - "$WORK/natter.db" <<'PY'
import base64, hashlib, hmac, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10)
key = db.execute("SELECT value FROM secrets WHERE name = 'server'").fetchone()[0]
now = int(time.time())
expires = now + 86400
cur = db.execute(
    "INSERT INTO identities (site, provider, subject, name, created_at)"
    " VALUES ('bench', 'passkey', 'bench-subject', 'Bench', ?)", (now,))
identity = cur.lastrowid
cur = db.execute(
    "INSERT INTO sessions (identity_id, site, created_at, expires_at, last_seen_at)"
    " VALUES (?, 'bench', ?, ?, ?)", (identity, now, expires, now))
db.commit()
subject = f"{cur.lastrowid}.{expires}"
mac = hmac.new(key, b"session\0" + subject.encode(), hashlib.sha256).digest()
print("ns1." + subject + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode())
PY
)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$PORT/api/auth/session")
[ "$code" = 200 ] || { echo "the bench session is refused ($code)" >&2; exit 1; }

rps() { # $1: session token or empty; prints requests per second
  SESSION="$1" RUN_ID="$RANDOM$RANDOM" WRK_SUMMARY="$WORK/summary" \
    wrk -t2 -c8 -d"${DURATION}s" -s bench/wrk/create.lua "http://127.0.0.1:$PORT/api/comments" >/dev/null
  grep -q '^errors_status=0$' "$WORK/summary" || { echo "errors: $(cat "$WORK/summary")" >&2; exit 1; }
  sed -n 's/^rps=//p' "$WORK/summary"
}
echo "round  anonymous/s  signed-in/s  ratio"
anon_all=(); signed_all=()
for r in $(seq "$ROUNDS"); do
  a=$(rps ""); s=$(rps "$TOKEN")
  anon_all+=("$a"); signed_all+=("$s")
  printf '%5d  %11s  %11s  %5.2f\n' "$r" "$a" "$s" "$(python3 -c "print($s / $a)")"
done
python3 - "${anon_all[*]}" "${signed_all[*]}" <<'PY'
import statistics, sys
a = [float(x) for x in sys.argv[1].split()]
s = [float(x) for x in sys.argv[2].split()]
print(f"median  {statistics.median(a):11.1f}  {statistics.median(s):11.1f}  "
      f"{statistics.median(s) / statistics.median(a):5.2f}")
PY
signed=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM comments WHERE signed_in IS NOT NULL').fetchone()[0])" "$WORK/natter.db")
echo "signed-in comments stored: $signed"

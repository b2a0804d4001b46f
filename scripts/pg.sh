#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: Debian's `postgresql` package (installed
# when missing), a data directory under a temp folder, a free port on loopback, trust
# authentication for loopback only.
#   scripts/pg.sh start DIR   # prints the URL of the `natter` superuser's `postgres` db
#   scripts/pg.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb and the server refuse to run as root.
  as_pg=(runuser -u postgres --)
fi
case "$cmd" in
start)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "installing postgresql for the PostgreSQL tests" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  mkdir -p "$dir"
  if [ ${#as_pg[@]} -gt 0 ]; then
    chown postgres "$dir"
    # The postgres user must reach it through its parent (a 0700 mktemp -d, say).
    chmod o+x "$(dirname "$dir")"
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U natter --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=1000 -c shared_buffers=64MB" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  echo "postgres://natter@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -d "$dir/data" ] && "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# Runs every test Natter has, installing what the tests need first (Chromium for the
# widget's browser tests). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests talk to Chromium over the DevTools protocol on a pipe, so they need
# Debian's chromium (never a downloaded browser) and node's built-in test runner.
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
# No Docker engine runs in CI; Debian's docker-compose validates the compose file without one.
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
# The PostgreSQL TLS test makes its certificates with openssl (postgresql itself comes
# with scripts/pg.sh).
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} for the browser and container checks"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Protocol peers someone else wrote, from the npm registry at the versions package-lock.json
# pins: @remy/webmention sends Webmentions to the real server (tests/api/webmention_peer.rs);
# @fedify/fedify runs a Fediverse server (tests/peers/fedify) that follows, replies to and
# checks the signatures of the real server (tests/api/fediverse_fedify.rs, the widget's and
# the desk's browser tests); oidc-provider is the OpenID Connect provider commenters sign in
# with (tests/peers/oidc: tests/api/signin_oidc.rs and the widget's sign-in browser test).
npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
export NATTER_REQUIRE_PEERS=1

cargo fmt --all -- --check
# The container set-up: compose file schema, the Dockerfile's build command = the README's.
scripts/check-docker.sh
cargo clippy --locked --all-targets -- -D warnings
# bench/'s two crates are packages of their own (own workspace, own Cargo.lock): formatted
# and linted too, built in the main target directory so that CI caches one directory.
for bench in bench/ceiling bench/client; do
  cargo fmt --manifest-path "$bench/Cargo.toml" --check
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" \
    cargo clippy --manifest-path "$bench/Cargo.toml" --locked --all-targets -- -D warnings
done
# The browser tests drive the real binary.
cargo build --locked
# The Dockerfile's build context alone builds it too.
scripts/check-docker.sh --build
# Widget and admin page in real headless Chromium, plus the widget's pure logic
# (node's built-in runner; no npm packages).
NATTER_BIN="$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')/debug/natter"
NATTER_REQUIRE_BROWSER=1 NATTER_BIN="$NATTER_BIN" node --test widget/test/
# Server: unit tests and the one black-box test binary (real server, real SQLite files;
# the cluster tests and the PostgreSQL unit tests say they skip without a server).
cargo test --locked
# The same black-box suite on PostgreSQL: a throwaway cluster (Debian's postgresql, installed
# when missing), a new database per test, stopped and removed on exit whatever happens.
tmp=$(mktemp -d)
# initdb and the server run as the postgres user when this runs as root: they must reach
# the cluster's directory inside this one.
chmod 755 "$tmp"
trap 'scripts/pg.sh stop "$tmp/pg"; rm -rf "$tmp"' EXIT
pg_url=$(scripts/pg.sh start "$tmp/pg")
# The unit tests again too: those of the PostgreSQL statements (src/store/pg) need a server.
NATTER_TEST_PG="$pg_url" cargo test --locked --lib --test api

#!/usr/bin/env bash
# Checks the container set-up as far as a machine without a Docker engine can:
#  - docker-compose.yml parses and validates against the Compose schema (`docker-compose config`,
#    Debian's docker-compose 1.29, which needs no engine; installed when missing);
#  - the Dockerfile's build command is the README's "From source" command, and the files
#    both of them reference exist;
#  - with --build: the files the Dockerfile copies into its build stage, and nothing else,
#    build the binary (a debug build, sharing this checkout's target directory; the image's
#    release build is the same command with --release).
# The image's command, environment and health check are run for real by the API test
# `container::the_image_s_command_environment_and_health_check_work_with_the_compose_config`.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-docker: $*" >&2; exit 1; }

if ! command -v docker-compose >/dev/null; then
  fail "docker-compose is missing (Debian: apt-get install docker-compose; scripts/test.sh does)"
fi
docker-compose -f docker-compose.yml config -q || fail "docker-compose.yml does not validate"
resolved=$(docker-compose -f docker-compose.yml config)
for want in "restart: unless-stopped" "natter-data:" "/etc/natter/natter.toml" "healthcheck:"; do
  grep -qF "$want" <<<"$resolved" || fail "docker-compose.yml lost '$want'"
done

# The cluster set-up (README "Outgrowing one machine"): PostgreSQL, two nodes, one proxy.
docker-compose -f docker-compose.cluster.yml config -q || fail "docker-compose.cluster.yml does not validate"
cluster=$(docker-compose -f docker-compose.cluster.yml config)
for want in "natter-1:" "natter-2:" "postgres:" "NATTER_DATABASE: postgres://" "condition: service_healthy" \
  "/etc/nginx/conf.d/default.conf" "NATTER_TRUSTED_PROXIES"; do
  grep -qF "$want" <<<"$cluster" || fail "docker-compose.cluster.yml lost '$want'"
done
grep -q "server natter-1:8080" deploy/cluster-nginx.conf && grep -q "server natter-2:8080" deploy/cluster-nginx.conf ||
  fail "deploy/cluster-nginx.conf does not spread over both nodes"

build=$(sed -n 's/^RUN \(cargo build .*\)$/\1/p' Dockerfile)
[ -n "$build" ] || fail "no 'RUN cargo build …' in the Dockerfile"
grep -qxF "$build" README.md || fail "the README's build command is not the Dockerfile's: $build"
grep -q '^FROM .* AS build$' Dockerfile || fail "the Dockerfile is not multi-stage"
# Sources of every COPY from the build context (all words but the last; not --from=…).
context=$(awk '$1 == "COPY" && $2 !~ /^--/ { for (i = 2; i < NF; i++) print $i }' Dockerfile)
for path in $context deploy/natter.toml deploy/cluster-nginx.conf; do
  [ -e "$path" ] || fail "the Dockerfile or compose file needs $path, which is missing"
done
echo "check-docker: docker-compose.yml valid; the Dockerfile builds with the README's command: $build"

if [ "${1:-}" = "--build" ]; then
  root=$PWD
  copy=$(mktemp -d)
  trap 'rm -rf "$copy"' EXIT
  for path in $context; do cp -r "$path" "$copy/"; done
  (cd "$copy" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" \
    cargo build --locked --quiet --bin natter) \
    || fail "the files the Dockerfile copies ($(echo $context)) do not build natter"
  echo "check-docker: the Dockerfile's build context ($(echo $context)) builds natter"
fi

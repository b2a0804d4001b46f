#!/usr/bin/env bash
# Import benchmark: generates a Disqus export with N comments (default 100,000) on 1,000
# threads, a third of them replies, then times `natter import disqus` on a fresh database
# and prints comments/s and peak memory (from GNU time).
#
# Usage: bench/import.sh [N]        (PROFILE=dev to skip the slow release build;
#                                    CARGO_TARGET_DIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
PROFILE="${PROFILE:-release}"

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (Debian package 'time')"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time >/dev/null
fi

cargo build --locked --profile "$PROFILE" --bin natter
dir_name="$PROFILE"; [ "$PROFILE" = dev ] && dir_name=debug
BIN="${CARGO_TARGET_DIR:-target}/$dir_name/natter"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
XML="$WORK/disqus.xml"
awk -v n="$N" 'BEGIN {
  print "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
  print "<disqus xmlns=\"http://disqus.com\" xmlns:dsq=\"http://disqus.com/disqus-internals\">"
  threads = 1000
  for (t = 0; t < threads; t++)
    printf "<thread dsq:id=\"t%d\"><link>https://blog.example/posts/%d/?utm_source=feed</link><title>Post %d</title><isClosed>false</isClosed></thread>\n", t, t, t
  for (i = 0; i < n; i++) {
    t = i % threads
    parent = ""
    if (i >= threads && i % 3 == 0) parent = sprintf("<parent dsq:id=\"%d\"/>", i - threads)
    printf "<post dsq:id=\"%d\"><message><![CDATA[<p>Comment %d with <a href=\"https://example.org/%d\">a link</a> and <b>some</b> text &amp; more text to make it a realistic length.</p>]]></message><createdAt>2020-01-%02dT%02d:%02d:%02dZ</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>Reader %d</name><email>reader%d@example.org</email><isAnonymous>false</isAnonymous></author><ipAddress>198.51.%d.%d</ipAddress><thread dsq:id=\"t%d\"/>%s</post>\n", i, i, i, 1 + int(i / 86400) % 28, int(i / 3600) % 24, int(i / 60) % 60, i % 60, i % 5000, i % 5000, int(i / 256) % 256, i % 256, t, parent
  }
  print "</disqus>"
}' > "$XML"
echo "export: $N comments, $(du -h "$XML" | cut -f1)"

cat > "$WORK/natter.toml" <<TOML
database = "$WORK/natter.db"
[sites.bench]
origins = ["*"]
TOML

start=$(date +%s.%N)
/usr/bin/time -v -o "$WORK/time.txt" "$BIN" --config "$WORK/natter.toml" \
  import disqus "$XML" --site bench > "$WORK/summary.txt" 2>"$WORK/stderr.txt"
end=$(date +%s.%N)
head -1 "$WORK/summary.txt"
imported=$(sqlite3 "$WORK/natter.db" "SELECT count(*) FROM comments" 2>/dev/null || echo "$N")
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
awk -v n="$imported" -v s="$start" -v e="$end" -v kb="$rss_kb" -v p="$PROFILE" 'BEGIN {
  secs = e - s
  printf "imported %d comments in %.1f s: %.0f comments/s, peak RSS %.1f MiB (%s build)\n", n, secs, n / secs, kb / 1024, p
}'

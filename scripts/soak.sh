#!/usr/bin/env bash
# Soak: crossfeed serving feeds, the API and the website to wrk at high concurrency for several
# minutes while ingest runs (a local upstream on 127.0.0.1 whose feeds gain items every few
# seconds). Prints wrk's summary, the error counts and the server's resident memory over time.
#
#   scripts/soak.sh [seconds] [connections]      (defaults: 300 s, 64 connections)
#
# Needs wrk (apt-get install wrk) and a release build (cargo build --release). SQLite by
# default; SOAK_DATABASE_URL=postgres://… to soak on Postgres. Nothing leaves 127.0.0.1.
#
# SOAK_RESTART_POSTGRES=1 (with a Postgres SOAK_DATABASE_URL on this machine) restarts the
# Postgres server half-way through (pg_ctlcluster … restart): requests that need the store fail
# for a moment and the script reports how long until /readyz answered 200 again, with the same
# crossfeed process. Errors are expected then; the run passes when crossfeed recovered on its own
# and no item was lost.
#
# At the end the script checks that nothing was lost: the upstream numbers each feed's items
# 0, 1, 2, …, so every source must hold an unbroken run from 0 to its newest item.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
connections="${2:-64}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
bin="${SOAK_BIN:-target/release/crossfeed}"   # SOAK_BIN=target/profiling/crossfeed for perf
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }

work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${SOAK_KEEP:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$work/upstream"

# The upstream: 20 feeds, each gaining an item every 5 seconds (a writer loop), served by
# Python's http.server on 127.0.0.1.
python3 - "$work/upstream" <<'PY' &
import os, sys, time, datetime
out = sys.argv[1]
topics = ["TikTok Shop 美区", "亚马逊 FBA", "Shopee 大促", "Lazada 佣金", "Temu 半托管"]
n = 0
while True:
    now = datetime.datetime.now(datetime.timezone.utc)
    for f in range(20):
        items = []
        for k in range(max(0, n - 30), n + 1):
            t = topics[(f + k) % len(topics)]
            at = (now - datetime.timedelta(seconds=5 * (n - k))).strftime("%a, %d %b %Y %H:%M:%S +0000")
            items.append(f"<item><guid isPermaLink=\"false\">f{f}-{k}</guid><title>{t} 第{k}期 物流与跨境动态</title>"
                         f"<link>https://soak.example/{f}/{k}</link><pubDate>{at}</pubDate>"
                         f"<description>{t} 相关新规与卖家动态，第 {k} 期。</description></item>")
        doc = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
               f"<title>Soak {f}</title><link>https://soak.example/{f}/</link><description>soak</description>"
               + "".join(items) + "</channel></rss>")
        tmp = os.path.join(out, f".{f}.xml")
        with open(tmp, "w") as fh:
            fh.write(doc)
        os.replace(tmp, os.path.join(out, f"{f}.xml"))
    n += 1
    time.sleep(5)
PY
sleep 1
up_port=18571
python3 -m http.server "$up_port" --bind 127.0.0.1 --directory "$work/upstream" >/dev/null 2>&1 &
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$up_port/0.xml" >/dev/null && break
  sleep 0.1
done

port=18570
db="${SOAK_DATABASE_URL:-sqlite://$work/soak.db}"
{
  echo "server:"
  echo "  listen: \"127.0.0.1:$port\""
  echo "  public_url: \"http://127.0.0.1:$port\""
  echo "database:"
  echo "  url: \"$db\""
  echo "sources:"
  for f in $(seq 0 19); do
    echo "  - id: soak$f"
    echo "    url: http://127.0.0.1:$up_port/$f.xml"
    echo "    schedule: every 1m"
  done
  sed -n '/^topics:/,$p' config/crossfeed.yaml
} > "$work/crossfeed.yaml"

RUST_LOG=warn "$bin" --config "$work/crossfeed.yaml" serve > "$work/serve.log" 2>&1 &
server=$!
ready=""
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && ready=1 && break
  sleep 0.2
done
[ -n "$ready" ] || { echo "crossfeed did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
sleep 5   # the first polls

cat > "$work/paths.lua" <<'LUA'
local paths = {
  "/feeds/tiktok.rss", "/feeds/all.atom", "/feeds/amazon.json", "/feeds/all.rss?dedupe=false",
  "/api/items?limit=20", "/api/hot", "/api/search?q=%E7%89%A9%E6%B5%81", "/api/topics",
  "/", "/topics/tiktok", "/items/1", "/search?q=%E8%B7%A8%E5%A2%83", "/metrics",
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept-Encoding"] = "gzip" })
end
LUA

rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
echo "soak: ${seconds}s, $connections connections, store $db"
echo "memory (RSS, MiB) every 15 s:"
( while kill -0 "$server" 2>/dev/null; do printf ' %s' "$(( $(rss) / 1024 ))"; sleep 15; done ) &
sampler=$!
restarted=""
if [ -n "${SOAK_RESTART_POSTGRES:-}" ]; then
  case "$db" in postgres*) ;; *) echo "SOAK_RESTART_POSTGRES needs a Postgres SOAK_DATABASE_URL" >&2; exit 1 ;; esac
  read -r pg_version pg_cluster _ < <(pg_lsclusters --no-header | head -1)
  (
    sleep $(( seconds / 2 ))
    start=$(date +%s.%N)
    pg_ctlcluster "$pg_version" "$pg_cluster" restart -m fast
    back=""
    for _ in $(seq 1 600); do
      curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && back=1 && break
      sleep 0.1
    done
    end=$(date +%s.%N)
    if [ -n "$back" ]; then
      printf '\nPostgres restarted at %ss; crossfeed ready again after %.1f s\n' \
        "$(( seconds / 2 ))" "$(echo "$end - $start" | bc)"
    else
      printf '\nPostgres restarted; crossfeed NOT ready 60 s later\n'
    fi
  ) > "$work/restart.txt" &
  restarted=1
fi
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/paths.lua" "http://127.0.0.1:$port" | tee "$work/wrk.txt"
kill "$sampler" 2>/dev/null || true
echo
# Where the memory is: heap (anonymous) or mapped files, and how many threads hold heaps.
grep -E "^(VmRSS|RssAnon|RssFile|Threads)" "/proc/$server/status" | tr -s " \t" " " | paste -sd";" -
[ -z "$restarted" ] || cat "$work/restart.txt"
items="$(curl -s "http://127.0.0.1:$port/api/sources" | python3 -c 'import json,sys; print(sum(s["items"] for s in json.load(sys.stdin)["items"]))')"
errors="$(grep -c ' ERROR ' "$work/serve.log" || true)"
non2xx="$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")"
sockerr="$(grep 'Socket errors' "$work/wrk.txt" || true)"
echo "items ingested during the run: $items; server log errors: $errors; non-2xx: ${non2xx:-0}; ${sockerr:-no socket errors}"

# Lost items: each source's guids are f<feed>-0 … f<feed>-<newest>, with no number missing.
gaps_sql="SELECT source_id || ' ' || guid FROM items"
case "$db" in
  postgres*) psql -qAt "$db" -c "$gaps_sql" ;;
  *) python3 -c 'import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]' "${db#sqlite://}" "$gaps_sql" ;;
esac > "$work/guids.txt"
missing="$(python3 - "$work/guids.txt" <<'PY'
import collections, sys
seen = collections.defaultdict(set)
for line in open(sys.argv[1]):
    source, guid = line.split()
    seen[source].add(int(guid.rsplit("-", 1)[1]))
missing = sum(max(ks) + 1 - len(ks) for ks in seen.values())
print(missing)
PY
)"
echo "sources: $(cut -d' ' -f1 "$work/guids.txt" | sort -u | wc -l); items missing from a source's run: $missing"
[ "$missing" = 0 ] || exit 1
if [ -n "$restarted" ]; then
  grep -q "ready again" "$work/restart.txt"
else
  [ -z "$non2xx" ] && [ -z "$sockerr" ] && [ "$errors" = 0 ]
fi

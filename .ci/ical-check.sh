#!/usr/bin/env bash
# External validation of the iCal feeds: starts a demo server (its own
# binary, a temporary SQLite file, a free port), downloads the feed of
# every scope that `-demo` prints, and checks each with three independent
# parsers:
#   1. libical (C, Evolution/KDE) through python3-gi/ICalGLib: parse, then
#      restriction_check; every X-LIC-ERROR property is an error
#   2. ical.js (Mozilla, Thunderbird), pinned in .ci/ical/package.json:
#      parse, resolve TZIDs against the feed's VTIMEZONE and compare the
#      resulting instants with the system's tz database
#   3. khal (Debian's CLI calendar, python icalendar): `khal import --batch`
#      into an empty calendar; any error or warning fails, and the number of
#      imported events must match
# It also checks Content-Type, the strong ETag and the 304 answer.
#
# Usage: .ci/ical-check.sh        (from any directory; exits non-zero on any error)
#
# Needs Go, Node with npm, curl; installs python3-gi, gir1.2-ical-3.0 and
# khal with apt-get when they are missing (as root).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
PY=/usr/bin/python3 # Debian's Python, where python3-gi lives

have_tools() {
  "$PY" -c 'import gi; gi.require_version("ICalGLib", "3.0"); from gi.repository import ICalGLib' 2>/dev/null &&
    command -v khal >/dev/null 2>&1
}
if ! have_tools; then
  echo "    installing python3-gi gir1.2-ical-3.0 khal (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends python3-gi gir1.2-ical-3.0 khal >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3-gi gir1.2-ical-3.0 khal >/dev/null
  fi
  have_tools || { echo "libical binding or khal still missing" >&2; exit 1; }
fi
if [ ! -f .ci/ical/node_modules/.package-lock.json ] ||
  [ .ci/ical/package-lock.json -nt .ci/ical/node_modules/.package-lock.json ]; then
  echo "    installing ical.js (npm ci in .ci/ical)"
  (cd .ci/ical && npm ci --no-audit --no-fund --silent)
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sk-ical.XXXXXX")
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

go build -o "$TMP/sicherkommunal" .
(
  cd "$TMP"
  exec env -u SK_LISTEN -u SK_ADMIN_TOKEN -u SK_PUBLIC_URL \
    SK_DATABASE_URL="sqlite:$TMP/demo.db" SK_SHUTDOWN_TIMEOUT=3s SK_LOG_LEVEL=warn \
    "$TMP/sicherkommunal" -demo -listen 127.0.0.1:0 >"$TMP/server.out" 2>"$TMP/server.log"
) &
SERVER_PID=$!
base=""
for _ in $(seq 1 300); do # up to 30 s
  base=$(sed -n 's/^SicherKOMMUNAL backend on \(http:\/\/[^ ]*\).*/\1/p' "$TMP/server.out" | head -n1)
  if [ -n "$base" ] && [ "$(grep -c 'Calendar feed (' "$TMP/server.out")" -ge 3 ] &&
    curl -fsS -o /dev/null --max-time 2 "$base/healthz" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "demo server exited; its output:" >&2
    cat "$TMP/server.out" "$TMP/server.log" >&2
    exit 1
  fi
  base=""
  sleep 0.1
done
[ -n "$base" ] || { echo "demo server did not start within 30s" >&2; cat "$TMP/server.out" "$TMP/server.log" >&2; exit 1; }
echo "    demo server at $base"

files=()
errors=0
while read -r scope url; do
  f="$TMP/$scope.ics"
  headers=$(curl -fsS -D - -o "$f" "$url")
  ctype=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
  etag=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
  if [ "$ctype" != "text/calendar; charset=utf-8" ]; then
    echo "$scope: Content-Type '$ctype'" >&2; errors=$((errors + 1))
  fi
  case "$etag" in
    \"*\") ;;
    *) echo "$scope: no strong ETag ('$etag')" >&2; errors=$((errors + 1)) ;;
  esac
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")
  if [ "$code" != 304 ]; then
    echo "$scope: If-None-Match answered $code, want 304" >&2; errors=$((errors + 1))
  fi
  echo "    $scope feed: $(grep -c '^BEGIN:VEVENT' "$f" || true) events, $(wc -c <"$f") bytes, ETag $etag, 304 ok"
  files+=("$f")
done < <(sed -n 's/^  Calendar feed (\([A-Z]*\)): \(.*\)$/\1 \2/p' "$TMP/server.out")
if [ "${#files[@]}" -ne 3 ]; then
  echo "want 3 demo feeds, got ${#files[@]}" >&2
  exit 1
fi

echo "==> libical restriction_check"
"$PY" .ci/ical/libical_check.py "${files[@]}" || errors=$((errors + 1))

echo "==> ical.js"
node .ci/ical/check.mjs "${files[@]}" || errors=$((errors + 1))

echo "==> khal import"
for f in "${files[@]}"; do
  k="$TMP/khal-$(basename "$f" .ics)"
  mkdir -p "$k/cal"
  cat >"$k/config" <<KHAL
[calendars]
[[feed]]
path = $k/cal
type = calendar

[locale]
local_timezone = Europe/Berlin
default_timezone = Europe/Berlin
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M

[default]
default_calendar = feed
KHAL
  rc=0
  XDG_DATA_HOME="$k/data" XDG_CONFIG_HOME="$k" khal -c "$k/config" import --batch -a feed "$f" >"$k/out" 2>&1 || rc=$?
  want=$(grep -c '^BEGIN:VEVENT' "$f" || true)
  got=$(find "$k/cal" -name '*.ics' | wc -l)
  problems=$(grep -ciE 'error|warning|traceback' "$k/out" || true)
  echo "khal $(basename "$f"): exit $rc, imported $got of $want events, $problems errors"
  if [ "$rc" -ne 0 ] || [ "$problems" -ne 0 ] || [ "$got" -ne "$want" ]; then
    sed 's/^/  /' "$k/out"
    errors=$((errors + 1))
  fi
done

if [ "$errors" -ne 0 ]; then
  echo "ical-check: FAILED ($errors problems)"
  exit 1
fi
echo "ical-check: all feeds valid (libical, ical.js, khal)"

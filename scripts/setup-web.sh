#!/usr/bin/env bash
# The web chat's browser side: Debian's Chromium for the browser tests (never a downloaded
# browser) and the pinned npm packages in web/ (socket.io-client, which the channel serves
# to the widget, and the test tools playwright-core and axe-core) from web/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-web: /usr/bin/chromium is missing; install Debian's chromium (apt-get install chromium) as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null  # a font for the screenshots
fi

if ! command -v npm >/dev/null; then
  echo "setup-web: npm (Node.js 18 or newer) is needed for the widget's client and tests" >&2
  exit 1
fi
# npm ci only when web/package-lock.json is newer than the last install (npm writes
# node_modules/.package-lock.json when it installs). --ignore-scripts: no package may fetch
# anything more (playwright-core never downloads a browser; Debian's is used).
stamp=web/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ web/package-lock.json -nt "$stamp" ]; then
  (cd web && npm ci --no-audit --no-fund --ignore-scripts)
fi

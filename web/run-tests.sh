#!/usr/bin/env bash
# The web UI's tests, for `make test` and CI: install exactly the locked packages, build the UI
# into web/dist, run the component tests (Vitest) and the end-to-end tests (playwright-core
# driving /usr/bin/chromium against a real `chronicle serve` on an empty SQLite directory).
# Needs Node 20.19+ with npm, Go (or CHRONICLE_BIN=<path of a built chronicle binary>) and
# Debian's chromium package (apt-get install -y chromium; fonts-wqy-microhei or fonts-noto-cjk
# for readable Chinese in screenshots). Any failing step fails the script.
set -euo pipefail
cd "$(dirname "$0")"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ "$chromium" = /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "run-tests.sh: installing Debian's chromium (and a Chinese font for the screenshots)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
# The screenshots in docs/screenshots need a Chinese font (else every character is a box).
if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "run-tests.sh: installing a Chinese font for the screenshots"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 ||
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null) ||
    echo "run-tests.sh: no Chinese font could be installed; screenshots will show boxes" >&2
fi
if [ ! -x "$chromium" ]; then
  echo "run-tests.sh: $chromium is missing (apt-get install -y chromium)" >&2
  exit 1
fi
npm ci --no-audit --no-fund
npm run build
npm test
npm run e2e

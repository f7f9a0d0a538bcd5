#!/usr/bin/env bash
# The browser tests (test/browser, vitest.browser.config.ts) in Debian's Chromium, driven by playwright-core, which
# downloads no browser of its own. Installs the `chromium` package when it is missing and this runs as root with
# apt-get (CI, a fresh machine); otherwise says what to install. CHROMIUM_PATH points at another build.
set -euo pipefail
cd "$(dirname "$0")/.."
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test-browser: installing Debian's chromium package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null \
      || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }
  else
    echo "test-browser: no Chromium at $chromium. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
    exit 1
  fi
fi
export CHROMIUM_PATH="$chromium"
exec npx vitest run --config vitest.browser.config.ts "$@"

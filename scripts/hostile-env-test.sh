#!/usr/bin/env bash
# Runs the suite with every variable the limiter reads exported with a wrong value (scripts/hostile.env). The suite
# must stay green: in-process tests build their config from explicit objects, and every process a test starts gets
# a clean environment. Extra arguments go to vitest (e.g. a few test files).
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
# shellcheck source=hostile.env
. scripts/hostile.env
set +a
exec npm test -- "$@"

#!/usr/bin/env bash
# The suite under load: `npm test` STRESS_RUNS times in a row (10 by default) while a second copy of the suite runs
# beside it in a loop, from a copy of this checkout (so the two never share a file the tests write). Reports each
# run's result and time, and exits non-zero when any run failed. Extra arguments go to vitest in both copies, e.g.
# `STRESS_RUNS=2 scripts/stress-tests.sh test/unit` to try the script itself quickly. Logs stay in the printed dir.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
runs="${STRESS_RUNS:-10}"
logs="$(mktemp -d "${TMPDIR:-/tmp}/stress-tests.XXXXXX")"
beside="$logs/beside-checkout"

mkdir -p "$beside"
tar --exclude=./node_modules --exclude=./.git --exclude=./dist -cf - . | tar -xf - -C "$beside"
ln -s "$root/node_modules" "$beside/node_modules"
# Its own git index too: the deploy tests ask git what .gitignore covers and what is tracked.
(cd "$beside" && git init -q && git add -A)

export LOGS="$logs"
# Its own session (process group), so that stopping it stops every vitest and limiter it started, and nothing else.
setsid bash -c '
  cd "$1" && shift
  n=0
  while :; do
    n=$((n + 1))
    start=$(date +%s)
    if npx vitest run "$@" >"$LOGS/beside-$n.log" 2>&1; then result=pass; else result=FAIL; fi
    echo "beside run $n: $result in $(( $(date +%s) - start )) s" >>"$LOGS/beside.txt"
  done
' beside "$beside" "$@" </dev/null >/dev/null 2>&1 &
beside_pid=$!
stop_beside() {
  kill -- "-$beside_pid" 2>/dev/null
  wait "$beside_pid" 2>/dev/null
}
trap stop_beside EXIT

echo "stress: $runs runs of npm test${*:+ -- $*}, a second copy looping beside it (pid $beside_pid); logs in $logs"
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if npm test -- "$@" >"$logs/run-$i.log" 2>&1; then result=pass; else result=FAIL; failed=$((failed + 1)); fi
  summary=$(grep -a '^tests: ' "$logs/run-$i.log" | tail -n 1)
  echo "run $i/$runs: $result in $(( $(date +%s) - start )) s (${summary:-no summary line}; load $(cut -d' ' -f1 /proc/loadavg))"
done
stop_beside
trap - EXIT
[ -f "$logs/beside.txt" ] && sed 's/^/  /' "$logs/beside.txt"
echo "stress: $((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]

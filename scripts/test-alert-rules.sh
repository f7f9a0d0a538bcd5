#!/usr/bin/env bash
# The operator pictures in ops/: promtool checks the alert rules, runs their unit tests (ops/prometheus/alerts.test.yml)
# and parses every query of the Grafana dashboard. Installs promtool first when it is missing: Debian's and Ubuntu's
# `prometheus` package ships it (/usr/bin/promtool); on other systems install Prometheus' own release.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool is missing and there is no apt-get: install promtool from https://prometheus.io/download/" >&2
    exit 1
  fi
  sudo=''
  if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi
  echo "promtool is missing: installing Debian's prometheus package (it provides promtool)"
  $sudo apt-get update -qq
  # Without recommends: the exporters it suggests are not needed to run promtool.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version | head -n 1

promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts.test.yml

# promtool has no "check this query": the dashboard's queries become recording rules in a scratch file, whose check
# parses each one as Prometheus would.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
npx tsx scripts/dashboardQueryRules.ts ops/grafana/session-limiter.json >"$scratch/dashboard-queries.yml"
promtool check rules "$scratch/dashboard-queries.yml"

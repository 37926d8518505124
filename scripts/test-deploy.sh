#!/usr/bin/env bash
# `make test-deploy`: the deploy test against real containers (tests/deploy/). It needs a
# Docker engine (scripts/docker-engine.sh starts one as root) and docker-compose; the
# images are built FROM $BASE_IMAGE, by default one made here from Debian's packages
# (scripts/build-base-image.sh), since no image registry need be reachable.
# With --if-possible (`make test`), a machine whose engine cannot be started skips it in
# one line.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=0
bash scripts/docker-engine.sh || engine=$?
if [ "$engine" -eq 3 ] && [ "${1:-}" = "--if-possible" ]; then exit 0; fi
[ "$engine" -eq 0 ] || exit 1

command -v docker-compose >/dev/null 2>&1 \
  || { echo "deploy test: needs docker-compose (make test-tools installs it)" >&2; exit 1; }
if [ -z "${BASE_IMAGE:-}" ]; then
  BASE_IMAGE=asyncio-tutor-base:3.11-bookworm
  bash scripts/build-base-image.sh "$BASE_IMAGE"
fi
export BASE_IMAGE
TUTOR_DEPLOY_TEST=1 exec .venv/bin/python -m pytest tests/deploy -s -p no:cacheprovider

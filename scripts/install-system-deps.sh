#!/usr/bin/env bash
# System packages, installed only when missing and when we can (root + apt):
# - required by the sandbox worker: bubblewrap (namespaces), python3-seccomp (filter);
# - optional, for tests: docker-compose, so `docker-compose config` validates our
#   compose file (the test is skipped where it cannot be installed), debootstrap,
#   with which the deploy test builds its base image (scripts/build-base-image.sh), and
#   postgresql, whose initdb the PostgreSQL tests start a throwaway server with
#   (tests/postgres_server.py; the tests use only its programs, never its service).
set -euo pipefail

missing_required=()
command -v bwrap >/dev/null 2>&1 || missing_required+=(bubblewrap)
/usr/bin/python3 -c 'import seccomp' >/dev/null 2>&1 || missing_required+=(python3-seccomp)
missing_optional=()
if [ "${1:-}" = "--with-test-tools" ]; then
  command -v docker-compose >/dev/null 2>&1 || missing_optional+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || missing_optional+=(debootstrap)
  { command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; } \
    || missing_optional+=(postgresql)
fi

can_install() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; }
}

if [ ${#missing_required[@]} -gt 0 ]; then
  if can_install; then
    echo "installing system packages: ${missing_required[*]}"
    apt_install "${missing_required[@]}"
  else
    echo "note: missing ${missing_required[*]}; the sandbox worker will refuse to start without isolation" >&2
  fi
fi
if [ ${#missing_optional[@]} -gt 0 ] && can_install; then
  echo "installing test tools: ${missing_optional[*]}"
  apt_install "${missing_optional[@]}" || echo "note: could not install ${missing_optional[*]}; its test is skipped" >&2
fi
exit 0

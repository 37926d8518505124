#!/usr/bin/env bash
# Builds a base image equivalent to the official python:3.11-slim-bookworm from Debian's
# own packages (debootstrap: Debian 12, python3.11, pip), for machines that reach Debian's
# mirrors and PyPI but no image registry. Both Dockerfiles take it as a build argument:
#
#   sudo scripts/build-base-image.sh                      # tags asyncio-tutor-base:3.11-bookworm
#   BASE_IMAGE=asyncio-tutor-base:3.11-bookworm docker compose up -d --build
#
# Usage: scripts/build-base-image.sh [--force] [TAG]. An existing TAG is kept (every
# debootstrap makes a new image, which would void Docker's layer cache for both images);
# --force rebuilds it. Needs root, debootstrap (apt-get install debootstrap) and a running
# Docker engine. MIRROR overrides the Debian mirror (default: the host's, else
# deb.debian.org).
#
# Trust: the image trusts the host's CA bundle (HOST_CA_BUNDLE, default
# /etc/ssl/certs/ca-certificates.crt) on top of Debian's: where downloads pass a proxy that
# re-signs TLS with its own certificate authority, `pip install` in the image builds must
# trust it as the host does. Only public certificates go in: never a key, a token or a
# proxy password. The official image trusts Debian's CAs only; an image built here also
# trusts whatever the host trusts, so build it on a host whose CA bundle you would accept
# in production, or use the official image there.
set -euo pipefail

force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
tag="${1:-asyncio-tutor-base:3.11-bookworm}"
ca_bundle="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
suite=bookworm

say() { echo "build-base-image: $*"; }
fail() { echo "build-base-image: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null || fail "needs debootstrap: apt-get install debootstrap"
docker info >/dev/null 2>&1 || fail "needs a running Docker engine"
[ -r "$ca_bundle" ] || fail "cannot read the CA bundle $ca_bundle (set HOST_CA_BUNDLE)"

if [ "$force" -eq 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  say "$tag exists (kept; --force rebuilds it)"
  exit 0
fi

mirror="${MIRROR:-$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)[[:space:]]*$/\1/p' \
  /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}"
mirror="${mirror:-http://deb.debian.org/debian}"

rootfs="$(mktemp -d /var/tmp/asyncio-tutor-base.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

say "debootstrap $suite from $mirror (a few minutes)"
debootstrap --variant=minbase \
  --include=ca-certificates,passwd,python3.11,python3-pip,python-is-python3 \
  "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -n 20 "$rootfs.log" >&2; rm -f "$rootfs.log"; fail "debootstrap failed"; }
rm -f "$rootfs.log"

say "trusting the host's CA bundle ($ca_bundle; public certificates only)"
# One file per certificate, as update-ca-certificates expects (it appends each to the
# bundle that OpenSSL, and so Python and Debian's pip, read).
mkdir -p "$rootfs/usr/local/share/ca-certificates/host"
awk -v dir="$rootfs/usr/local/share/ca-certificates/host" '
  /-----BEGIN CERTIFICATE-----/ { n++; out = sprintf("%s/host-%03d.crt", dir, n) }
  out { print > out }
  /-----END CERTIFICATE-----/ { close(out); out = "" }' "$ca_bundle"
chroot "$rootfs" update-ca-certificates >/dev/null 2>&1

# Later `apt-get update` in the Dockerfiles reads the same suite, with security updates.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF
# A Python runtime image, as the official one: pip installs for the whole system (into
# /usr/local), so Debian's "externally managed" guard has nothing to protect here.
rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log

say "importing the root filesystem as $tag"
tar -C "$rootfs" --numeric-owner -c . \
  | docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
    --message "debootstrap $suite + python3.11 + pip (scripts/build-base-image.sh)" - "$tag" \
    >/dev/null
say "done: $(docker run --rm "$tag" python --version) in $tag"

#!/usr/bin/env bash
# Installs what the tests need beyond Go and the services the machine runs,
# from Debian's packages: Chromium for the browser tests (e2e/browser and
# e2e/console), npm, which installs the pinned JavaScript libraries of e2e/js
# and e2e/browser, systemd, whose systemd-analyze checks
# deploy/cognate.service, and the AWS CLI and curl, with which the docs check
# (e2e/docs) runs the README's quick start. It does nothing when all are there, and is safe to run again.
# .ci/run calls it before the tests; installing needs root.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v aws >/dev/null 2>&1 || missing+=(awscli)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: ${missing[*]} missing; run this script as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Read the package lists only when they do not know the packages, and
# again when they are too old to install from.
if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -q
fi
apt-get install -y -q "${missing[@]}" || { apt-get update -q && apt-get install -y -q "${missing[@]}"; }

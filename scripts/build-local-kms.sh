#!/usr/bin/env bash
# Builds local-kms (github.com/nsmithuk/local-kms), an implementation of the
# AWS KMS API that the custom sender tests generate and decrypt data keys
# with, from the Go module proxy into a cache folder, once per version, and
# prints the binary's path. scripts/test.sh exports it as
# COGNATE_LOCAL_KMS; the tests run this script themselves when that is
# unset.
set -euo pipefail
version="v0.0.0-20260228092603-2a5e92d09ab6"
dir="${COGNATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cognate}/local-kms-$version"
bin="$dir/local-kms"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  GOBIN="$dir" GOFLAGS=-mod=mod go install "github.com/nsmithuk/local-kms@$version" >&2
fi
echo "$bin"

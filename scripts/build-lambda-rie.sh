#!/usr/bin/env bash
# Builds AWS's Lambda Runtime Interface Emulator, which the trigger tests
# run their functions under, from the Go module proxy into a cache folder,
# once per version, and prints the binary's path. scripts/test.sh exports
# it as COGNATE_LAMBDA_RIE; the tests run this script themselves when that
# is unset.
set -euo pipefail
version="v0.0.0-20261030222936-bef5c4ba774d"
dir="${COGNATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cognate}/lambda-rie-$version"
bin="$dir/aws-lambda-rie"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  GOBIN="$dir" GOFLAGS=-mod=mod go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$version" >&2
fi
echo "$bin"

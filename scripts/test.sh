#!/usr/bin/env bash
# Runs every test of cognate. This is the README's test command; CI runs it
# through .ci/run. Skipped tests are listed with their reasons at the end.
#
# PostgreSQL: the tests use COGNATE_TEST_POSTGRES_DSN when it is set. When it
# is not, this script looks for a server on 127.0.0.1:5432 (database "test")
# and uses it if one answers. With COGNATE_REQUIRE_POSTGRES=1 (set by CI) a
# missing server fails the run instead of skipping those tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${COGNATE_TEST_POSTGRES_DSN:-}" ]; then
  for dsn in "postgres://postgres@127.0.0.1:5432/test?sslmode=disable" \
             "postgres://root@127.0.0.1:5432/test?sslmode=disable"; do
    if go run ./internal/storage/postgres/pgprobe "$dsn" >/dev/null 2>&1; then
      export COGNATE_TEST_POSTGRES_DSN="$dsn"
      break
    fi
  done
fi
if [ -z "${COGNATE_TEST_POSTGRES_DSN:-}" ]; then
  if [ "${COGNATE_REQUIRE_POSTGRES:-}" = "1" ]; then
    echo "PostgreSQL is required (COGNATE_REQUIRE_POSTGRES=1) but none answered on 127.0.0.1:5432" >&2
    exit 1
  fi
  echo "################################################################"
  echo "## PostgreSQL not found: the PostgreSQL tests will be SKIPPED ##"
  echo "################################################################"
fi

go vet ./...

# Every Go file as gofmt writes it.
unformatted="$(gofmt -l cmd internal e2e)"
if [ -n "$unformatted" ]; then
  echo "not formatted with gofmt (run gofmt -w on them):" >&2
  echo "$unformatted" >&2
  exit 1
fi

# The trigger tests run their functions under AWS's Lambda Runtime Interface
# Emulator, built here from the module proxy (once per version).
COGNATE_LAMBDA_RIE="$(./scripts/build-lambda-rie.sh)"
export COGNATE_LAMBDA_RIE
# The custom sender tests encrypt codes with local-kms, an implementation
# of the AWS KMS API, built the same way.
COGNATE_LOCAL_KMS="$(./scripts/build-local-kms.sh)"
export COGNATE_LOCAL_KMS

# go test -json through testreport: the same output as plain go test (an
# "ok" line per package, the output of failed tests, a closing FAIL), plus
# a loud line for each package with skipped tests and, at the end, every
# skipped test with its reason. The exit status is go test's (pipefail).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/testreport" ./internal/testreport
go test -count=1 -timeout 20m -json "$@" ./... | "$tmp/testreport"

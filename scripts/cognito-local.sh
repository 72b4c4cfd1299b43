#!/usr/bin/env bash
# Installs cognito-local (the npm package) and runs it in the foreground on
# 127.0.0.1, for `cognate bench --compare`. See docs/bench.md.
#
#   scripts/cognito-local.sh            # port 9329, files under ~/.cache/cognate/cognito-local
#   COGNITO_LOCAL_PORT=9400 COGNITO_LOCAL_DIR=/tmp/cl scripts/cognito-local.sh
#
# cognito-local keeps its pools as JSON files under $COGNITO_LOCAL_DIR/.cognito/db;
# delete that folder for a fresh start. Its default config makes email the
# username attribute; the config written here sets UsernameAttributes to []
# so it accepts plain usernames as cognate and Cognito do by default.
set -euo pipefail

version="${COGNITO_LOCAL_VERSION:-5.3.0}"
port="${COGNITO_LOCAL_PORT:-9329}"
dir="${COGNITO_LOCAL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cognate/cognito-local}"

mkdir -p "$dir/.cognito"
cd "$dir"
if [ ! -x node_modules/.bin/cognito-local ] || ! grep -q "\"version\": \"$version\"" node_modules/cognito-local/package.json 2>/dev/null; then
	[ -f package.json ] || echo '{"private": true}' >package.json
	npm install --no-audit --no-fund --save-exact "cognito-local@$version" >&2
fi
cat >.cognito/config.json <<JSON
{
  "UserPoolDefaults": { "UsernameAttributes": [] },
  "ServerConfig": { "hostname": "127.0.0.1", "port": $port }
}
JSON
echo "cognito-local $version on http://127.0.0.1:$port (any credentials; region local)" >&2
PORT="$port" exec node_modules/.bin/cognito-local

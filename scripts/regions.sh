#!/usr/bin/env bash
# Runs three cognate regions on this machine, replicating every pool to
# one another (docs/regions.md): us-east-1, eu-west-1 and ap-southeast-2 on
# ports 9231, 9232 and 9233, one data directory each under
# ./cognate-regions, through a NATS server with JetStream that the first
# region embeds (on 127.0.0.1:9230), or the one COGNATE_REPLICATION_NATS_URL
# names.
#
#   scripts/regions.sh            # start, wait until all are ready, print the
#                                 # endpoints and the admin key; Ctrl-C stops all
#   scripts/regions.sh --detach   # the same, and leave them running
#   scripts/regions.sh stop       # stop the regions a --detach left running
#
# The secrets every region shares (the encryption key, the admin key pair)
# are generated on the first run into ./cognate-regions/secrets.env, unless
# COGNATE_ENCRYPTION_KEY, COGNATE_ACCESS_KEY_ID and
# COGNATE_SECRET_ACCESS_KEY set them; the issuer is the first region's URL
# unless COGNATE_ISSUER_BASE_URL sets it. COGNATE_REGIONS_DIR moves the
# directory, COGNATE_REGIONS_BASE_PORT the ports (base, base+1, base+2;
# the embedded NATS server listens on base-1). It needs Go and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${COGNATE_REGIONS_DIR:-./cognate-regions}
BASE=${COGNATE_REGIONS_BASE_PORT:-9231}
REGIONS=(us-east-1 eu-west-1 ap-southeast-2)
PEERS=$(IFS=,; echo "${REGIONS[*]}")

stop_all() {
  local r pid
  for r in "${REGIONS[@]}"; do
    [ -f "$DIR/$r.pid" ] || continue
    pid=$(cat "$DIR/$r.pid")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for r in "${REGIONS[@]}"; do
    [ -f "$DIR/$r.pid" ] || continue
    pid=$(cat "$DIR/$r.pid")
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$DIR/$r.pid"
  done
}

detach=0
case "${1:-}" in
  stop) stop_all; echo "stopped"; exit 0 ;;
  --detach) detach=1 ;;
  "") ;;
  *) echo "usage: $0 [--detach | stop]" >&2; exit 2 ;;
esac
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }
for r in "${REGIONS[@]}"; do
  if [ -f "$DIR/$r.pid" ] && kill -0 "$(cat "$DIR/$r.pid")" 2>/dev/null; then
    echo "region $r is already running (pid $(cat "$DIR/$r.pid")); run $0 stop first" >&2
    exit 1
  fi
done

mkdir -p "$DIR"
chmod 700 "$DIR"
# The shared secrets, generated once for the directory.
if [ ! -f "$DIR/secrets.env" ]; then
  umask 077
  {
    echo "GEN_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)"
    echo "GEN_ACCESS_KEY_ID=AKIA$(LC_ALL=C tr -dc 'A-Z0-9' </dev/urandom | head -c 16)"
    echo "GEN_SECRET_ACCESS_KEY=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40)"
  } >"$DIR/secrets.env"
fi
# shellcheck disable=SC1091
. "$DIR/secrets.env"
export COGNATE_ENCRYPTION_KEY=${COGNATE_ENCRYPTION_KEY:-$GEN_ENCRYPTION_KEY}
export COGNATE_ACCESS_KEY_ID=${COGNATE_ACCESS_KEY_ID:-$GEN_ACCESS_KEY_ID}
export COGNATE_SECRET_ACCESS_KEY=${COGNATE_SECRET_ACCESS_KEY:-$GEN_SECRET_ACCESS_KEY}
export COGNATE_ISSUER_BASE_URL=${COGNATE_ISSUER_BASE_URL:-http://localhost:$BASE}
export COGNATE_REPLICATION_PEERS=$PEERS
export COGNATE_DATABASE_URL=sqlite

echo "building cognate"
go build -o "$DIR/cognate" ./cmd/cognate

NATS=${COGNATE_REPLICATION_NATS_URL:-}
[ $detach = 1 ] || trap 'stop_all' EXIT INT TERM
for i in "${!REGIONS[@]}"; do
  r=${REGIONS[$i]}
  port=$((BASE + i))
  if [ -z "$NATS" ] && [ "$i" = 0 ]; then
    nats_env=(COGNATE_REPLICATION_NATS_URL=embedded COGNATE_REPLICATION_EMBEDDED_LISTEN="127.0.0.1:$((BASE - 1))")
  else
    nats_env=(COGNATE_REPLICATION_NATS_URL="${NATS:-nats://127.0.0.1:$((BASE - 1))}")
  fi
  env COGNATE_REGION="$r" "${nats_env[@]}" \
    "$DIR/cognate" serve --listen "127.0.0.1:$port" --data-dir "$DIR/$r" >"$DIR/$r.log" 2>&1 &
  echo $! >"$DIR/$r.pid"
  # Each region waits for the one before: the first one serves NATS.
  ok=0
  for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$(cat "$DIR/$r.pid")" 2>/dev/null || break
    sleep 0.1
  done
  if [ $ok != 1 ]; then
    echo "region $r did not become ready; its log, $DIR/$r.log:" >&2
    tail -20 "$DIR/$r.log" >&2
    exit 1
  fi
done

echo
for i in "${!REGIONS[@]}"; do
  printf '  %-15s http://localhost:%d   (log %s/%s.log)\n' "${REGIONS[$i]}" $((BASE + i)) "$DIR" "${REGIONS[$i]}"
done
echo
echo "  admin key:  AWS_ACCESS_KEY_ID=$COGNATE_ACCESS_KEY_ID"
echo "              AWS_SECRET_ACCESS_KEY=$COGNATE_SECRET_ACCESS_KEY"
echo "  issuer:     $COGNATE_ISSUER_BASE_URL/<pool ID>"
echo
if [ $detach = 1 ]; then
  echo "running; stop them with: $0 stop"
  exit 0
fi
echo "running; Ctrl-C stops all three"
wait

#!/usr/bin/env bash
# Runs the cognate bench measurements that docs/performance.md records, one
# named run at a time, and leaves each run's JSON report (and a short log of
# start-up time and idle memory) in OUT. See docs/performance.md for what each
# run is and docs/bench.md for the bench itself.
#
#   scripts/bench-record.sh OUT RUN...
#
# Runs:
#   sqlite10k    SQLite, 10,000 users, every scenario at 1, 8 and 32 workers,
#                beside cognito-local (scripts/cognito-local.sh) in the same run;
#                then, on the same server, user-srp-totp-auth at 1 and 8 workers
#                in a pool of its own with TOTP on (NAME.totp.json)
#   pg10k        the same on PostgreSQL, beside cognito-local
#   sqlite100k   SQLite, 100,000 users: start-up, idle memory, reads, password
#                sign-in and both ListUsers at 1 and 8 workers
#   sqlite1m     the same at 1,000,000 users
#   pg1m         the same on PostgreSQL at 1,000,000 users
#
# Environment:
#   COGNATE_BIN      a built cognate binary (default: built into OUT from this tree)
#   PG_URL           PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
#                    each PostgreSQL run gets a fresh schema named after it
#   CL_DIR           where cognito-local keeps its install and pools (default OUT/cognito-local)
#   CL_PID           the process ID of a cognito-local already serving on 127.0.0.1:9329 (the
#                    node process): the runs compare with it and leave it running, instead of
#                    starting one on CL_DIR and stopping it after each run
#   CL_POOL          an existing cognito-local pool already holding bench-user-0000000… (10,000
#                    of them, with the bench's password); without it the bench creates the users
#                    there through the API, which takes cognito-local about ten minutes
#   DURATION         each scenario's time at each concurrency (default 10s)
#   TOTP_DURATION    user-srp-totp-auth's time at each concurrency (default 2s: each TOTP code is
#                    accepted once, so over longer runs its rate measures the users' codes)
#   PORT             the port cognate listens on (default 9229); cognito-local uses 9329
#
# Each JSON report also holds, per scenario and concurrency, the server's own
# handling time of each operation (p50 and p99, from its /metrics histogram;
# docs/bench.md), which the ListUsers goal of docs/performance.md is read from.
#
# Every run measures a server it starts itself from an empty store (bulk-loaded
# by `cognate bench --load-users`), with its request-rate limits off, and
# stops it at the end. Nothing else should be running on the machine.
set -euo pipefail

if [ $# -lt 2 ]; then
	sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
fi
out=$(mkdir -p "$1" && cd "$1" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
cl_dir=${CL_DIR:-$out/cognito-local}
duration=${DURATION:-10s}
totp_duration=${TOTP_DURATION:-2s}
port=${PORT:-9229}
endpoint=http://127.0.0.1:$port

for tool in jq curl; do
	command -v "$tool" >/dev/null || { echo "bench-record: $tool is required" >&2; exit 1; }
done

bin=${COGNATE_BIN:-}
if [ -z "$bin" ]; then
	bin=$out/cognate
	(cd "$root" && go build -o "$bin" ./cmd/cognate)
fi

export COGNATE_ACCESS_KEY_ID=AKIABENCH0000001 COGNATE_SECRET_ACCESS_KEY=bench-secret-0000000001
export COGNATE_RATE_LIMITS_ENABLED=false

server=""
# cl is the cognito-local this script started (its process group), cl_pid
# the one the runs measure.
cl=""
cl_pid=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[ -n "$cl" ] && kill -- -"$cl" 2>/dev/null
	true
}
trap cleanup EXIT

# fresh_schema NAME prints the DSN of a new, empty schema NAME.
fresh_schema() {
	command -v psql >/dev/null || { echo "bench-record: psql is required for PostgreSQL runs" >&2; exit 1; }
	psql -q "$pg_url" -c "DROP SCHEMA IF EXISTS $1 CASCADE; CREATE SCHEMA $1" >&2
	case $pg_url in
	*\?*) echo "$pg_url&search_path=$1" ;;
	*) echo "$pg_url?search_path=$1" ;;
	esac
}

# start_server DIR DATABASE starts cognate, waits until it is ready and
# records the time that took and its idle memory five seconds later.
start_server() {
	local dir=$1 db=$2 name=$3 t0 t1
	t0=$(date +%s%N)
	"$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" --database "$db" >"$out/$name.server.log" 2>&1 &
	server=$!
	until curl -sf "$endpoint/ready" >/dev/null; do
		kill -0 "$server" 2>/dev/null || { echo "bench-record: the server exited, see $out/$name.server.log" >&2; exit 1; }
		sleep 0.005
	done
	t1=$(date +%s%N)
	sleep 5
	{
		echo "startup_ms=$(((t1 - t0) / 1000000))"
		echo "idle_rss_kib=$(ps -o rss= -p "$server" | tr -d ' ')"
	} >"$out/$name.startup"
}

stop_server() {
	kill "$server"
	wait "$server" 2>/dev/null || true
	server=""
}

start_cognito_local() {
	if [ -n "${CL_PID:-}" ]; then
		kill -0 "$CL_PID" 2>/dev/null || { echo "bench-record: CL_PID $CL_PID is not running" >&2; exit 1; }
		curl -s -o /dev/null http://127.0.0.1:9329/ || { echo "bench-record: nothing answers on 127.0.0.1:9329 (CL_PID $CL_PID)" >&2; exit 1; }
		cl_pid=$CL_PID
		return
	fi
	if curl -s -o /dev/null http://127.0.0.1:9329/; then
		echo "bench-record: something already answers on 127.0.0.1:9329; set CL_PID to compare with that cognito-local, or stop it" >&2
		exit 1
	fi
	COGNITO_LOCAL_DIR=$cl_dir setsid "$root/scripts/cognito-local.sh" >"$out/cognito-local.log" 2>&1 &
	cl=$!
	cl_pid=$cl
	until curl -s -o /dev/null http://127.0.0.1:9329/; do
		kill -0 "$cl" 2>/dev/null || { echo "bench-record: cognito-local exited, see $out/cognito-local.log" >&2; exit 1; }
		sleep 0.2
	done
}

# load NAME USERS DATABASE bulk-loads USERS users into a new store and prints the pool ID.
load() {
	local dir=$out/$1.data
	rm -rf "$dir" && mkdir -p "$dir"
	"$bin" bench --load-users "$2" --data-dir "$dir" --database "$3" --json --quiet | jq -r .pool_id
	# Write the load out now, so that the kernel does not flush gigabytes of
	# it in the background while the server is measured.
	sync
}

# compared NAME DATABASE: every scenario at 1, 8 and 32 workers on 10,000
# users, then the same on cognito-local; then user-srp-totp-auth, which
# runs only when named and needs a pool with TOTP on (the bench makes one
# when it is not given --pool), on the same server.
compared() {
	local name=$1 db=$2 pool compare_pool=()
	pool=$(load "$name" 10000 "$db")
	start_cognito_local
	[ -n "${CL_POOL:-}" ] && compare_pool=(--compare-pool "$CL_POOL")
	start_server "$out/$name.data" "$db" "$name"
	"$bin" bench --endpoint "$endpoint" --pool "$pool" --users 10000 --server-pid "$server" \
		--duration "$duration" --compare http://127.0.0.1:9329 --compare-server-pid "$cl_pid" "${compare_pool[@]}" \
		--json >"$out/$name.json"
	"$bin" bench --endpoint "$endpoint" --users 32 --server-pid "$server" --scenarios user-srp-totp-auth \
		--concurrency 1,8 --duration "$totp_duration" --json >"$out/$name.totp.json"
	stop_server
	if [ -n "$cl" ]; then
		kill -- -"$cl" 2>/dev/null || true
		cl=""
	fi
}

# scaled NAME USERS DATABASE: reads, password sign-in and ListUsers at 1 and 8 workers.
scaled() {
	local name=$1 users=$2 db=$3 pool
	pool=$(load "$name" "$users" "$db")
	start_server "$out/$name.data" "$db" "$name"
	"$bin" bench --endpoint "$endpoint" --pool "$pool" --users "$users" --server-pid "$server" \
		--concurrency 1,8 --duration "$duration" \
		--scenarios admin-get-user,get-user,user-password-auth,list-users,list-users-prefix --json >"$out/$name.json"
	stop_server
}

for run in "$@"; do
	echo "bench-record: $run" >&2
	case $run in
	sqlite10k) compared sqlite10k sqlite ;;
	pg10k) compared pg10k "$(fresh_schema bench_pg10k)" ;;
	sqlite100k) scaled sqlite100k 100000 sqlite ;;
	sqlite1m) scaled sqlite1m 1000000 sqlite ;;
	pg1m) scaled pg1m 1000000 "$(fresh_schema bench_pg1m)" ;;
	*) echo "bench-record: unknown run $run" >&2; exit 2 ;;
	esac
done

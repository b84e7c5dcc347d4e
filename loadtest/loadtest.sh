#!/usr/bin/env bash
# Reproducible load run for issue 12 (see README "Load test"). It builds
# Switchboard and the list-page ceiling, creates a fresh PostgreSQL database
# (dropped on exit), seeds 100,000 integrations, measures with wrk and
# pgbench, and prints one table. Everything it starts is stopped on exit.
#
# Environment: LOADTEST_PG (admin URL of the PostgreSQL server, default
# postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable),
# LOADTEST_DURATION (per run, default 10s), LOADTEST_ROUNDS (default 3),
# LOADTEST_PORT (default 18080).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
pg_admin=${LOADTEST_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
duration=${LOADTEST_DURATION:-10s}
rounds=${LOADTEST_ROUNDS:-3}
port=${LOADTEST_PORT:-18080}
ceiling_port=$((port + 10))
sqlite_port=$((port + 20))
addr=127.0.0.1:$port
base=http://$addr

for tool in wrk pgbench psql sqlite3 curl go openssl; do
	command -v "$tool" >/dev/null || { echo "loadtest: $tool is missing (apt-get install wrk postgresql-client sqlite3 curl)" >&2; exit 2; }
done

# A server already on one of the ports would answer for ours.
for p in "$port" "$ceiling_port" "$sqlite_port"; do
	if curl -fs -o /dev/null "http://127.0.0.1:$p/healthz"; then
		echo "loadtest: something already answers on 127.0.0.1:$p (set LOADTEST_PORT)" >&2
		exit 2
	fi
done

work=$(mktemp -d /tmp/switchboard-loadtest.XXXXXX)
dbname=loadtest_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
db_url=${pg_admin%%\?*}
db_url=${db_url%/*}/$dbname?sslmode=disable
pids=()
db_created=

cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$db_created" ]; then
		psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== %s\n' "$*" >&2; }

# wait_healthz URL: poll until /healthz answers 200 (30 s at most).
wait_healthz() {
	local i
	for i in $(seq 1 3000); do
		curl -fs -o /dev/null "$1/healthz" && return 0
		sleep 0.01
	done
	echo "loadtest: $1/healthz never answered; server log:" >&2
	tail -n 20 "$work"/*.log >&2 || true
	exit 1
}

# start_server NAME RATE_LIMIT: start Switchboard on PostgreSQL in the background.
start_server() {
	SWITCHBOARD_DATABASE_URL=$db_url SWITCHBOARD_MASTER_KEY=$master_key \
		"$work/switchboard" serve --addr "$addr" --api-rate-limit "$2" >"$work/$1.log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
	wait_healthz "$base"
}

stop_server() {
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null || true
}

# field KEY FILE: a key=value from a wrk RESULT line.
field() { grep '^RESULT' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# run_wrk NAME CONNECTIONS SCRIPT URL: one wrk run, its RESULT line kept in NAME.out.
run_wrk() {
	LOADTEST_DIR=$here LOADTEST_RUN=$1 wrk -t2 -c"$2" -d"$duration" -s "$here/$3" "$4" >"$work/$1.out" 2>&1 ||
		{ cat "$work/$1.out" >&2; exit 1; }
	grep -q '^RESULT' "$work/$1.out" || { cat "$work/$1.out" >&2; exit 1; }
	log "$1: $(grep '^RESULT' "$work/$1.out")"
}

# sign_in BASE: sign the admin in on BASE and export its cookie (LOADTEST_COOKIE).
sign_in() {
	local jar=$work/cookies-$RANDOM.txt csrf status
	csrf=$(curl -fs -c "$jar" -b "$jar" "$1/sign-in" | grep -o 'name="_csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')
	[ -n "$csrf" ] || { echo "loadtest: no CSRF token on $1/sign-in" >&2; exit 1; }
	status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" --data-urlencode "email=$admin_email" \
		--data-urlencode "password=$admin_password" --data-urlencode "_csrf=$csrf" "$1/sign-in")
	[ "$status" = 303 ] || [ "$status" = 302 ] || { echo "loadtest: sign-in on $1 answered $status" >&2; exit 1; }
	LOADTEST_COOKIE=$(awk -F'\t' 'NF >= 7 && $1 !~ /^#/ || $1 ~ /^#HttpOnly_/ {print $6 "=" $7}' "$jar" | paste -sd';' - | sed 's/;/; /g')
	export LOADTEST_COOKIE
}

# run_pages PREFIX BASE TEAM DEEP_LIST DEEP_AUDIT: the first, filtered and
# deep keyset pages of the list and the audit log, at 4 connections
# (latency, not throughput), kept as PREFIX-NAME.out.
page_names=(list-first list-filtered list-deep audit-first audit-filtered audit-deep)
run_pages() {
	local paths=("/integrations" "/integrations?status=disabled&team=$3" "/integrations?before=$4"
		"/audit" "/audit?team=$3&action=integration.revoke" "/audit?cursor=$5") i
	for i in "${!page_names[@]}"; do
		# A new cookie each run: one a minute old is re-issued (encoded
		# again, with a Set-Cookie) on every request, as wrk never takes it.
		sign_in "$2"
		LOADTEST_PATH=${paths[$i]} run_wrk "$1-${page_names[$i]}" 4 list.lua "$2"
	done
}

log "building switchboard and the ceiling page"
(cd "$repo" && go build -trimpath -o "$work/switchboard" ./cmd/switchboard && go build -trimpath -o "$work/ceiling" ./loadtest/ceiling)

# --- start-up and idle memory on SQLite -------------------------------
log "start to /healthz and idle RSS on SQLite"
mkdir "$work/sqlite"
start_ns=$(date +%s%N)
SWITCHBOARD_DATABASE_URL=sqlite:$work/sqlite/sb.db "$work/switchboard" serve --addr "127.0.0.1:$sqlite_port" >"$work/sqlite-first.log" 2>&1 &
sqlite_pid=$!
pids+=("$sqlite_pid")
wait_healthz "http://127.0.0.1:$sqlite_port"
first_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
kill "$sqlite_pid"; wait "$sqlite_pid" 2>/dev/null || true
start_ns=$(date +%s%N)
SWITCHBOARD_DATABASE_URL=sqlite:$work/sqlite/sb.db "$work/switchboard" serve --addr "127.0.0.1:$sqlite_port" >"$work/sqlite.log" 2>&1 &
sqlite_pid=$!
pids+=("$sqlite_pid")
wait_healthz "http://127.0.0.1:$sqlite_port"
restart_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
sleep 3
idle_rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$sqlite_pid/status")
kill "$sqlite_pid"; wait "$sqlite_pid" 2>/dev/null || true

# --- PostgreSQL database, admin, team, token, seed ----------------------
log "creating database $dbname"
psql -q "$pg_admin" -c "CREATE DATABASE $dbname" >/dev/null
db_created=1
master_key=$(openssl rand -base64 32)
export SWITCHBOARD_DATABASE_URL=$db_url SWITCHBOARD_MASTER_KEY=$master_key
"$work/switchboard" migrate >"$work/migrate.log" 2>&1
admin_email=admin@loadtest.invalid
admin_password=$(openssl rand -hex 16)
printf '%s\n' "$admin_password" | "$work/switchboard" users create --email "$admin_email" --role admin --password-stdin >/dev/null
team_id=$("$work/switchboard" teams create --slug loadtest --name 'Load test')
api_token=$("$work/switchboard" tokens create --team loadtest --name wrk)
unset SWITCHBOARD_DATABASE_URL SWITCHBOARD_MASTER_KEY
admin_id=$(psql -Atq "$db_url" -c "SELECT id FROM users WHERE email = '$admin_email'")
token_id=$(psql -Atq "$db_url" -c "SELECT id FROM api_tokens LIMIT 1")

log "seeding 100,000 integrations"
psql -q -v ON_ERROR_STOP=1 -v team="$team_id" -v admin="$admin_id" -f "$here/seed.sql" "$db_url" >/dev/null

# A service account token as 1Password issues them: ops_ and URL-safe
# base64 (no padding) of a JSON payload with the fields the parser checks.
payload='{"signInAddress":"my.1password.com","userAuth":{"method":"SRPg-4096","alg":"PBES2g-HS256","iterations":650000,"salt":"bG9hZHRlc3Q"},"email":"wrk@loadtest.invalid","srpX":"0d2a6f6d1f1e4a4c9b7d","muk":{"alg":"A256GCM","ext":true,"k":"bG9hZHRlc3Qta2V5","key_ops":["encrypt","decrypt"],"kty":"oct","kid":"mp"},"secretKey":"A3-LOADTS-TWRKXX-ABCDE-FGHIJ-KLMNO-PQRST","throttleSecret":{"seed":"00","uuid":"loadtest"},"deviceUuid":"loadtestdeviceuuid000000"}'
export LOADTEST_OPS_TOKEN="ops_$(printf '%s' "$payload" | base64 -w0 | tr '+/' '-_' | tr -d '=')"
export LOADTEST_API_TOKEN=$api_token

# --- rounds: each work next to its ceiling --------------------------------
# The machine's speed drifts by a third from minute to minute (other tenants
# of the host), so each ratio is taken within one round, the work run right
# next to its ceiling, and the table shows the round with the median ratio
# (all rounds' ratios are printed under it).

# start_ceiling [ARGS...]: the ceiling page on ceiling_port.
start_ceiling() {
	"$work/ceiling" --addr "127.0.0.1:$ceiling_port" --rows 50 "$@" >>"$work/ceiling.log" 2>&1 &
	ceiling_pid=$!
	pids+=("$ceiling_pid")
	wait_healthz "http://127.0.0.1:$ceiling_port"
}

secs=${duration%s}
for r in $(seq 1 "$rounds"); do
	log "round $r of $rounds: create, rate limiter on (limit raised so the run is not refused)"
	start_server "sb-limit-$r" 100000000
	if [ "$r" = 1 ]; then
		check=$(curl -s -o /dev/null -w '%{http_code}' -H "anchor-api-key: $api_token" -H 'Content-Type: application/json' \
			-d "{\"name\":\"curl-check\",\"type\":\"1PASSWORD\",\"credentials\":{\"type\":\"serviceAccount\",\"data\":{\"serviceAccount\":\"$LOADTEST_OPS_TOKEN\"}}}" "$base/v1/integrations")
		[ "$check" = 200 ] || [ "$check" = 201 ] || { echo "loadtest: a single create answered $check" >&2; exit 1; }
	fi
	run_wrk "create-limit-$r" 16 create.lua "$base"
	stop_server

	log "round $r: pgbench ceiling"
	pgbench -n -M prepared -c 16 -j 2 -T "$secs" -D team="$team_id" -D token="$token_id" -f "$here/pgbench_create.sql" "$db_url" >"$work/pgbench-$r.out" 2>&1 ||
		{ cat "$work/pgbench-$r.out" >&2; exit 1; }
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench-$r.out" | head -n1)
	pg_lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/pgbench-$r.out")
	pg_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench-$r.out")
	log "pgbench-$r: tps=$tps latency avg=${pg_lat} ms failed=${pg_failed:-0}"

	log "round $r: create, rate limiter off"
	start_server "sb-nolimit-$r" 0
	run_wrk "create-nolimit-$r" 16 create.lua "$base"

	log "round $r: signed-in list page"
	sign_in "$base"
	if [ "$r" = 1 ]; then
		list_check=$(curl -s -H "Cookie: $LOADTEST_COOKIE" "$base/integrations")
		# Table rows without the header row.
		rows=$(( $(printf '%s' "$list_check" | grep -o '<tr[ >]' | wc -l) - 1 ))
		printf '%s' "$list_check" | grep -qE 'seed-|wrk-' || { echo "loadtest: the list page shows no integrations (not signed in?)" >&2; exit 1; }
		log "list page: $rows table rows, $(printf '%s' "$list_check" | wc -c) bytes"
	fi
	run_wrk "list-$r" 64 list.lua "$base"
	stop_server

	# The bare page; then the same page reading its 50 rows with the list
	# page's query on every request: what any design that reads the page
	# per request can reach.
	log "round $r: ceiling pages"
	start_ceiling
	run_wrk "list-ceiling-$r" 64 list.lua "http://127.0.0.1:$ceiling_port"
	kill "$ceiling_pid"; wait "$ceiling_pid" 2>/dev/null || true
	start_ceiling --database "$db_url"
	run_wrk "list-ceiling-db-$r" 64 list.lua "http://127.0.0.1:$ceiling_port"
	kill "$ceiling_pid"; wait "$ceiling_pid" 2>/dev/null || true
done

# --- page latency on PostgreSQL ---------------------------------------------
log "pages on PostgreSQL"
start_server sb-pages 0
# The deep cursors are 90,000 rows down.
deep_list=$(psql -Atq "$db_url" -c "SELECT (extract(epoch FROM created_at) * 1000000)::bigint || '.' || id FROM integrations ORDER BY created_at DESC, id DESC OFFSET 90000 LIMIT 1")
deep_audit=$(psql -Atq "$db_url" -c "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z|\"') || id FROM audit_events ORDER BY at DESC, id DESC OFFSET 90000 LIMIT 1" |
	tr -d '\n' | base64 -w0 | tr '+/' '-_' | tr -d '=')
run_pages pg "$base" "$team_id" "$deep_list" "$deep_audit"
stop_server

# --- (e) the same pages on SQLite -------------------------------------
log "SQLite: a new database with 100,000 integrations and audit events"
sq_url=sqlite:$work/sqlite-pages/sb.db
mkdir "$work/sqlite-pages"
export SWITCHBOARD_DATABASE_URL=$sq_url SWITCHBOARD_MASTER_KEY=$master_key
"$work/switchboard" migrate >"$work/sqlite-migrate.log" 2>&1
printf '%s\n' "$admin_password" | "$work/switchboard" users create --email "$admin_email" --role admin --password-stdin >/dev/null
sq_team=$("$work/switchboard" teams create --slug loadtest --name 'Load test')
unset SWITCHBOARD_DATABASE_URL SWITCHBOARD_MASTER_KEY
sq_db=$work/sqlite-pages/sb.db
sq_admin=$(sqlite3 "$sq_db" "SELECT id FROM users WHERE email = '$admin_email'")
sed -e "s/@TEAM@/$sq_team/g" -e "s/@ADMIN@/$sq_admin/g" "$here/seed_sqlite.sql" | sqlite3 -bail "$sq_db"
# Cursors from the seeded text: seconds since the epoch and the six-digit fraction.
sq_deep_list=$(sqlite3 "$sq_db" "SELECT (strftime('%s', substr(created_at, 1, 19)) * 1000000 + CAST(substr(created_at, 21, 6) AS INTEGER)) || '.' || id
	FROM integrations ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 90000")
sq_deep_audit=$(sqlite3 "$sq_db" "SELECT replace(substr(at, 1, 19), ' ', 'T') || '.' || substr(at, 21, 6) || 'Z|' || id
	FROM audit_events ORDER BY at DESC, id DESC LIMIT 1 OFFSET 90000" | tr -d '\n' | base64 -w0 | tr '+/' '-_' | tr -d '=')
SWITCHBOARD_DATABASE_URL=$sq_url SWITCHBOARD_MASTER_KEY=$master_key \
	"$work/switchboard" serve --addr "127.0.0.1:$sqlite_port" >"$work/sqlite-pages.log" 2>&1 &
sqlite_pid=$!
pids+=("$sqlite_pid")
wait_healthz "http://127.0.0.1:$sqlite_port"
sign_in "http://127.0.0.1:$sqlite_port"
sq_check=$(curl -s -H "Cookie: $LOADTEST_COOKIE" "http://127.0.0.1:$sqlite_port/integrations?before=$sq_deep_list")
printf '%s' "$sq_check" | grep -q 'seed-0900' || { echo "loadtest: the deep SQLite page does not show row 90,000's neighbours" >&2; exit 1; }
run_pages sqlite "http://127.0.0.1:$sqlite_port" "$sq_team" "$sq_deep_list" "$sq_deep_audit"
kill "$sqlite_pid"; wait "$sqlite_pid" 2>/dev/null || true

# --- the table --------------------------------------------------------
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%", 100 * a / b }'; }
num() { awk -v a="$1" 'BEGIN { printf "%.0f", a }'; }
tps_of() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench-$1.out" | head -n1; }
lat_of() { sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/pgbench-$1.out"; }
# ceiling_of KIND ROUND: the ceiling's rate for a work kind in a round.
ceiling_of() {
	case $1 in
	create-limit | create-nolimit) tps_of "$2" ;;
	list) field rps "$work/list-ceiling-$2.out" ;;
	list-db) field rps "$work/list-ceiling-db-$2.out" ;;
	esac
}
work_of() { case $1 in list-db) echo list ;; *) echo "$1" ;; esac; }
# ratios KIND: every round's ratio, "ratio round" lines in ratio order.
ratios() {
	local r
	for r in $(seq 1 "$rounds"); do
		awk -v a="$(field rps "$work/$(work_of "$1")-$r.out")" -v b="$(ceiling_of "$1" "$r")" -v r="$r" 'BEGIN { printf "%.4f %d\n", a / b, r }'
	done | sort -n
}
# median KIND: the round with the median ratio.
median() { ratios "$1" | sed -n "$(( (rounds + 1) / 2 ))p" | cut -d' ' -f2; }
# all KIND: every round's ratio in round order, as "r1 51 %, r2 …".
all() { ratios "$1" | sort -k2 -n | awk '{ printf "%sr%d %.0f %%", (NR > 1 ? ", " : ""), $2, 100 * $1 }'; }
row() { # KIND LABEL CEILING_TEXT (with the median round's ceiling filled in)
	local r out
	r=$(median "$1")
	out=$work/$(work_of "$1")-$r.out
	printf '| %s | %s req/s, p99 %s ms, %s errors (%s timeouts) | %s | %s (round %s; %s) |\n' "$2" "$(num "$(field rps "$out")")" \
		"$(field p99_ms "$out")" "$(field errors "$out")" "$(field timeouts "$out")" "$(printf "$3" "$(num "$(ceiling_of "$1" "$r")")" "$r")" \
		"$(pct "$(field rps "$out")" "$(ceiling_of "$1" "$r")")" "$r" "$(all "$1")"
}
echo
echo "Load test $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d" " -f1-3 /proc/loadavg), $(nproc) cores, $(psql -Atq "$db_url" -c 'SHOW server_version'), wrk -t2 -d$duration, $rounds rounds, 100,000 integrations seeded"
echo
echo "| work | Switchboard (the median round) | ceiling in the same round | ratio (every round) |"
echo "|---|---|---|---|"
row create-limit "Anchor-shaped 1Password create, rate limiter on, 16 connections" "pgbench, the same two INSERTs in one transaction, 16 clients: %s tps (round %s)"
row create-nolimit "the same with the limiter off" "pgbench: %s tps (round %s)"
row list "signed-in integrations list page ($rows rows), 64 connections" "bare Fiber + templ page of 50 table rows: %s req/s (round %s)"
row list-db "the same" "the bare page reading its 50 rows with the list query on every request: %s req/s (round %s)"
echo
for r in $(seq 1 "$rounds"); do
	printf 'round %s: pgbench %s tps (avg %s ms); bare page %s req/s, p99 %s ms; bare page reading its rows %s req/s, p99 %s ms\n' "$r" "$(num "$(tps_of "$r")")" "$(lat_of "$r")" \
		"$(num "$(field rps "$work/list-ceiling-$r.out")")" "$(field p99_ms "$work/list-ceiling-$r.out")" \
		"$(num "$(field rps "$work/list-ceiling-db-$r.out")")" "$(field p99_ms "$work/list-ceiling-db-$r.out")"
done
echo
echo "| page (100,000 rows, 4 connections) | PostgreSQL req/s, p50, p99 | SQLite req/s, p50, p99 | errors |"
echo "|---|---|---|---|"
for name in "${page_names[@]}"; do
	cell() { printf '%s, %s ms, %s ms' "$(num "$(field rps "$work/$1.out")")" "$(field p50_ms "$work/$1.out")" "$(field p99_ms "$work/$1.out")"; }
	printf '| %s | %s | %s | %s |\n' "$name" "$(cell "pg-$name")" "$(cell "sqlite-$name")" "$(( $(field errors "$work/pg-$name.out") + $(field errors "$work/sqlite-$name.out") ))"
done
echo
printf 'Limiter cost, by round: '
for r in $(seq 1 "$rounds"); do
	awk -v a="$(field rps "$work/create-limit-$r.out")" -v b="$(field rps "$work/create-nolimit-$r.out")" -v r="$r" 'BEGIN { printf "%sr%d %.0f %%", (r > 1 ? ", " : ""), r, 100 * (1 - a / b) }'
done
echo " of the create throughput (the two runs have pgbench between them: compare with the rounds' spread)"
echo "SQLite: start to /healthz ${first_ms} ms on a new database (migrations included), ${restart_ms} ms on a restart; idle RSS $((idle_rss_kb / 1024)) MB ($idle_rss_kb kB)"

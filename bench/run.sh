#!/usr/bin/env bash
# bench/run.sh — airt's command-line benchmarks (BENCHMARKS.md reports them).
#
#   ./bench/run.sh [SECTION...]     (make bench: all sections)
#
# Sections: start read import (importhash: only its password_hash part)
# create memory sync scale size (store files after an import and a push:
# SIZE_N users; SIZE_STATS is a command run on each file, e.g. 'bin/airt
# store check --db'). Each prints its figures
# and appends "name<TAB>median seconds<TAB>runs" lines to $BENCH_OUT/summary.tsv
# (default bench/out/). Timings use hyperfine when it is installed
# (apt-get install hyperfine), else a loop that takes the median.
# Environment: AIRT (binary, default bin/airt, built if missing),
# RUNS (repetitions of the fast commands, default 30), CREATES (number of
# separate `airt user create` processes, default 1000), MEM_ROWS (rows of
# the memory test, default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
AIRT=${AIRT:-$ROOT/bin/airt}
OUT=${BENCH_OUT:-$ROOT/bench/out}
RUNS=${RUNS:-30}
CREATES=${CREATES:-1000}
MEM_ROWS=${MEM_ROWS:-1000000}
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airt-bench.XXXXXX")
PGSTOP=()
# Servers started in the background, and the PostgreSQL cluster of the scale
# section, stop with the script, also when a step fails.
cleanup() {
	set +e # a trap under set -e stops at the first failure
	local jobs
	jobs=$(jobs -p)
	[ -n "$jobs" ] && kill $jobs 2>/dev/null && wait 2>/dev/null
	[ ${#PGSTOP[@]} -gt 0 ] && "${PGSTOP[@]}" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
# Keep Go's caches where they are before HOME moves.
export GOPATH GOMODCACHE GOCACHE
GOPATH=$(go env GOPATH) GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)
export AIRT_KEYRING=file HOME=$WORK/home XDG_DATA_HOME=$WORK/data NO_COLOR=1
unset AIRT_DB AIRT_SERVICE_TOKEN
[ -x "$AIRT" ] || go build -o "$AIRT" .
go build -o "$WORK/gen" ./bench/gen
GEN=$WORK/gen

log() { printf '\n== %s\n' "$*" >&2; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" | tee -a "$OUT/summary.tsv"; }

# bench NAME RUNS PREPARE CMD — times CMD (a shell command) RUNS times,
# running PREPARE (or "") before each run, and records the median.
bench() {
	local name=$1 runs=$2 prepare=$3 cmd=$4
	if command -v hyperfine >/dev/null; then
		local args=(--runs "$runs" --export-json "$OUT/$name.json" --style basic)
		[ -n "$prepare" ] && args+=(--prepare "$prepare")
		[ "$runs" -ge 5 ] && args+=(--warmup 2)
		hyperfine "${args[@]}" -n "$name" "$cmd" >&2
		record "$name" "$(python3 -c 'import json,sys; print("%.6f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$OUT/$name.json")" "$runs"
	else
		local times=() i s e
		for ((i = 0; i < runs; i++)); do
			[ -n "$prepare" ] && bash -c "$prepare"
			s=$(date +%s%N)
			bash -c "$cmd" >/dev/null
			e=$(date +%s%N)
			times+=($((e - s)))
		done
		record "$name" "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.6f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)/1e9}')" "$runs"
	fi
}

# store N: a store of N users built by importing password_hash rows (no
# hashing); prints its path. The token of "admin" is in $WORK/token-N.
store() {
	local n=$1 db=$WORK/s$1/airt.db
	if [ ! -f "$db" ]; then
		"$GEN" -n "$n" -hash >"$WORK/hash-$n.csv"
		AIRT_DB=$db "$AIRT" user import -q "$WORK/hash-$n.csv" 2>/dev/null
		AIRT_DB=$db "$AIRT" token -u admin -p 'admin password' -q >"$WORK/token-$n"
	fi
	echo "$db"
}

section_start() {
	log "process start: airt --version and user details against a hello-world Go binary and one that only links phonenumbers"
	mkdir -p "$WORK/hello"
	printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' >"$WORK/hello/main.go"
	(cd "$WORK/hello" && go mod init hello >/dev/null 2>&1 && go build -o "$WORK/hello/hello" .)
	go build -o "$WORK/phoneonly" ./bench/phoneonly
	bench start.hello "$RUNS" "" "$WORK/hello/hello"
	bench start.phonenumbers-only "$RUNS" "" "$WORK/phoneonly"
	bench start.airt-version "$RUNS" "" "$AIRT --version"
	local db
	db=$(store 10000)
	bench start.airt-details "$RUNS" "" "AIRT_DB=$db AIRT_SERVICE_TOKEN=$(cat "$WORK/token-10000") $AIRT user details -u user0009998"
}

section_read() {
	for n in 10000 100000; do
		log "reads on a store of $n users (offset 0 and the end)"
		local db last
		db=$(store "$n")
		last=$(printf 'user%07d' $((n - 2)))
		export AIRT_DB=$db AIRT_SERVICE_TOKEN
		AIRT_SERVICE_TOKEN=$(cat "$WORK/token-$n")
		bench "details.first.$n" "$RUNS" "" "$AIRT user details -u admin"
		bench "details.last.$n" "$RUNS" "" "$AIRT user details -u $last"
		bench "ls.offset0.$n" "$RUNS" "" "$AIRT user ls -l 100"
		bench "ls.end.$n" "$RUNS" "" "$AIRT user ls -o $((n - 100)) -l 100"
		unset AIRT_DB AIRT_SERVICE_TOKEN
	done
}

section_importhash() {
	log "import of 10,000 users with password_hash (no hashing)"
	"$GEN" -n 10000 -hash >"$WORK/hash-10000.csv"
	local db=$WORK/imp/airt.db
	mkdir -p "$WORK/imp"
	bench import.hash.10000 "${HASH_RUNS:-10}" "rm -f $db $db.keyring" "AIRT_DB=$db $AIRT user import -q $WORK/hash-10000.csv"
}

section_import() {
	section_importhash
	local db=$WORK/imp/airt.db

	log "import of 10,000 users with passwords (argon2id on all cores)"
	"$GEN" -n 10000 >"$WORK/pass-10000.csv"
	log "... side by side with its floor: 10,000 argon2id hashes over NumCPU goroutines (go test -bench HashFloor -benchtime 10000x)"
	(cd "$ROOT" && go test -c -o "$WORK/bench.test" ./bench)
	# Alternate the two so that a change in the machine's load hits both.
	local i
	for i in $(seq 1 "${IMPORT_RUNS:-1}"); do
		bench "import.password.10000.run$i" 1 "rm -f $db $db.keyring" "AIRT_DB=$db $AIRT user import -q $WORK/pass-10000.csv"
		bench "floor.hash.10000.run$i" 1 "" "$WORK/bench.test -test.run '^\$' -test.bench HashFloor -test.benchtime 10000x"
	done
}

section_create() {
	log "$CREATES separate 'airt user create' processes (each hashes one password)"
	local db=$WORK/create/airt.db
	mkdir -p "$WORK/create"
	cat >"$WORK/creates.sh" <<-SH
		#!/usr/bin/env bash
		set -e
		rm -f $db $db.keyring
		export AIRT_DB=$db
		$AIRT user create -un admin -fn Ada -ln Admin -e admin@example.com -p 'admin password' -st large -su -q >/dev/null
		export AIRT_SERVICE_TOKEN=\$($AIRT token -u admin -p 'admin password' -q)
		for i in \$(seq 1 $CREATES); do
			$AIRT user create -un "c\$i" -fn C -ln "L\$i" -e "c\$i@example.com" -p "password \$i" -st small -q >/dev/null
		done
	SH
	chmod +x "$WORK/creates.sh"
	bench "create.processes.$CREATES" 1 "" "$WORK/creates.sh"
}

section_memory() {
	log "peak memory (max RSS) of importing $MEM_ROWS password_hash rows, and of 10,000 rows"
	local db=$WORK/mem/airt.db
	mkdir -p "$WORK/mem"
	for n in 10000 "$MEM_ROWS"; do
		"$GEN" -n "$n" -hash >"$WORK/mem-$n.csv"
		rm -f "$db" "$db.keyring"
		local s e
		s=$(date +%s%N)
		/usr/bin/time -v env AIRT_DB="$db" "$AIRT" --debug user import -q "$WORK/mem-$n.csv" 2>"$WORK/mem-$n.log" || { cat "$WORK/mem-$n.log" >&2; return 1; }
		e=$(date +%s%N)
		grep -E 'debug: (pass|memory)|Maximum resident|Elapsed' "$WORK/mem-$n.log" >&2
		record "memory.maxrss_kib.$n" "$(awk '/Maximum resident/ {print $6}' "$WORK/mem-$n.log")" 1
		record "memory.wall.$n" "$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f", (e - s) / 1e9}')" 1
		ls -l "$db" >&2
	done
}

section_sync() {
	log "sync: 10,000 queued changes pushed to a local server, pulled by another store; a pull of 10 changes from a server of 100,000 users"
	if ! "$AIRT" sync --help >/dev/null 2>&1 || ! "$AIRT" server --help >/dev/null 2>&1; then
		echo "pending: sync not merged yet (this airt has no 'sync'/'server' command)" >&2
		record sync.pending NA 0
		return 0
	fi
	local pids=()
	# serve DB NAME: starts `airt server` on DB, sets $URL.
	serve() {
		rm -f "$WORK/$2.addr"
		"$AIRT" --db "$1" server --listen 127.0.0.1:0 --addr-file "$WORK/$2.addr" 2>"$WORK/$2.log" &
		pids+=($!)
		for _ in $(seq 1 300); do [ -s "$WORK/$2.addr" ] && break; sleep 0.1; done
		URL=$(cat "$WORK/$2.addr")
	}
	login() { AIRT_DB=$1 "$AIRT" token -s "$URL" -u admin -p 'admin password' -q >/dev/null; }
	# more10 DB NAME: writes $WORK/more10-NAME.sh, which makes 10 new users
	# in store DB (logged in to the server) and pushes them.
	more10() {
		echo 0 >"$WORK/next-$2"
		cat >"$WORK/more10-$2.sh" <<-SH
			#!/usr/bin/env bash
			set -e
			n=\$(cat $WORK/next-$2); echo \$((n + 10)) >$WORK/next-$2
			$GEN -n 10 -hash -no-admin -start \$((500000 + n)) >$WORK/more10-$2.csv
			AIRT_DB=$1 $AIRT user import -q $WORK/more10-$2.csv 2>/dev/null
			AIRT_DB=$1 $AIRT sync >/dev/null
		SH
		chmod +x "$WORK/more10-$2.sh"
	}

	# 1. 10,000 queued changes (an import of password_hash rows) pushed to
	# a server of one user, then pulled by a second store.
	local srv=$WORK/sync/srv.db a=$WORK/sync/a.db b=$WORK/sync/b.db
	mkdir -p "$WORK/sync"
	AIRT_DB=$srv "$AIRT" user create -un admin -fn Ada -ln Admin -e admin@example.com -p 'admin password' -st large -su -q >/dev/null
	serve "$srv" srv
	login "$a"
	local n=${SYNC_N:-10000} big_n=${SYNC_BIG:-100000}
	"$GEN" -n "$n" -hash -no-admin >"$WORK/sync-$n.csv"
	AIRT_DB=$a "$AIRT" user import -q "$WORK/sync-$n.csv" 2>/dev/null
	bench "sync.push.$n" 1 "" "AIRT_DB=$a $AIRT sync"
	# A server login (token -s) pulls the directory; time it, then the
	# first sync.
	bench "sync.login-pull.$n" 1 "" "AIRT_DB=$b $AIRT token -s $URL -u admin -p 'admin password' -q"
	bench "sync.after-login.$n" 1 "" "AIRT_DB=$b $AIRT sync"
	more10 "$a" small
	bench "sync.pull10.of$n" "${SYNC_RUNS:-10}" "$WORK/more10-small.sh" "AIRT_DB=$b $AIRT sync"
	bench "sync.nothing.of$n" "$RUNS" "" "AIRT_DB=$b $AIRT sync"

	# 2. A server of 100,000 users (imported offline into its store, then
	# served); a store that pulled them all pulls 10 new changes, each run
	# after another store pushed 10 new users (untimed).
	local big=$WORK/sync/big.db c=$WORK/sync/c.db d=$WORK/sync/d.db
	"$GEN" -n "$big_n" -hash >"$WORK/sync-$big_n.csv"
	AIRT_DB=$big "$AIRT" user import -q "$WORK/sync-$big_n.csv" 2>/dev/null
	serve "$big" big
	bench "sync.login-pull.$big_n" 1 "" "AIRT_DB=$c $AIRT token -s $URL -u admin -p 'admin password' -q"
	bench "sync.after-login.$big_n" 1 "" "AIRT_DB=$c $AIRT sync"
	login "$d"
	more10 "$d" big
	bench "sync.pull10.of$big_n" "${SYNC_RUNS:-10}" "$WORK/more10-big.sh" "AIRT_DB=$c $AIRT sync"
	bench "sync.nothing.of$big_n" "$RUNS" "" "AIRT_DB=$c $AIRT sync"
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}

section_size() {
	local n=${SIZE_N:-10000}
	log "store size: $n users imported into a client store, pushed to a server, pulled by a second client"
	local pids=() dir=$WORK/size
	mkdir -p "$dir"
	AIRT_DB=$dir/srv.db "$AIRT" user create -un admin -fn Ada -ln Admin -e admin@example.com -p 'admin password' -st large -su -q >/dev/null
	"$AIRT" --db "$dir/srv.db" server --listen 127.0.0.1:0 --addr-file "$dir/addr" 2>"$dir/srv.log" &
	pids+=($!)
	for _ in $(seq 1 300); do [ -s "$dir/addr" ] && break; sleep 0.1; done
	local url
	url=$(cat "$dir/addr")
	AIRT_DB=$dir/a.db "$AIRT" token -s "$url" -u admin -p 'admin password' -q >/dev/null
	"$GEN" -n "$n" -hash -no-admin >"$dir/users.csv"
	AIRT_DB=$dir/a.db "$AIRT" user import -q "$dir/users.csv" 2>/dev/null
	record "size.client_before_push.$n" "$(stat -c %s "$dir/a.db")" 1
	AIRT_DB=$dir/a.db "$AIRT" sync >/dev/null
	AIRT_DB=$dir/b.db "$AIRT" token -s "$url" -u admin -p 'admin password' -q >/dev/null
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	local f
	for f in srv a b; do
		record "size.$f.$n" "$(stat -c %s "$dir/$f.db")" 1
		record "size.$f.per_user" "$(($(stat -c %s "$dir/$f.db") / n))" 1
		if [ -n "${SIZE_STATS:-}" ]; then $SIZE_STATS "$dir/$f.db" >&2 || true; fi
	done
}

# pg_start: a throw-away PostgreSQL cluster in $WORK/pg (unix socket only,
# defaults otherwise: fsync on), run as the postgres user when we are root;
# sets $PGBASE (URL without database) and $PGQ (its query).
# AIRT_BENCH_POSTGRES=postgres://USER@HOST (no database) uses that server.
# pg_db NAME: creates database NAME, prints its URL.
pg_start() {
	PSQL=(psql)
	if [ -n "${AIRT_BENCH_POSTGRES:-}" ]; then PGBASE=$AIRT_BENCH_POSTGRES PGQ=""; return; fi
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$bin/initdb" ] || { echo "no PostgreSQL (apt-get install postgresql)" >&2; return 1; }
	local as=() owner
	owner=$(id -un)
	mkdir -p "$WORK/pg"
	if [ "$(id -u)" = 0 ]; then chown postgres "$WORK/pg"; chmod 755 "$WORK"; as=(runuser -u postgres --); owner=postgres; fi
	"${as[@]}" "$bin/initdb" -D "$WORK/pg/data" -U "$owner" -A trust -E UTF8 >/dev/null
	"${as[@]}" "$bin/pg_ctl" start -D "$WORK/pg/data" -w -l "$WORK/pg/log" \
		-o "-c listen_addresses='' -c unix_socket_directories=$WORK/pg -c max_connections=200" >/dev/null
	PGSTOP=("${as[@]}" "$bin/pg_ctl" stop -D "$WORK/pg/data" -m fast)
	PGBASE="postgres://$owner@" PGQ="?host=$WORK/pg"
	[ -x "$bin/psql" ] && PSQL=("$bin/psql")
}
pg_db() {
	"${PSQL[@]}" -q "$PGBASE/postgres$PGQ" -c "CREATE DATABASE $1" >/dev/null
	echo "$PGBASE/$1$PGQ"
}

section_scale() {
	log "scale: push of 10,000 queued changes (bbolt and PostgreSQL servers) against the local import of the same rows; 8 stores x 1,000 through 1 and 2 PostgreSQL processes; pull of 10 changes from 10,000 and 100,000 users, bbolt and PostgreSQL"
	pg_start || { record scale.pending NA 0; return 0; }
	local pids=() n=${SCALE_N:-10000} big_n=${SCALE_BIG:-100000} per=${SCALE_PER:-1000}
	local d=$WORK/scale
	mkdir -p "$d"
	# serve NAME ARGS…: starts `airt server ARGS…`, sets $URL.
	serve() {
		local name=$1
		shift
		rm -f "$d/$name.addr"
		"$AIRT" server --listen 127.0.0.1:0 --addr-file "$d/$name.addr" "$@" 2>"$d/$name.log" >/dev/null &
		pids+=($!)
		# A bbolt store served for the first time records every user as a
		# change first: minutes for 100,000 users on a loaded machine.
		for _ in $(seq 1 6000); do [ -s "$d/$name.addr" ] && break; sleep 0.1; done
		URL=$(cat "$d/$name.addr")
	}
	# bootstrap DB: a server store with one admin.
	bootstrap() { AIRT_DB=$1 "$AIRT" user create -un admin -fn Ada -ln Admin -e admin@example.com -p 'admin password' -st large -su -q >/dev/null; }
	login() { AIRT_DB=$1 "$AIRT" token -s "$2" -u admin -p 'admin password' -q >/dev/null; }
	# pgserver NAME BOLTDB: migrates BOLTDB into a new database NAME, sets $PGURL.
	pgserver() {
		PGURL=$(pg_db "$1")
		"$AIRT" server migrate --from "$2" --to "$PGURL" --key-file "$d/$1.key" >/dev/null
	}

	# SCALE_PARTS picks parts: push multi pull (default all three).
	local parts=" ${SCALE_PARTS:-push multi pull} "
	# 1. The same 10,000 password_hash rows: imported locally, and queued in a
	# store then pushed, to a bbolt server and to a PostgreSQL one.
	if [[ $parts == *" push "* ]]; then
	"$GEN" -n "$n" -hash -no-admin >"$d/rows.csv"
	bootstrap "$d/local.db"
	AIRT_DB=$d/local.db "$AIRT" token -u admin -p 'admin password' -q >/dev/null
	bench "scale.import.$n" 1 "" "AIRT_DB=$d/local.db $AIRT user import -q $d/rows.csv 2>/dev/null"
	bootstrap "$d/bolt.db"
	bootstrap "$d/pgsrc.db"
	pgserver push "$d/pgsrc.db"
	serve bolt --db "$d/bolt.db"
	login "$d/a-bolt.db" "$URL"
	AIRT_DB=$d/a-bolt.db "$AIRT" user import -q "$d/rows.csv" 2>/dev/null
	bench "scale.push.$n.bolt" 1 "" "AIRT_DB=$d/a-bolt.db $AIRT sync"
	serve pg --db "$PGURL" --key-file "$d/push.key"
	login "$d/a-pg.db" "$URL"
	AIRT_DB=$d/a-pg.db "$AIRT" user import -q "$d/rows.csv" 2>/dev/null
	bench "scale.push.$n.pg" 1 "" "AIRT_DB=$d/a-pg.db $AIRT sync"
	fi

	# 2. 8 stores push $per queued creates each at once: through one
	# PostgreSQL process, then (a fresh database) through two.
	local procs
	for procs in 1 2; do
		[[ $parts == *" multi "* ]] || break
		bootstrap "$d/m$procs.db"
		pgserver "multi$procs" "$d/m$procs.db"
		local urls=() i
		serve "multi$procs-1" --db "$PGURL" --key-file "$d/multi$procs.key"
		urls+=("$URL")
		if [ "$procs" = 2 ]; then serve "multi$procs-2" --db "$PGURL" --key-file "$d/multi$procs.key"; urls+=("$URL"); fi
		local cmds=""
		for i in $(seq 0 7); do
			login "$d/m$procs-s$i.db" "${urls[$((i % procs))]}"
			"$GEN" -n "$per" -hash -no-admin -start $((100000 * (i + 1))) >"$d/m-$i.csv"
			AIRT_DB=$d/m$procs-s$i.db "$AIRT" user import -q "$d/m-$i.csv" 2>/dev/null
			cmds+="AIRT_DB=$d/m$procs-s$i.db $AIRT sync >/dev/null & "
		done
		bench "scale.8x$per.pg.${procs}proc" 1 "" "${cmds} wait"
	done

	# 3. Pull of 10 changes from servers of $n and $big_n users, bbolt and
	# PostgreSQL; each run after another store pushed 10 new users (untimed).
	local size kind
	for size in "$n" "$big_n"; do
		[[ $parts == *" pull "* ]] || break
		"$GEN" -n "$size" -hash >"$d/dir-$size.csv"
		AIRT_DB=$d/dir-$size.db "$AIRT" user import -q "$d/dir-$size.csv" 2>/dev/null
		cp "$d/dir-$size.db" "$d/dir-$size-pg.db"
		cp "$d/dir-$size.db.keyring" "$d/dir-$size-pg.db.keyring" 2>/dev/null || true
		pgserver "dir$size" "$d/dir-$size-pg.db"
		for kind in bolt pg; do
			if [ "$kind" = bolt ]; then serve "dir$size-bolt" --db "$d/dir-$size.db"; else serve "dir$size-pg" --db "$PGURL" --key-file "$d/dir$size.key"; fi
			login "$d/pull-$size-$kind.db" "$URL"
			AIRT_DB=$d/pull-$size-$kind.db "$AIRT" sync >/dev/null
			login "$d/push-$size-$kind.db" "$URL"
			echo 0 >"$d/next-$size-$kind"
			cat >"$d/more10-$size-$kind.sh" <<-SH
				#!/usr/bin/env bash
				set -e
				n=\$(cat $d/next-$size-$kind); echo \$((n + 10)) >$d/next-$size-$kind
				$GEN -n 10 -hash -no-admin -start \$((900000 + n)) >$d/more10-$size-$kind.csv
				AIRT_DB=$d/push-$size-$kind.db $AIRT user import -q $d/more10-$size-$kind.csv 2>/dev/null
				AIRT_DB=$d/push-$size-$kind.db $AIRT sync >/dev/null
			SH
			chmod +x "$d/more10-$size-$kind.sh"
			bench "scale.pull10.of$size.$kind" "${SCALE_RUNS:-10}" "$d/more10-$size-$kind.sh" "AIRT_DB=$d/pull-$size-$kind.db $AIRT sync"
		done
	done
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}

sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(start read import create memory sync size)
{
	echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$OUT/summary.tsv"
for s in "${sections[@]}"; do
	"section_$s"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

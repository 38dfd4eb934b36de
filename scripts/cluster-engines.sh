#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis for the cluster suite (issue 18): data under a temp directory,
# loopback ports picked free at start, trust auth, no persistence. Nothing here is for production.
#
#   scripts/cluster-engines.sh start DIR   start both; writes DIR/env (REVKA_CLUSTER_PG_URL, REVKA_CLUSTER_REDIS_URL)
#   scripts/cluster-engines.sh stop DIR    stop both (idempotent) and remove DIR
#   scripts/cluster-engines.sh run CMD...  start into a fresh temp dir, run CMD with the env set, stop
#                                          on any exit (trap), exit with CMD's status
#   scripts/cluster-engines.sh redis-stop DIR / redis-start DIR   take Redis away and bring it back on
#                                          the same port (the suite's outage test)
#   scripts/cluster-engines.sh pg-stop DIR / pg-start DIR         the same for PostgreSQL (its data kept)
#
# PostgreSQL comes from Debian's postgresql package (/usr/lib/postgresql/<v>/bin) or PATH; Redis
# from redis-server. initdb refuses to run as root, so as root the PostgreSQL side runs as the
# `postgres` user the Debian package creates.
set -euo pipefail

pg_bin() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] || { echo "cluster-engines: PostgreSQL not found (apt-get install postgresql)" >&2; exit 1; }
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    # runuser lives in /usr/sbin, which a bare PATH (CI's env -i) leaves out
    local ru
    ru=$(command -v runuser || echo /usr/sbin/runuser)
    "$ru" -u postgres -- "$@"
  else "$@"; fi
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start_redis() {
  local dir=$1 port=$2
  # no RDB snapshots, no AOF: a throwaway bus; daemonized with its pid and log in DIR
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "cluster-engines: redis did not answer on $port" >&2; cat "$dir/redis/redis.log" >&2; return 1
}

stop_redis() {
  local dir=$1
  [ -f "$dir/redis/redis.pid" ] || return 0
  local pid
  pid=$(cat "$dir/redis/redis.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$dir/redis/redis.pid"
}

start_pg() {
  local dir=$1 port=$2 bin
  bin=$(pg_bin)
  # loopback only, no unix socket outside DIR, fsync off: a test engine, fast and disposable
  as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
    || { cat "$dir/pg/server.log" >&2; exit 1; }
}

start() {
  local dir=$1 bin pgport redisport
  command -v redis-server >/dev/null || { echo "cluster-engines: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  bin=$(pg_bin)
  mkdir -p "$dir/pg" "$dir/redis"
  chmod 0755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pg"
  pgport=$(free_port)
  redisport=$(free_port)
  as_pg "$bin/initdb" -D "$dir/pg/data" -U revka --auth=trust --no-sync -E UTF8 >"$dir/pg/initdb.log" 2>&1 \
    || { cat "$dir/pg/initdb.log" >&2; exit 1; }
  start_pg "$dir" "$pgport"
  start_redis "$dir" "$redisport"
  {
    echo "REVKA_CLUSTER_PG_URL=postgres://revka@127.0.0.1:$pgport/postgres"
    echo "REVKA_CLUSTER_REDIS_URL=redis://127.0.0.1:$redisport"
    echo "REVKA_CLUSTER_ENGINES_DIR=$dir"
  } >"$dir/env"
  cat "$dir/env"
}

stop() {
  local dir=$1 bin
  [ -d "$dir" ] || return 0
  stop_redis "$dir"
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    local pid
    pid=$(head -n1 "$dir/pg/data/postmaster.pid")
    bin=$(pg_bin)
    as_pg "$bin/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    # a throwaway engine must never outlive its run: if pg_ctl could not stop it, kill it
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

pg_port() {
  sed -n 's#^REVKA_CLUSTER_PG_URL=postgres://revka@127.0.0.1:\([0-9]*\)/.*#\1#p' "$1/env"
}

redis_port() {
  sed -n 's#^REVKA_CLUSTER_REDIS_URL=redis://127.0.0.1:##p' "$1/env"
}

cmd=${1:-}
case "$cmd" in
  start) start "${2:?DIR}" ;;
  stop) stop "${2:?DIR}" ;;
  redis-stop) stop_redis "${2:?DIR}" ;;
  redis-start) start_redis "${2:?DIR}" "$(redis_port "${2:?DIR}")" ;;
  # fast shutdown: the clients' connections are cut, as when the database host goes away
  pg-stop) as_pg "$(pg_bin)/pg_ctl" -D "${2:?DIR}/pg/data" -m fast -w stop >/dev/null ;;
  pg-start) start_pg "${2:?DIR}" "$(pg_port "${2:?DIR}")" ;;
  run)
    shift
    dir=$(mktemp -d /tmp/revka-engines.XXXXXX)
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT TERM
    start "$dir" >/dev/null
    # if this shell is killed before its EXIT trap has stopped them (a reader of its output that went
    # away, as in `| head`, ends it that way), the engines are stopped all the same
    me=$$
    (while kill -0 "$me" 2>/dev/null; do sleep 1; done; stop "$dir") </dev/null >/dev/null 2>&1 &
    set -a; . "$dir/env"; set +a
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *) echo "usage: $0 start DIR | stop DIR | run CMD... | redis-stop DIR | redis-start DIR | pg-stop DIR | pg-start DIR" >&2; exit 2 ;;
esac

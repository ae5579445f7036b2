#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers on loopback for the second test run:
#   tests/servers.sh start DIR   -> prints TEST_DATABASE_URL=… and HUEY_URL=… for the tests' environment
#   tests/servers.sh stop DIR
# Debian's postgresql and redis-server packages; nothing is left running or installed as a service.
set -euo pipefail
action=$1 dir=$2
# Ports of their own, unlikely to be taken (a developer may run a server on the usual ones).
PG_PORT=${PG_PORT:-$((20000 + RANDOM % 20000))} REDIS_PORT=${REDIS_PORT:-$((40000 + RANDOM % 20000))}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case $action in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$pgbin/initdb" -D "$dir/pg" --auth=trust -U complaints -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  # Durability off: a test database is thrown away, and fsync per commit would dominate the run.
  as_owner "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/postgres.log" -w -o \
    "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  "$pgbin/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U complaints -d postgres -c "CREATE DATABASE complaints_test" >/dev/null
  echo "TEST_DATABASE_URL=postgresql://complaints@127.0.0.1:$PG_PORT/complaints_test"
  echo "HUEY_URL=redis://127.0.0.1:$REDIS_PORT/0"
  ;;
stop)
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  [ -d "$dir/pg" ] && as_owner "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
esac

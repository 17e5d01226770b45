#!/usr/bin/env bash
# PgBouncer in transaction pooling mode on loopback, in front of the local
# PostgreSQL, for tests and for trying database.pgbouncer:
#
#   scripts/pgbouncer.sh start   # idempotent; prints host:port
#   scripts/pgbouncer.sh stop
#
# PGBOUNCER_PORT (default 6440) is where it listens; PGHOST/PGPORT (default
# 127.0.0.1:5432) is the PostgreSQL behind it, which must trust local
# connections (scripts/services.sh sets that machine up). Every database of
# that server is reachable under its own name, through a pool of
# PGBOUNCER_POOL_SIZE (default 20) server connections per database and user.
set -euo pipefail
SAY_PREFIX=pgbouncer
. "$(dirname "$0")/lib/common.sh"

PORT=${PGBOUNCER_PORT:-6440}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
POOL=${PGBOUNCER_POOL_SIZE:-20}
DIR=$(state_dir "pgbouncer-$PORT")

up() { psql -h 127.0.0.1 -p "$PORT" -U "$PGUSER" -d postgres -tAc 'SELECT 1' 2>/dev/null | grep -qx 1; }

pgbouncer_bin() { command -v pgbouncer || echo /usr/sbin/pgbouncer; }

start() {
  need psql postgresql-client
  need pgbouncer pgbouncer
  if up; then say "already running on 127.0.0.1:$PORT"; echo "127.0.0.1:$PORT"; return; fi
  stop_quietly
  rm -rf "$DIR"; mkdir -p "$DIR"
  # jit is a startup parameter PgBouncer refuses from clients; the pool's
  # server connections get it instead (RelayBook's queries are small and
  # indexed: compiling them never pays off).
  cat >"$DIR/pgbouncer.ini" <<CONF
[databases]
* = host=$PGHOST port=$PGPORT connect_query='SET jit = off'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
default_pool_size = $POOL
max_client_conn = 2000
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
admin_users = $PGUSER
CONF
  echo "\"$PGUSER\" \"\"" >"$DIR/userlist.txt"
  # PgBouncer refuses to run as root; it then runs as PostgreSQL's user.
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$DIR"
    as=(-u postgres)
  fi
  "$(pgbouncer_bin)" -d "${as[@]}" "$DIR/pgbouncer.ini"
  wait_for "PgBouncer on port $PORT" up
  say "started on 127.0.0.1:$PORT (transaction pooling, PostgreSQL at $PGHOST:$PGPORT)"
  echo "127.0.0.1:$PORT"
}

stop_quietly() {
  local pid
  pid=$(cat "$DIR/pgbouncer.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  stop_quietly
  rm -rf "$DIR"
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on this machine and that the
# relaybook database exists. Starts the machine's own servers when they are
# stopped and installs them from Debian's packages when they are missing,
# together with what scripts/redis-cluster.sh, scripts/redis-sentinel.sh and
# scripts/pgbouncer.sh need (redis-sentinel, pgbouncer), which the tests of
# running past one machine start. Idempotent: run it as often as you like.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
# The databases to create: the product's, unless told otherwise.
DATABASES=${RELAYBOOK_DATABASES:-relaybook}

. "$(dirname "$0")/lib/common.sh"

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT"; }
redis_up() { [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

# --- packages: everything missing in one apt-get run ---
missing=()
command -v pg_isready >/dev/null || missing+=(postgresql postgresql-client)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
# The README's integration block and its check use jq, curl and python3.
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

# --- PostgreSQL ---
if ! pg_up; then
  if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_up
fi

# --- Redis ---
if ! redis_up; then
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi

# --- databases ---
for db in $DATABASES; do
  exists=$(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [ "$exists" != "1" ]; then
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc "CREATE DATABASE $db" >/dev/null
    say "created database $db"
  fi
done
say "PostgreSQL ($PGHOST:$PGPORT) and Redis ($REDIS_HOST:$REDIS_PORT) are up"

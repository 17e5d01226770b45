#!/usr/bin/env bash
# A Redis primary, one replica and one Sentinel on loopback, for tests and
# for trying redis.sentinel.*:
#
#   scripts/redis-sentinel.sh start      # idempotent; prints the Sentinel address
#   scripts/redis-sentinel.sh failover   # promotes the replica, waits until done
#   scripts/redis-sentinel.sh stop
#
# Ports: REDIS_SENTINEL_PORT (the Sentinel, default 7110), the primary and
# replica on the next two. The master name is REDIS_SENTINEL_MASTER (default
# relaybook). After a failover the roles are swapped; start leaves them so.
set -euo pipefail
SAY_PREFIX=redis-sentinel
. "$(dirname "$0")/lib/common.sh"

SENTINEL=${REDIS_SENTINEL_PORT:-7110}
PRIMARY=$((SENTINEL + 1))
REPLICA=$((SENTINEL + 2))
MASTER=${REDIS_SENTINEL_MASTER:-relaybook}
DIR=$(state_dir "sentinel-$SENTINEL")

sentinel() { redis-cli -h 127.0.0.1 -p "$SENTINEL" "$@"; }
master_port() { sentinel sentinel get-master-addr-by-name "$MASTER" 2>/dev/null | sed -n 2p; }

# ready: the Sentinel knows the master and a replica that is in sync, so a
# failover can be asked for at once.
ready() {
  local mp rp
  mp=$(master_port); [ -n "$mp" ] || return 1
  redis_ping "$mp" || return 1
  rp=$([ "$mp" = "$PRIMARY" ] && echo "$REPLICA" || echo "$PRIMARY")
  redis-cli -h 127.0.0.1 -p "$rp" info replication 2>/dev/null | grep -q '^master_link_status:up' || return 1
  sentinel sentinel replicas "$MASTER" 2>/dev/null | grep -qx "$rp" || return 1
}

start_redis() { # start_redis PORT [ARG...]
  local p=$1; shift
  redis_ping "$p" && return
  redis-server --daemonize yes --bind 127.0.0.1 --port "$p" --save "" --appendonly no --repl-diskless-sync-delay 0 --dir "$DIR" \
    --pidfile "$DIR/redis-$p.pid" --logfile "$DIR/redis-$p.log" "$@"
  wait_for "Redis on port $p" redis_ping "$p"
}

start() {
  need redis-server redis-server
  need redis-cli redis-tools
  need redis-sentinel redis-sentinel
  if redis_ping "$SENTINEL" && [ -n "$(master_port)" ] && redis_ping "$(master_port)"; then
    # Running, perhaps just after a failover whose old master is still
    # being turned into a replica.
    wait_for "Sentinel with a replica in sync" ready
    say "already running: sentinel 127.0.0.1:$SENTINEL, master $MASTER on port $(master_port)"
    echo "127.0.0.1:$SENTINEL"; return
  fi
  # Anything less is started afresh.
  stop_all
  rm -rf "$DIR"; mkdir -p "$DIR"
  start_redis "$PRIMARY"
  start_redis "$REPLICA" --replicaof 127.0.0.1 "$PRIMARY"
  # Sentinel rewrites its configuration file, so it gets its own copy.
  cat >"$DIR/sentinel.conf" <<CONF
bind 127.0.0.1
port $SENTINEL
daemonize yes
pidfile $DIR/sentinel.pid
logfile $DIR/sentinel.log
dir $DIR
sentinel monitor $MASTER 127.0.0.1 $PRIMARY 1
sentinel down-after-milliseconds $MASTER 1000
sentinel failover-timeout $MASTER 10000
sentinel parallel-syncs $MASTER 1
CONF
  redis-sentinel "$DIR/sentinel.conf"
  wait_for "Sentinel with a replica in sync" ready
  say "started: sentinel 127.0.0.1:$SENTINEL, master $MASTER on port $PRIMARY, replica on $REPLICA"
  echo "127.0.0.1:$SENTINEL"
}

failover() {
  local before
  before=$(master_port)
  sentinel sentinel failover "$MASTER" >/dev/null
  # Done when the Sentinel names the other node and that node says it is the
  # master. The old master is turned into its replica up to 10 s later (the
  # Sentinel's INFO period); clients follow the Sentinel's +switch-master.
  promoted() {
    local now; now=$(master_port)
    [ -n "$now" ] && [ "$now" != "$before" ] &&
      redis-cli -h 127.0.0.1 -p "$now" role 2>/dev/null | head -1 | grep -qx master
  }
  wait_for "failover of $MASTER" promoted
  say "failover done: master $MASTER now on port $(master_port)"
}

stop_all() { redis_stop "$SENTINEL"; redis_stop "$PRIMARY"; redis_stop "$REPLICA"; }

stop() {
  stop_all
  rm -rf "$DIR"
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  failover) failover ;;
  *) echo "usage: $0 start|stop|failover" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A 3-master Redis Cluster on loopback, for tests and for trying
# redis.cluster.addrs:
#
#   scripts/redis-cluster.sh start   # idempotent; prints the addresses
#   scripts/redis-cluster.sh stop
#
# The nodes listen on REDIS_CLUSTER_PORT, +1 and +2 (default 7100-7102;
# their cluster bus on port+10000). Nothing is persisted: stop throws the
# data away, and a start after a crash builds a fresh cluster.
set -euo pipefail
SAY_PREFIX=redis-cluster
. "$(dirname "$0")/lib/common.sh"

BASE=${REDIS_CLUSTER_PORT:-7100}
PORTS=("$BASE" "$((BASE + 1))" "$((BASE + 2))")
DIR=$(state_dir "cluster-$BASE")

addrs() { local IFS=,; echo "${PORTS[*]/#/127.0.0.1:}"; }

cluster_ok() { # every node sees a healthy cluster of all three
  local p info
  for p in "${PORTS[@]}"; do
    info=$(redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null) || return 1
    grep -q '^cluster_state:ok' <<<"$info" || return 1
    grep -q "^cluster_known_nodes:${#PORTS[@]}" <<<"$info" || return 1
  done
}

start() {
  need redis-server redis-server
  need redis-cli redis-tools
  if cluster_ok; then say "already running on $(addrs)"; addrs; return; fi
  # A half-made cluster (a node died, a create was interrupted) is not
  # worth repairing: these nodes hold test data only.
  stop_nodes
  rm -rf "$DIR"; mkdir -p "$DIR"
  local p
  for p in "${PORTS[@]}"; do
    redis-server --daemonize yes --bind 127.0.0.1 --port "$p" \
      --cluster-enabled yes --cluster-config-file "$DIR/nodes-$p.conf" --cluster-node-timeout 2000 \
      --save "" --appendonly no --dir "$DIR" \
      --pidfile "$DIR/redis-$p.pid" --logfile "$DIR/redis-$p.log"
  done
  for p in "${PORTS[@]}"; do wait_for "Redis on port $p" redis_ping "$p"; done
  redis-cli --cluster create "${PORTS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 ||
    { cat "$DIR/create.log" >&2; exit 1; }
  wait_for "Redis Cluster" cluster_ok
  say "started on $(addrs)"
  addrs
}

stop_nodes() { local p; for p in "${PORTS[@]}"; do redis_stop "$p"; done; }

stop() {
  stop_nodes
  rm -rf "$DIR"
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  addrs) addrs ;;
  *) echo "usage: $0 start|stop|addrs" >&2; exit 2 ;;
esac

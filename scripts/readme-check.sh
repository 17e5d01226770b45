#!/usr/bin/env bash
# Runs the README's "From nothing to a working integration" block as a
# script, as a newcomer would after `make run`, against a product of its own:
# a fresh database, a Redis DB index no test holds, its own port. It passes
# when the block exits 0, which it does only once the example contact has
# been delivered and its signature verified. `make test` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "readme-check: $*" >&2; }
PGURL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_ADDR=${TEST_REDIS_ADDR:-127.0.0.1:6379}
redis() { redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" "$@"; }

go build -o bin/relaybook ./cmd/relaybook
work=$(mktemp -d)
db="relaybook_readme_$$"
lock=""
pids=()
cleanup() {
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  psql -q "$PGURL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  [ -n "$lock" ] && redis DEL "$lock" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A Redis DB index, claimed the way internal/testenv claims them.
for i in $(seq 1 15); do
  if [ "$(redis SET "relaybook:testenv:db:$i" "readme-$$" NX EX 600)" = "OK" ]; then
    lock="relaybook:testenv:db:$i"; redis_db=$i; break
  fi
done
[ -n "$lock" ] || { say "no free Redis DB index in 1..15"; exit 1; }
redis -n "$redis_db" FLUSHDB >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if python3 -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", 9000)) != 0)'; then
  say "port 9000 is taken; the README's receiver needs it"; exit 1
fi
psql -q "$PGURL" -c "CREATE DATABASE $db" >/dev/null

# Everything the README's `make run` would configure, through the
# environment, so a developer's relaybook.yaml plays no part.
export RELAYBOOK_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export RELAYBOOK_REDIS_URL="redis://$REDIS_ADDR/$redis_db"
export RELAYBOOK_SERVER_ADDR="127.0.0.1:$port"
export RELAYBOOK_AUTH_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export RELAYBOOK_SECURITY_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export RELAYBOOK_WEBHOOKS_ALLOW_HTTP=true RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true
export RELAYBOOK_WORKER_ADMIN_ADDR=""

bin/relaybook migrate >/dev/null
bin/relaybook serve >"$work/serve.log" 2>&1 & pids+=($!)
bin/relaybook worker >"$work/worker.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# The block between the README's readme-check markers, fences stripped.
awk '/<!-- readme-check:begin -->/{on=1; next} /<!-- readme-check:end -->/{on=0} on && !/^```/' README.md >"$work/block.sh"
[ -s "$work/block.sh" ] || { say "README has no readme-check block"; exit 1; }

if ! API="http://127.0.0.1:$port" timeout 60 bash "$work/block.sh" >"$work/out.log" 2>&1; then
  say "the README block failed; its output:"; cat "$work/out.log" >&2
  say "serve log:"; tail -20 "$work/serve.log" >&2
  say "worker log:"; tail -20 "$work/worker.log" >&2
  exit 1
fi
grep -q '^verified contact.created' "$work/out.log" || { say "no verified delivery in the output:"; cat "$work/out.log" >&2; exit 1; }
say "the README block ran as a script: contact delivered, signature verified"

#!/usr/bin/env bash
# `make run`: services up, a development config on first run, schema
# migrated, then the API server and one worker in the foreground. Ctrl-C
# stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
BIN=bin/relaybook
if [ ! -f relaybook.yaml ] && [ -z "${RELAYBOOK_AUTH_JWT_SECRET:-}" ]; then
  "$BIN" init
fi
"$BIN" migrate

# Refuse, before starting anything, when a port is taken (another `make run`,
# or anything else) or PostgreSQL lacks the connections serve and the worker
# will open: otherwise serve dies after the banner below.
if ! out=$("$BIN" preflight 2>&1); then
  echo "$out" >&2
  for port in $(echo "$out" | sed -n 's/.*(port=\([0-9]*\)).*/\1/p'); do
    holder=$(ss -ltnpH "sport = :$port" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1)
    if [ -n "$holder" ]; then echo "run: port $port is held by $holder" >&2; fi
  done
  echo "run: not starting RelayBook" >&2
  exit 1
fi

pids=()
stop() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$BIN" serve & pids+=($!)
"$BIN" worker & pids+=($!)

cat >&2 <<MSG

RelayBook is running: the API (server.addr, :8080 by default) and one worker. Ctrl-C stops both.
Try, in another shell:
  TEAM=\$($BIN teams create --name Acme -o json | jq -r .id)
  BOOK=\$($BIN books create --team \$TEAM --name Customers -o json | jq -r .id)
  KEY=\$($BIN keys create --team \$TEAM --name "CRM Sync" -o json | jq -r .key)
  curl -s localhost:8080/api/v1/books -H "Authorization: Bearer \$KEY"
MSG

# Whichever process exits first (a crash, or Ctrl-C) takes the other down;
# a crash is make run's failure too.
code=0
wait -n "${pids[@]}" || code=$?
if [ "$code" -ne 0 ]; then
  echo "run: a RelayBook process exited with status $code; stopping the other" >&2
  exit "$code"
fi

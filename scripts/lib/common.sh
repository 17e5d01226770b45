# Shared by the service scripts: logging, installing Debian packages when a
# tool is missing, and waiting for a service to answer. Source it; it does
# not run anything by itself.

say() { echo "${SAY_PREFIX:-services}: $*" >&2; }

# apt_install PACKAGE...: installs the packages from Debian's archive,
# refreshing the package lists once per shell.
apt_install() {
  if ! command -v apt-get >/dev/null; then
    say "cannot install $*: no apt-get on this machine"; exit 1
  fi
  say "installing $* from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  apt-get install -y -qq "$@" >/dev/null
}

# need COMMAND PACKAGE: installs PACKAGE unless COMMAND is on PATH (or in
# /usr/sbin, where Debian puts daemons such as pgbouncer).
need() {
  command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || apt_install "$2"
}

# wait_for NAME COMMAND...: waits up to 30 s for COMMAND to succeed.
wait_for() {
  local name=$1; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  say "$name did not answer within 30s"; return 1
}

# redis_ping PORT: whether a Redis (or Sentinel) on loopback answers.
redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; }

# redis_stop PORT: shuts a loopback Redis or Sentinel down, if it runs.
redis_stop() {
  if redis_ping "$1"; then
    redis-cli -h 127.0.0.1 -p "$1" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 1 40); do redis_ping "$1" || return 0; sleep 0.25; done
    say "Redis on port $1 did not stop"; return 1
  fi
}

# state_dir NAME: a directory for one started service's files.
state_dir() { echo "${RELAYBOOK_SERVICES_DIR:-/tmp/relaybook-services}/$1"; }

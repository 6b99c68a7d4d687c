#!/usr/bin/env bash
# Make sure the local services the project needs answer on loopback, installing Debian's
# packages when they are missing. Usage: scripts/ensure_services.sh redis|postgres|chromium ...
# Prints nothing but progress on stderr; exits non-zero when a service cannot be had.
set -euo pipefail

log() { echo "ensure_services: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  if [ -z "${_APT_UPDATED:-}" ]; then as_root apt-get update -qq >&2; _APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

redis_up() {
  python3 - <<'PY' 2>/dev/null
import socket
s = socket.create_connection(("127.0.0.1", 6379), timeout=1)
s.sendall(b"PING\r\n")
assert s.recv(16).startswith(b"+PONG")
PY
}

ensure_redis() {
  if redis_up; then return; fi
  command -v redis-server >/dev/null || { log "installing redis-server"; apt_install redis-server; }
  log "starting redis-server on 127.0.0.1:6379"
  mkdir -p /tmp/coordinator-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/coordinator-redis --logfile /tmp/coordinator-redis/redis.log
  for _ in $(seq 1 50); do redis_up && return; sleep 0.1; done
  log "redis did not answer"; exit 1
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_up; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing postgresql"; apt_install postgresql
  fi
  log "starting postgresql"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 100); do pg_up && break; sleep 0.2; done
  pg_up || { log "postgresql did not answer"; exit 1; }
  # A fresh Debian cluster asks for passwords on TCP: give the tests a role of their own.
  if ! psql -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
    as_root runuser -u postgres -- psql -q -c \
      "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='coordinator_test') THEN CREATE ROLE coordinator_test LOGIN SUPERUSER PASSWORD 'coordinator_test'; END IF; END \$\$;" >&2
    log "use TEST_PG_ADMIN_URL=postgresql://coordinator_test:coordinator_test@127.0.0.1:5432/postgres"
  fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  log "installing Debian's chromium for the browser tests"
  apt_install chromium || log "chromium could not be installed; browser tests will be skipped"
}

for service in "$@"; do
  case "$service" in
    redis) ensure_redis ;;
    postgres) ensure_postgres ;;
    chromium) ensure_chromium ;;
    *) log "unknown service $service"; exit 2 ;;
  esac
done

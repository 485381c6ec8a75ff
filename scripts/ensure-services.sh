#!/usr/bin/env bash
# Makes sure the local PostgreSQL 15 (with pgvector) and Redis the tests use are running, and that
# Chromium (for the browser test) is installed.
set -euo pipefail
here=$(dirname "$0")

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do "$check" && return 0; sleep 0.5; done
  echo "$what did not come up" >&2
  return 1
}

# Installing the build headers can upgrade and restart PostgreSQL, so pgvector goes first.
bash "$here/install-pgvector.sh"
# The browser e2e test drives Debian's Chromium; its packages can upgrade shared libraries too.
bash "$here/install-chromium.sh"

if ! pg_up; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
  wait_for PostgreSQL pg_up
fi

if ! redis_up; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi

psql -h 127.0.0.1 -U postgres -d postgres -tAq -c "SELECT 'postgres ' || current_setting('server_version')"
echo "redis $(redis-cli -h 127.0.0.1 -p 6379 info server | awk -F: '/^redis_version/{print $2}' | tr -d '\r')"

#!/usr/bin/env bash
# Makes sure a PostgreSQL server is reachable and the development secrets exist,
# then writes them to .data/jiedao.env (outside git, mode 600). Used by `make run`
# and `make test`; safe to run again: it keeps what is there.
#
# A JIEDAO_DATABASE_URL (and JIEDAO_TEST_DATABASE_URL) already in the environment
# is used as it is. Otherwise the Debian PostgreSQL cluster is installed if missing,
# started if stopped, and given a role `jiedao` (password generated once) that may
# create databases.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data
chmod 700 .data
env_file=.data/jiedao.env
# A database URL given by the caller wins over the file written on an earlier run.
caller_db=${JIEDAO_DATABASE_URL:-}
caller_test_db=${JIEDAO_TEST_DATABASE_URL:-}
if [ -f "$env_file" ]; then
  # shellcheck disable=SC1090
  set -a; . "$env_file"; set +a
fi
if [ -n "$caller_db" ]; then
  JIEDAO_DATABASE_URL=$caller_db
  JIEDAO_TEST_DATABASE_URL=${caller_test_db:-$caller_db}
  unset JIEDAO_DEV_DB_PASSWORD
fi

log() { printf 'devenv: %s\n' "$*" >&2; }
rand64() { head -c "$1" /dev/urandom | base64 -w0; }
randhex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

ensure_cluster() {
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    log "installing postgresql (apt-get)"
    if [ "$(id -u)" != 0 ]; then log "not root: install postgresql or set JIEDAO_DATABASE_URL"; exit 1; fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local line
  line=$(pg_lsclusters -h | head -n1)
  if [ -z "$line" ]; then
    local ver
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    log "creating PostgreSQL $ver cluster main"
    pg_createcluster "$ver" main >/dev/null
    line=$(pg_lsclusters -h | head -n1)
  fi
  read -r PG_VER PG_NAME PG_PORT PG_STATUS _ <<<"$line"
  if [ "$PG_STATUS" != online ]; then
    log "starting PostgreSQL $PG_VER/$PG_NAME on port $PG_PORT"
    pg_ctlcluster "$PG_VER" "$PG_NAME" start
  fi
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && return 0
    sleep 0.5
  done
  log "PostgreSQL did not become ready on port $PG_PORT"; exit 1
}

# The local cluster is ours to manage when no URL came from outside, when the URL is
# the one this script wrote (it keeps JIEDAO_DEV_DB_PASSWORD), or when it is unreachable.
if [ -z "${JIEDAO_DATABASE_URL:-}" ] || [ -n "${JIEDAO_DEV_DB_PASSWORD:-}" ] || ! pg_isready -q -d "$JIEDAO_DATABASE_URL" 2>/dev/null; then
  ensure_cluster
  : "${JIEDAO_DEV_DB_PASSWORD:=$(randhex 16)}"
  as_postgres psql -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres <<SQL >/dev/null
SET client_min_messages = warning;
SELECT 'CREATE ROLE jiedao LOGIN CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jiedao')
\gexec
ALTER ROLE jiedao LOGIN CREATEDB PASSWORD '$JIEDAO_DEV_DB_PASSWORD';
-- lets tests drop their databases WITH (FORCE)
GRANT pg_signal_backend TO jiedao;
SELECT 'CREATE DATABASE jiedao OWNER jiedao' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'jiedao')
\gexec
SELECT 'CREATE DATABASE jiedao_test_admin OWNER jiedao' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'jiedao_test_admin')
\gexec
SQL
  JIEDAO_DATABASE_URL="postgres://jiedao:$JIEDAO_DEV_DB_PASSWORD@127.0.0.1:$PG_PORT/jiedao?sslmode=disable"
  JIEDAO_TEST_DATABASE_URL="postgres://jiedao:$JIEDAO_DEV_DB_PASSWORD@127.0.0.1:$PG_PORT/jiedao_test_admin?sslmode=disable"
fi
: "${JIEDAO_TEST_DATABASE_URL:=$JIEDAO_DATABASE_URL}"
: "${JIEDAO_AUTH_KEYS:=dev-$(randhex 4):$(rand64 32)}"
: "${JIEDAO_CSRF_SECRET:=$(rand64 32)}"
# Bids are sealed under this key: once any are, it must never change (they would not open).
: "${JIEDAO_SEAL_KEY:=$(rand64 32)}"
# Rating codes are derived from and stored under this key: changing it voids every code issued.
: "${JIEDAO_RATING_KEY:=$(rand64 32)}"
: "${JIEDAO_DEMO_PASSWORD:=demo-$(randhex 6)}"

umask 077
{
  echo "# Development settings written by scripts/devenv.sh. Not for production; never commit."
  [ -n "${JIEDAO_DEV_DB_PASSWORD:-}" ] && echo "JIEDAO_DEV_DB_PASSWORD=$JIEDAO_DEV_DB_PASSWORD"
  echo "JIEDAO_DATABASE_URL=$JIEDAO_DATABASE_URL"
  echo "JIEDAO_TEST_DATABASE_URL=$JIEDAO_TEST_DATABASE_URL"
  echo "JIEDAO_AUTH_KEYS=$JIEDAO_AUTH_KEYS"
  echo "JIEDAO_CSRF_SECRET=$JIEDAO_CSRF_SECRET"
  echo "JIEDAO_SEAL_KEY=$JIEDAO_SEAL_KEY"
  echo "JIEDAO_RATING_KEY=$JIEDAO_RATING_KEY"
  echo "JIEDAO_DEMO_PASSWORD=$JIEDAO_DEMO_PASSWORD"
} >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"

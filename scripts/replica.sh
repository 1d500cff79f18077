#!/usr/bin/env bash
# Makes a streaming read replica to try JIEDAO_DATABASE_REPLICA_URL with (README,
# "Deployment"): two PostgreSQL clusters of their own, a primary and a hot standby
# copied from it with pg_basebackup -R, the standby streaming the primary's WAL.
#
#   scripts/replica.sh [up] [NAME]   create and start NAME-primary and NAME-replica
#                                    (NAME defaults to jiedao), wait until the
#                                    replica streams, and print the two URLs:
#                                      JIEDAO_DATABASE_URL=postgres://…
#                                      JIEDAO_DATABASE_REPLICA_URL=postgres://…
#   scripts/replica.sh drop [NAME]   stop and remove both clusters
#
# Needs root (pg_createcluster runs initdb as postgres) and PostgreSQL's Debian
# packages. The clusters are throwaway: fsync is off, the role `jiedao` owns the
# database `jiedao` with a generated password, and any other cluster (the shared
# "main" included) is never touched. Ports: PRIMARY_PORT and REPLICA_PORT, else
# free ones. The application's own tables are migrated by `jiedao migrate up` or
# `jiedao serve` on the primary, from where the replica receives them.
set -euo pipefail

action=up
case "${1:-}" in
  up | drop) action=$1; shift ;;
esac
name=${1:-jiedao}
if ! [[ $name =~ ^[A-Za-z0-9_-]{1,40}$ ]]; then
  echo "replica.sh: NAME must be letters, digits, _ or - (got '$name')" >&2
  exit 2
fi
primary=$name-primary
replica=$name-replica

log() { printf 'replica.sh: %s\n' "$*" >&2; }
as_postgres() { runuser -u postgres -- "$@"; }

if [ "$(id -u)" != 0 ]; then
  log "run as root: pg_createcluster and pg_dropcluster need it"
  exit 1
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)

exists() { pg_lsclusters -h | awk -v v="$ver" -v c="$1" '$1 == v && $2 == c {found=1} END {exit !found}'; }
port_of() { pg_lsclusters -h | awk -v v="$ver" -v c="$1" '$1 == v && $2 == c {print $3}'; }

drop() {
  for c in "$replica" "$primary"; do
    if exists "$c"; then
      pg_dropcluster --stop "$ver" "$c"
      log "dropped $ver/$c"
    fi
  done
}

if [ "$action" = drop ]; then
  drop
  exit 0
fi

if exists "$primary" || exists "$replica"; then
  log "$ver/$primary or $ver/$replica exists already: scripts/replica.sh drop $name first"
  exit 1
fi

# A port no process listens on and no cluster is configured for.
free_port() {
  local taken p
  taken=$( (ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://'; pg_lsclusters -h | awk '{print $3}') | sort -u)
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 20000))
    if ! grep -qx "$p" <<<"$taken"; then
      echo "$p"
      return
    fi
  done
  log "no free port found"
  exit 1
}
pport=${PRIMARY_PORT:-$(free_port)}
rport=${REPLICA_PORT:-$(free_port)}
while [ "$rport" = "$pport" ]; do rport=$(free_port); done

# On any failure from here on, leave nothing behind.
trap 'status=$?; if [ $status != 0 ]; then log "failed: removing what was made"; drop; fi' EXIT

settings=(-o fsync=off -o synchronous_commit=off -o full_page_writes=off
  -o max_connections=100 -o shared_buffers=64MB)
pg_createcluster -q "$ver" "$primary" -p "$pport" "${settings[@]}" >/dev/null
pg_ctlcluster "$ver" "$primary" start
password=$(head -c 18 /dev/urandom | base64 -w0 | tr '+/' '-_')
as_postgres psql -q -X -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$pport" -d postgres \
  -v pw="$password" <<'SQL'
CREATE ROLE jiedao LOGIN PASSWORD :'pw';
CREATE DATABASE jiedao OWNER jiedao;
SQL
log "primary $ver/$primary on port $pport"

# The replica: a cluster made for its configuration (port, settings), whose data
# directory is then replaced by a base backup of the primary. -R writes
# standby.signal and primary_conninfo; Debian's pg_hba lets the postgres user
# replicate over the local socket (peer). hot_standby is on by default.
pg_createcluster -q "$ver" "$replica" -p "$rport" "${settings[@]}" >/dev/null
datadir=$(pg_lsclusters -h | awk -v v="$ver" -v c="$replica" '$1 == v && $2 == c {print $6}')
find "$datadir" -mindepth 1 -delete
as_postgres pg_basebackup -h /var/run/postgresql -p "$pport" -D "$datadir" -R -X stream -c fast
pg_ctlcluster "$ver" "$replica" start

streaming=
for _ in $(seq 1 120); do
  status=$(as_postgres psql -XAtq -h /var/run/postgresql -p "$rport" -d postgres \
    -c "SELECT pg_is_in_recovery() || '/' || coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')" 2>/dev/null || true)
  if [ "$status" = "true/streaming" ]; then
    streaming=1
    break
  fi
  sleep 0.25
done
if [ -z "$streaming" ]; then
  log "the replica does not stream (last status: ${status:-no answer}); see /var/log/postgresql/postgresql-$ver-$replica.log"
  exit 1
fi
log "replica $ver/$replica on port $rport, in recovery, streaming from $ver/$primary"

echo "JIEDAO_DATABASE_URL=postgres://jiedao:$password@127.0.0.1:$pport/jiedao?sslmode=disable"
echo "JIEDAO_DATABASE_REPLICA_URL=postgres://jiedao:$password@127.0.0.1:$rport/jiedao?sslmode=disable"

#!/usr/bin/env bash
# make bench: generates (once per scale, seed, migration version and day) the
# bench dataset into jiedao_bench_s<SCALE>, clones it for this run into
# jiedao_bench_s<SCALE>_run (the writes consume their targets, so every run
# starts from the pristine copy), then runs `jiedao bench run` on the clone.
#
# Expects the environment of .data/jiedao.env (make loads it) and bin/jiedao.
# SCALE (default 1), SEED (default 1), DURATION (default 10s) and OUT (default
# bench/results/latest.json) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}
SEED=${SEED:-1}
DURATION=${DURATION:-10s}
OUT=${OUT:-bench/results/latest.json}
BIN=${BIN:-bin/jiedao}

log() { printf 'bench: %s\n' "$*" >&2; }
: "${JIEDAO_DATABASE_URL:?JIEDAO_DATABASE_URL is not set (make bench loads .data/jiedao.env)}"
for tool in psql pgbench; do
  command -v "$tool" >/dev/null || { log "$tool is missing (apt-get install postgresql-client postgresql-contrib)"; exit 1; }
done
case $SCALE in
  *[!0-9.]* | '' | *.*.*) log "SCALE must be a number (e.g. 1, 4, 0.1)"; exit 2 ;;
esac

# with_db URL NAME: the URL with its database replaced by NAME.
with_db() {
  local url=$1 name=$2 base query=
  if [[ $url == *\?* ]]; then query="?${url#*\?}"; url=${url%%\?*}; fi
  base=${url%/*}
  printf '%s/%s%s' "$base" "$name" "$query"
}

admin=$JIEDAO_DATABASE_URL
base_db=jiedao_bench_s${SCALE//./_}
run_db=${base_db}_run
# The migrations' last version and a digest of them all: a migration added out of order (or
# edited) makes another dataset too.
migration=$(ls migrations/*.sql | sed 's|.*/||; s|_.*||' | sort | tail -n1)-$(cat migrations/*.sql | sha256sum | cut -c1-12)
# The dataset's times are relative to the day it was generated for (the surge
# tenders close three days later, closed tenders open within four): a dataset
# of another day is generated again.
want="jiedao bench dataset: scale=$SCALE seed=$SEED migration=$migration day=$(date -u +%F)"
psql_admin() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -At "$admin" "$@"; }

have=$(psql_admin -c "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = '$base_db'")
if [ "$have" = "$want" ]; then
  log "reusing $base_db ($want)"
else
  log "generating $base_db ($want)"
  psql_admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $base_db WITH (FORCE)" -c "CREATE DATABASE $base_db"
  started=$(date +%s)
  JIEDAO_DATABASE_URL=$(with_db "$admin" "$base_db") "$BIN" migrate up >/dev/null
  # The generated accounts' password is hashed with the cheapest argon2 the configuration
  # allows: the runner logs 2,000 × SCALE of them in before the bid surge, and that is not
  # what is measured.
  mkdir -p bench/results
  printf 'auth:\n  argon2:\n    memory_kib: 8192\n    iterations: 1\n    parallelism: 1\n' >bench/results/seed.yaml
  JIEDAO_CONFIG=bench/results/seed.yaml JIEDAO_DATABASE_URL=$(with_db "$admin" "$base_db") \
    "$BIN" bench seed --scale "$SCALE" --seed "$SEED"
  # Written last: a run that failed before here generates again next time.
  psql_admin -c "COMMENT ON DATABASE $base_db IS '$want'"
  log "generated in $(( $(date +%s) - started )) s"
fi

log "cloning $base_db into $run_db"
psql_admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "CREATE DATABASE $run_db TEMPLATE $base_db STRATEGY FILE_COPY"
JIEDAO_DATABASE_URL=$(with_db "$admin" "$run_db") "$BIN" bench run --scale "$SCALE" --duration "$DURATION" --out "$OUT"

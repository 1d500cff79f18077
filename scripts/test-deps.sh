#!/usr/bin/env bash
# Installs the system packages the tests need when they are missing: PostgreSQL
# (for the database tests), Chromium (for the browser tests) and a C compiler
# (for the race detector). Quick when present.
set -euo pipefail
missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || [ -n "${JIEDAO_TEST_DATABASE_URL:-}" ] || missing+=(postgresql)
command -v "${JIEDAO_CHROMIUM:-chromium}" >/dev/null 2>&1 || missing+=(chromium)
# The race detector (go test -race) needs cgo, hence a C compiler.
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-deps: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
    exit 1
  fi
  echo "test-deps: installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

#!/usr/bin/env bash
# A PostgreSQL server for the store tests, on 127.0.0.1:55432, run by an
# unprivileged user (PostgreSQL refuses root). Installs Debian's
# `postgresql` if missing, creates the cluster once, starts it if it is not
# running (a second call reuses the running server), creates the database,
# and prints the line to evaluate:
#
#   eval "$(scripts/ci/postgres.sh)"     # exports HABOOB_PG_URL
#
# Everything else goes to stderr. Settings: HABOOB_PG_DIR (cluster folder,
# default /tmp/haboob-pg), HABOOB_PG_PORT (default 55432).
set -euo pipefail

dir="${HABOOB_PG_DIR:-/tmp/haboob-pg}"
port="${HABOOB_PG_PORT:-55432}"
user=haboob
password=haboob
db=haboob
url="postgres://$user:$password@127.0.0.1:$port/$db"
log() { echo "postgres.sh: $*" >&2; }

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pgbin)" ] || [ ! -x "$(pgbin)/initdb" ]; then
  log "installing Debian postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin="$(pgbin)"
[ -x "$bin/initdb" ] || { log "no initdb after installing postgresql"; exit 1; }

# The server's owner: the package's `postgres` user, else one of our own.
owner=postgres
if ! id "$owner" >/dev/null 2>&1; then
  owner=haboob-pg
  id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
fi
as_owner() { runuser -u "$owner" -- "$@"; }

ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; }

if ready; then
  log "reusing the server on 127.0.0.1:$port"
else
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "creating a cluster in $dir/data"
    rm -rf "$dir"
    mkdir -p "$dir"
    chown "$owner" "$dir"
    chmod 700 "$dir"
    pwfile="$dir/pw"
    printf '%s\n' "$password" > "$pwfile"
    chown "$owner" "$pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
  fi
  log "starting the server on 127.0.0.1:$port"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off" \
    start >&2 || { cat "$dir/server.log" >&2 || true; exit 1; }
fi

export PGPASSWORD="$password"
if ! psql -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qc "CREATE DATABASE $db" >&2
fi
log "ready: $url"
echo "export HABOOB_PG_URL='$url'"

#!/bin/sh
# PostgreSQL's start in the `scale` profile's container (docker/postgres.Dockerfile):
# the first start makes the cluster in $PGDATA (the volume) with POSTGRES_USER as its
# superuser, POSTGRES_PASSWORD as its password and an empty POSTGRES_DB; every start then
# runs the server in the foreground (SIGTERM: a fast, clean shutdown).
# Connections over the network need the password (scram-sha-256); only the container's
# own processes reach the socket in $PGHOST.
set -eu

if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "postgres: set TUTOR_PG_PASSWORD in .env (letters and digits, e.g. openssl rand -hex 24)" >&2
  exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "postgres: first start: making the cluster in $PGDATA"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # While the database is made, the server listens only on a socket of its own: not on
  # the network, and not in $PGHOST, where the health check (pg_isready) would find it
  # and call the container healthy before the real server takes connections.
  setup="$(mktemp -d)"
  pg_ctl --pgdata="$PGDATA" --silent --wait \
    --options="-c listen_addresses='' -c unix_socket_directories=$setup" start
  createdb --host="$setup" --username="$POSTGRES_USER" "$POSTGRES_DB"
  pg_ctl --pgdata="$PGDATA" --silent --wait --mode=fast stop
  rmdir "$setup"
fi

exec postgres -D "$PGDATA" -c listen_addresses="$POSTGRES_LISTEN" \
  -c unix_socket_directories="$PGHOST"

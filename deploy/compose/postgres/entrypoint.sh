#!/bin/bash
# deploy/compose/postgres/entrypoint.sh — starts PostgreSQL 15 as the primary or as a streaming
# replica of it (PG_ROLE=primary|replica). Mounted into the official postgres:15 image or the
# local stand-in (both have bash, initdb, pg_basebackup and postgres on PATH) and run as the image's
# postgres user (999), so both images behave the same.
#
# primary, first start: initdb with SCRAM passwords, the replication settings, then the roles
#   postgres (password file POSTGRES_PASSWORD_FILE), APP_DB_USER owning APP_DB_NAME (password file
#   APP_DB_PASSWORD_FILE) and replicator (REPLICATION_PASSWORD_FILE), then runs postgres.
# replica, first start: waits for the primary, clones it with pg_basebackup -R through the
#   physical slot REPLICA_SLOT, then runs postgres as a hot standby.
# Later starts run postgres on the existing data directory; the primary's refuses to when the
#   replica was promoted meanwhile (REPLICA_HOST, REPLICA_PORT).
#
# The primary also archives WAL continuously and serves its data directory to the backups, with
# pgBackRest (the image must carry it; PGBACKREST_CONFIG names the configuration,
# deploy/backup/pgbackrest.compose-db.conf): archive_command pushes each segment to the backup
# repository (archive_timeout 60 s), and `pgbackrest server` (TLS, certificates only) lets the
# repository side take the backups. The replica gets the same settings and server: archiving
# starts when it is promoted, so a failover does not stop the backups. The settings are given on postgres's command line at every
# start, so a data directory made before them gets them too. The server is started in the
# background and left to the container's init (compose's `init: true`), never as a child of the
# postmaster, which would treat its exit as a crashed backend.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}" "${PGPORT:=5432}" "${PG_LISTEN:=127.0.0.1}"
: "${APP_DB_USER:=aps}" "${APP_DB_NAME:=aps}" "${REPLICA_SLOT:=replica1}"
export PGDATA PGPORT

log() { printf '{"ts":"%s","level":"INFO","msg":"%s","role":"%s"}\n' "$(date -u +%FT%TZ)" "$*" "${PG_ROLE:-}"; }
secret() { local f=$1; [ -r "$f" ] || { echo "postgres: cannot read secret file $f" >&2; exit 1; }; tr -d '\n' <"$f"; }

settings() {
  cat >>"$PGDATA/postgresql.conf" <<CONF
# --- deploy/compose/postgres/entrypoint.sh
listen_addresses = '$PG_LISTEN'
port = $PGPORT
unix_socket_directories = '/tmp'
password_encryption = 'scram-sha-256'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '256MB'
hot_standby = on
hot_standby_feedback = on
max_connections = ${PG_MAX_CONNECTIONS:-200}
shared_buffers = '${PG_SHARED_BUFFERS:-256MB}'
CONF
}

init_primary() {
  local pwfile
  pwfile=$(mktemp); secret "$POSTGRES_PASSWORD_FILE" >"$pwfile"
  initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  settings
  cat >"$PGDATA/pg_hba.conf" <<HBA
local   all          all                       scram-sha-256
host    all          all          all          scram-sha-256
host    replication  replicator   all          scram-sha-256
HBA
  # Roles and database, on a socket-only server that nothing else can reach yet.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  local app_pw repl_pw
  app_pw=$(secret "$APP_DB_PASSWORD_FILE"); repl_pw=$(secret "$REPLICATION_PASSWORD_FILE")
  PGPASSWORD=$(secret "$POSTGRES_PASSWORD_FILE") psql -v ON_ERROR_STOP=1 -q -h /tmp -U postgres -d postgres \
    -v app_user="$APP_DB_USER" -v app_db="$APP_DB_NAME" -v app_pw="$app_pw" -v repl_pw="$repl_pw" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_pw';
CREATE DATABASE :"app_db" OWNER :"app_user";
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'repl_pw';
SQL
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  log "initialised the primary"
}

init_replica() {
  local pass
  pass=$(secret "$REPLICATION_PASSWORD_FILE")
  for _ in $(seq 1 120); do
    PGPASSWORD=$pass pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U replicator -d postgres && break
    sleep 1
  done
  # the slot survives a replica rebuilt from scratch: drop a stale one first
  PGPASSWORD=$pass psql -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U replicator -d "replication=database" \
    -c "DROP_REPLICATION_SLOT $REPLICA_SLOT" >/dev/null 2>&1 || true
  rm -rf "${PGDATA:?}"/*
  PGPASSWORD=$pass pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U replicator -D "$PGDATA" \
    -R -X stream -c fast -C -S "$REPLICA_SLOT"
  # The standby connects with the password from its conninfo; keep it out of the world's reach.
  chmod 600 "$PGDATA/postgresql.auto.conf"
  settings
  log "cloned the primary into a hot standby"
}

# A primary whose replica was promoted in its absence (a failover) must not come back as a second
# primary: the services, whose DATABASE_URL names both servers, would write to whichever answered
# first. Before a later start, the primary asks the replica (REPLICA_HOST, REPLICA_PORT) whether
# it takes writes, and refuses to start when it does; rebuild it as that server's replica
# (docs/operations.md, "Hardware failure").
refuse_second_primary() {
  [ -n "${REPLICA_HOST:-}" ] || return 0
  local answer
  answer=$(PGPASSWORD=$(secret "$REPLICATION_PASSWORD_FILE") PGCONNECT_TIMEOUT=3 psql -Atq -h "$REPLICA_HOST" \
    -p "${REPLICA_PORT:-5432}" -U replicator -d postgres -c 'select pg_is_in_recovery()' 2>/dev/null) || return 0
  [ "$answer" = f ] || return 0
  echo "postgres: $REPLICA_HOST:${REPLICA_PORT:-5432} was promoted and takes writes: this server does not start as a second primary; rebuild it as that server's replica (docs/operations.md, \"Hardware failure\")" >&2
  exit 1
}

if [ -s "$PGDATA/PG_VERSION" ] && [ "${PG_ROLE:-}" = primary ]; then
  refuse_second_primary
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  case "${PG_ROLE:-}" in
    primary) init_primary ;;
    replica) init_replica ;;
    *) echo "postgres: PG_ROLE must be primary or replica" >&2; exit 2 ;;
  esac
fi
# PostgreSQL refuses a data directory others can read; a fresh volume may be world-writable.
chmod 700 "$PGDATA"
# Both roles: a standby with archive_mode=on archives nothing until it is promoted, and then
# archives its new timeline at once; its TLS server lets the backups read it from then on.
archiving=()
if [ -n "${PG_ROLE:-}" ]; then
  command -v pgbackrest >/dev/null ||
    { echo "postgres: pgbackrest is not in this image: use one with pgBackRest (deploy/docker/Dockerfile, target postgres)" >&2; exit 1; }
  : "${PGBACKREST_CONFIG:?postgres: PGBACKREST_CONFIG must name the pgBackRest configuration}"
  export PGBACKREST_PG1_PORT=$PGPORT
  # pgBackRest signs in over the socket as postgres, with the password from a private file.
  (umask 077; printf '*:*:*:postgres:%s\n' "$(secret "$POSTGRES_PASSWORD_FILE" | sed 's/[\\:]/\\&/g')" >/tmp/pgbackrest.pgpass)
  (PGPASSFILE=/tmp/pgbackrest.pgpass pgbackrest server </dev/null &)
  archiving=(-c archive_mode=on -c "archive_command=pgbackrest --stanza=${PGBACKREST_STANZA:-aps} archive-push %p"
    -c archive_timeout=60)
  log "archiving WAL with pgBackRest$([ "$PG_ROLE" = replica ] && echo ' once promoted'); its TLS server listens on port ${PGBACKREST_TLS_SERVER_PORT:-8432}"
fi
exec postgres -D "$PGDATA" "${archiving[@]}"

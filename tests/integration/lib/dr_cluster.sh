# shellcheck shell=bash
# dr_cluster.sh — sourced by the disaster-recovery drills (tests/integration/dr_*.sh): a
# throwaway PostgreSQL 15 primary whose WAL is archived by pgBackRest, configured with the
# shipped deploy/backup/pgbackrest.conf (only its paths and port changed), plus the helpers the
# drills share. PostgreSQL refuses to run as root, so the server and pgBackRest run as the
# postgres user. Needs: SRC (the source tree) and dir (the drill's scratch folder) set by the
# caller; defines PGBIN, as_pg, aps_pg, q, check, pass, fail, pick_port, dr_primary, dr_stop,
# dr_api.
: "${SRC:?}" "${dir:?}" "${APS_BIN:?}"
PGBIN=/usr/lib/postgresql/15/bin
for tool in pgbackrest psql jq curl "$PGBIN/initdb"; do
  command -v "$tool" > /dev/null || { echo "$0: $tool is missing (scripts/bootstrap installs it)" >&2; exit 1; }
done
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
aps_pg() { as_pg env "PATH=$PATH" "$APS_BIN" "$@"; } # aps commands that run pgBackRest or pg_ctl
q() { PGOPTIONS="-c client_min_messages=warning" psql "$1" -Atqc "$2"; }
# pick_port FIRST LAST — the first port of the range that can be bound on 127.0.0.1 now. The
# project's range lies inside Linux's ephemeral ports, so a client connection may hold any of
# them for a while: a fixed port would fail now and then.
pick_port() {
  python3 -c 'import socket, sys
for p in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p)); s.close(); print(p); sys.exit(0)
    except OSError:
        s.close()
sys.exit(1)' "$1" "$2" || { echo "$0: no free port in $1-$2" >&2; exit 1; }
}

# dr_primary PORT [EXTRA_CONF_LINE...] — initdb, archiving to $dir/repo, start, database aps,
# stanza aps; exports DATABASE_URL and the BACKUP_* settings of aps.
dr_primary() {
  local port=$1
  shift
  mkdir -p "$dir/log"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  sed -e "s#^repo1-path=.*#repo1-path=$dir/repo#" -e "s#^spool-path=.*#spool-path=$dir/spool#" \
    -e "s#^log-path=.*#log-path=$dir/log#" -e "s#^lock-path=.*#lock-path=$dir/lock#" \
    -e "s#^pg1-path=.*#pg1-path=$dir/p#" -e "s#^pg1-port=.*#pg1-port=$port#" \
    -e "s#^pg1-socket-path=.*#pg1-socket-path=$dir#" "$SRC/deploy/backup/pgbackrest.conf" > "$dir/pgbackrest.conf"
  as_pg "$PGBIN/initdb" -D "$dir/p" -U postgres -A trust -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "wal_level = replica"
    echo "archive_mode = on"
    echo "archive_command = 'pgbackrest --config=$dir/pgbackrest.conf --stanza=aps archive-push %p'"
    echo "archive_timeout = 60"
    echo "fsync = off"
    for line in "$@"; do echo "$line"; done
  } >> "$dir/p/postgresql.conf"
  as_pg "$PGBIN/pg_ctl" -D "$dir/p" -l "$dir/p.log" -w start > /dev/null
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres aps
  as_pg pgbackrest --config="$dir/pgbackrest.conf" --stanza=aps stanza-create > /dev/null
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/aps"
  export BACKUP_PGBACKREST_CONFIG=$dir/pgbackrest.conf BACKUP_STANZA=aps BACKUP_PG_BINDIR=$PGBIN
}

# dr_stop DATADIR — stops a cluster of the drill (immediate: it is thrown away).
dr_stop() { as_pg "$PGBIN/pg_ctl" -D "$1" -m immediate stop > /dev/null 2>&1 || true; }

# dr_api EMAIL THREADS — creates the user EMAIL, starts `aps api` on a free port (log
# $dir/api.log) and signs in; sets api_pid, base (…/api/v1) and token.
dr_api() {
  printf 'correct horse battery staple\n' > "$dir/pw"
  "$APS_BIN" user create --email "$1" --role user --password-file "$dir/pw" > /dev/null
  "$APS_BIN" api --host 127.0.0.1 --port 0 --threads "$2" > "$dir/api.log" 2>&1 &
  # shellcheck disable=SC2034 # the drill stops it
  api_pid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$dir/api.log" 2> /dev/null | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "$0: the api did not start" >&2; cat "$dir/api.log" >&2; exit 1; }
  base="http://127.0.0.1:$port/api/v1"
  token=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"correct horse battery staple\"}" | jq -r .access_token)
  if [ -z "$token" ] || [ "$token" = null ]; then echo "$0: login failed" >&2; exit 1; fi
}

#!/usr/bin/env bash
# The container deployment, built and run for real (deploy/docker, deploy/compose, deploy/nginx):
#   1. the configuration as code: dockerfilelint, shellcheck, docker-compose config and the
#      compose-spec schema for every environment, the seed's numbers in the rendered files, and
#      `nginx -t` of the edge in its own image;
#   2. the images built from nothing (a debootstrap base, no registry): sizes, labels, user, health;
#   3. the operator's mistakes stop aps-deploy before anything starts: an unknown environment, a
#      missing secret, a port in use, no container engine;
#   4. the production topology up on loopback ports (nginx ×2 → api ×3 → PostgreSQL primary +
#      streaming replica, Redis, workers ×2, scheduler, the pgBackRest repository), a real data
#      slice loaded, the PostgreSQL backups for real (WAL archived by the primary, the scheduler's
#      backup job run by a worker, `aps backup list` and `verify` in the workers), TLS checked
#      from outside (1.0/1.1 refused, 1.3 negotiated, HSTS, redirect), a forged X-Forwarded-For
#      ignored, metrics not public;
#   5. a rolling release (migration first, api one replica at a time, workers, scheduler) under
#      load through nginx over TLS, then a blue/green switch and an instant rollback under load:
#      failed requests and lost or duplicated jobs are counted, and each count must be 0;
#   6. a failover: the primary stopped for good, the replica promoted; writes through the edge
#      resume without restarting a service (DATABASE_URL names both servers), the promoted server
#      archives its new timeline, and a worker backs it up, lists and verifies the backups; the
#      old primary started again refuses to be a second primary;
#   7. everything torn down, nothing left running.
# Needs root, Debian's docker.io and docker-compose, debootstrap, openssl, curl, node (deploy/tools).
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:?}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
cd "$SRC"
work=$(mktemp -d /tmp/aps-deploy.XXXXXX)
export APS_DEPLOY_STATE=$work/state APS_PROJECT=apstest APS_ENV=production APS_DATA_DIR=$DATA
# Ports of this test (41xxx), so that a deployment of the same machine on the default ports is
# left alone.
export HTTPS_PORT=21443 HTTP_PORT=21080 HTTPS_PORT_2=21444 HTTP_PORT_2=21081 PG_PRIMARY_PORT=21432 PG_REPLICA_PORT=21433 REDIS_PORT=21379
export API_BLUE_1_PORT=21001 API_BLUE_2_PORT=21002 API_BLUE_3_PORT=21003
export API_GREEN_1_PORT=21011 API_GREEN_2_PORT=21012 API_GREEN_3_PORT=21013
export WORKER_1_PORT=21101 WORKER_2_PORT=21102
export PROMETHEUS_PORT=21090 ALERTMANAGER_PORT=21093 NODE_EXPORTER_PORT=21100 POSTGRES_EXPORTER_PORT=21187
export REDIS_EXPORTER_PORT=21121 GRAFANA_PORT=21300 PGBACKREST_DB_PORT=21434 PGBACKREST_REPO_PORT=21435
export PGBACKREST_REPLICA_DB_PORT=21436
DEPLOY=deploy/compose/aps-deploy
TOOLS=deploy/tools
started_engine=0
load_pid="" producer_pid=""

pass=0 fail=0
check() { if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi; }
check_true() { local what=$1; shift; if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi; }
phase() { echo "== $(date -u +%T) $*"; }
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 is not installed ($2): run scripts/bootstrap"; exit 1; }; }

cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  [ -n "$producer_pid" ] && kill "$producer_pid" 2>/dev/null
  "$DEPLOY" down >/dev/null 2>&1 || true
  [ $started_engine = 1 ] && deploy/docker/engine stop
  rm -rf "$work"
}
trap cleanup EXIT

need dockerd "Debian docker.io"; need docker-compose "Debian docker-compose"; need debootstrap "Debian debootstrap"
need openssl openssl; need curl curl; need node "Node.js"; need shellcheck "Debian shellcheck"; need psql "PostgreSQL client"; need jq jq
[ -d "$TOOLS/node_modules/yaml" ] || { echo "FAIL: $TOOLS/node_modules is missing: run scripts/bootstrap"; exit 1; }

# ---- 1. configuration as code -------------------------------------------------------------------
phase "configuration checks"
dockerfilelint() { (cd "$TOOLS" && npx --no-install dockerfilelint -c ../docker ../docker/Dockerfile ../docker/local/Dockerfile); }
check_true "dockerfilelint: both Dockerfiles clean" dockerfilelint
stages=$(sed -n 's/^FROM .* AS \([a-z0-9-]*\)$/\1/p' deploy/docker/Dockerfile | paste -sd'|')
check "every FROM names a stage, scratch or a tagged image (never :latest)" "" \
  "$(grep -h '^FROM ' deploy/docker/Dockerfile deploy/docker/local/Dockerfile | awk '{print $2}' |
     grep -v -E -e '^scratch$' -e "^($stages)\$" | grep -v -e '^[a-z0-9./-]*:[a-z0-9.-]*$' -e ':latest$' || true)"
check_true "shellcheck: the deploy scripts" shellcheck -x deploy/docker/engine deploy/docker/base-image \
  deploy/docker/build deploy/docker/runtime-rootfs deploy/compose/aps-deploy deploy/compose/postgres/entrypoint.sh
check_true "compose-spec schema: every compose file" node "$TOOLS/compose-schema.mjs" deploy/compose/compose*.yaml
printf 'services:\n  api:\n    imagee: x\n' >"$work/typo.yaml"
check_true "compose-spec schema: a typo is caught" sh -c "! node $TOOLS/compose-schema.mjs $work/typo.yaml >/dev/null"
mkdir -p "$work/fake"
for env in development staging production; do
  APS_SECRETS_DIR=$work/fake APS_STATE_DIR=$work/fake APS_TLS_DIR=$work/fake \
    docker-compose --env-file deploy/compose/ports.env -p check -f deploy/compose/compose.yaml \
    -f "deploy/compose/compose.$env.yaml" config >"$work/rendered-$env.yaml"
  check "docker-compose config: $env" 0 "$?"
  out=$(node "$TOOLS/compose-policy.mjs" "$env" "$work/rendered-$env.yaml") || echo "$out"
  check "the seed's numbers in the $env deployment" "0 failed" "$(tail -1 <<<"$out" | grep -o '0 failed$' || true)"
done
# The policy check can fail: a worker with 3 CPUs in production is not the seed's.
sed '/^  worker-1:/,/^  [a-z]/ s/^    cpus: 4\(\.0\)\?$/    cpus: 3/' "$work/rendered-production.yaml" >"$work/wrong.yaml"
check_true "the policy check catches a wrong resource" sh -c "! node $TOOLS/compose-policy.mjs production $work/wrong.yaml >/dev/null"

# ---- 2. images from nothing ------------------------------------------------------------------------
phase "engine and images"
deploy/docker/engine status || started_engine=1
eval "$(deploy/docker/engine start)"
# What an aborted earlier run of this test left behind goes first (same project name).
APS_KEEP_ENGINE=1 "$DEPLOY" down >/dev/null 2>&1 || true
t0=$(date +%s)
deploy/docker/build >"$work/build.log" 2>&1 || { cat "$work/build.log"; false; }
echo "images built in $(($(date +%s) - t0)) s:"; cat var/deploy/images.txt
version=$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' ai-pro-sports-api:2.0.0)
check "api image: OCI version label" 2.0.0 "$version"
check_true "api image: OCI revision label" test -n "$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' ai-pro-sports-api:2.0.0)"
for img in api worker scheduler trainer; do
  size=$(docker image inspect -f '{{.Size}}' "ai-pro-sports-$img:2.0.0")
  # the worker carries pgBackRest, whose libxml2 brings ICU's 31 MB of data
  limit=60000000; [ $img = worker ] && limit=90000000
  check_true "$img image is tens of MB (got $size bytes)" test "$size" -lt $limit
  check "$img image runs as 10001" 10001:10001 "$(docker image inspect -f '{{.Config.User}}' "ai-pro-sports-$img:2.0.0")"
  check "$img image: tini is PID 1" /usr/bin/tini-static "$(docker image inspect -f '{{index .Config.Entrypoint 0}}' "ai-pro-sports-$img:2.0.0")"
done
check "api image: healthcheck every 10s" 10s "$(docker image inspect -f '{{.Config.Healthcheck.Interval}}' ai-pro-sports-api:2.0.0)"
check "api image: exposes 8000" "map[8000/tcp:{}]" "$(docker image inspect -f '{{.Config.ExposedPorts}}' ai-pro-sports-api:2.0.0)"
check "worker image: exposes 9000" "map[9000/tcp:{}]" "$(docker image inspect -f '{{.Config.ExposedPorts}}' ai-pro-sports-worker:2.0.0)"
check "the runtime image has no shell" 127 "$(docker run --rm --entrypoint /bin/sh ai-pro-sports-api:2.0.0 -c true >/dev/null 2>&1; echo $?)"
check "the worker image has no shell" 127 "$(docker run --rm --entrypoint /bin/sh ai-pro-sports-worker:2.0.0 -c true >/dev/null 2>&1; echo $?)"
check "the worker image runs pgBackRest" "pgBackRest 2.45" "$(docker run --rm --entrypoint /usr/bin/pgbackrest ai-pro-sports-worker:2.0.0 version 2>&1)"
check "the postgres image has pgBackRest" "pgBackRest 2.45" "$(docker run --rm --entrypoint pgbackrest aps-local/postgres:15 version 2>&1)"
check_true "the trainer runs without a GPU and knows its settings" sh -c \
  "docker run --rm --network host -e GPU_MEMORY_LIMIT=8g -e TRAINING_DATA_PATH=/data ai-pro-sports-trainer:2.0.0 config get GPU_MEMORY_LIMIT | grep -q 8"

# A release candidate: the same code with one more (backward-compatible, additive) migration.
rc=$work/rc
mkdir -p "$rc/web" "$rc/deploy"
cp -r CMakeLists.txt src migrations config "$rc/"; cp -r web/dist "$rc/web/"; cp -r deploy/docker "$rc/deploy/"
last=$(ls migrations | sed -n 's/^\([0-9]*\)_.*/\1/p' | sort -n | tail -1)
next=$(printf '%03d' $((10#$last + 1)))
cat >"$rc/migrations/${next}_release_probe.sql" <<'SQL'
-- Added by the release test: an additive change the running release does not know about.
CREATE TABLE release_probe (id INTEGER PRIMARY KEY, note TEXT);
SQL
deploy/docker/build --only services --context "$rc" --tag rc1 >"$work/build-rc.log" 2>&1 || { cat "$work/build-rc.log"; false; }
for img in api worker scheduler; do docker tag "ai-pro-sports-$img:rc1" "ai-pro-sports-$img:rc2"; done

# ---- 3. mistakes stop it before anything starts ---------------------------------------------------
phase "prerequisite failures"
out=$("$DEPLOY" --env prod up 2>&1) && code=0 || code=$?
check "unknown environment: exit 2" 2 "$code"
check "unknown environment: one line naming the fix" 1 "$(grep -c 'use development, staging or production' <<<"$out")"
out=$("$DEPLOY" up 2>&1) && code=0 || code=$?
check "missing secret: refused" 1 "$code"
check "missing secret: names the file and the fix" 1 "$(grep -c "missing secret .*postgres_password: run deploy/compose/aps-deploy --env production secrets" <<<"$out")"
check "missing secret: nothing started" "" "$("$DEPLOY" compose ps -q 2>/dev/null)"
"$DEPLOY" secrets
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",21443)); s.listen(); time.sleep(30)' &
blocker=$!
sleep 0.5
out=$("$DEPLOY" up 2>&1) && code=0 || code=$?
kill $blocker 2>/dev/null; wait $blocker 2>/dev/null || true
check "port in use: refused" 1 "$code"
check "port in use: names the port and the setting" 1 "$(grep -c 'port 21443 (HTTPS_PORT) is already in use' <<<"$out")"
check "port in use: nothing started" "" "$("$DEPLOY" compose ps -q 2>/dev/null)"
# A machine without the engine: every program but dockerd, and no daemon answering.
mkdir -p "$work/bin"
for f in /usr/local/bin/* /usr/bin/* /usr/sbin/* /sbin/*; do
  [ "${f##*/}" = dockerd ] || ln -sf "$f" "$work/bin/${f##*/}"
done
out=$(PATH=$work/bin DOCKER_HOST=unix://$work/none.sock APS_DOCKER_ROOT=$work/none "$DEPLOY" up 2>&1) && code=0 || code=$?
check "no engine: refused" 1 "$code"
check_true "no engine: says how to get one ($out)" grep -q 'is not installed: run scripts/bootstrap' <<<"$out"

# ---- 4. the topology up ---------------------------------------------------------------------------
phase "up"
# The load below comes from one address at several thousand requests a second: production's
# 100 requests a minute per client would turn it into 429s, so this run raises the limit.
cat >"$work/test-limits.yaml" <<'EOF'
x-limit: &limit
  environment: {RATE_LIMIT_PER_MIN: "1000000"}
services:
  api-blue-1: *limit
  api-blue-2: *limit
  api-blue-3: *limit
  api-green-1: *limit
  api-green-2: *limit
  api-green-3: *limit
EOF
export APS_COMPOSE_EXTRA=$work/test-limits.yaml
# The receivers' keys of Alertmanager (Slack, PagerDuty, email: production's ALERT_CHANNELS and
# the digest) are the operator's to give: without them --monitoring is refused; here they name a
# local address that accepts nothing.
out=$("$DEPLOY" up --monitoring 2>&1) && code=0 || code=$?
check "monitoring without the receivers' keys: refused" 1 "$code"
check_true "monitoring without the receivers' keys: names the file and the channels ($out)" grep -q "missing secret .*alertmanager_pagerduty_routing_key: put the receiver's key.*ALERT_CHANNELS=slack,pagerduty" <<<"$out"
sec=$APS_DEPLOY_STATE/production/secrets
printf 'http://127.0.0.1:21999/slack' >"$sec/alertmanager_slack_webhook_url"
printf 'test-routing-key' >"$sec/alertmanager_pagerduty_routing_key"
printf 'test-smtp-password' >"$sec/alertmanager_smtp_password"
t0=$(date +%s)
"$DEPLOY" up --monitoring >"$work/up.log" 2>&1 || { cat "$work/up.log"; false; }
echo "topology healthy in $(($(date +%s) - t0)) s"
"$DEPLOY" compose run --rm --no-deps ml-trainer ingest sbr "/data/sportsbookreview/nba/nba odds 2018-19.csv" --quiet \
  >"$work/ingest.log" 2>&1 || { cat "$work/ingest.log"; false; }
CA=$APS_DEPLOY_STATE/production/tls/fullchain.pem
EDGE=https://localhost:$HTTPS_PORT EDGE2=https://localhost:$HTTPS_PORT_2
for s in postgres-primary postgres-replica redis pgbackrest-repo api-blue-1 api-blue-2 api-blue-3 worker-1 worker-2 scheduler nginx-1 nginx-2; do
  id=$("$DEPLOY" compose ps -q "$s" 2>/dev/null) || true
  check "$s is healthy" healthy "$(docker inspect -f '{{.State.Health.Status}}' "$id")"
done
app_pw=$(cat "$APS_DEPLOY_STATE/production/secrets/app_db_password")
PRIMARY="postgresql://aps:$app_pw@127.0.0.1:$PG_PRIMARY_PORT/aps"
REPLICA="postgresql://aps:$app_pw@127.0.0.1:$PG_REPLICA_PORT/aps"
check "the replica streams from the primary" "streaming" "$(PGPASSWORD=$(cat "$APS_DEPLOY_STATE/production/secrets/postgres_password") psql -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -d postgres -Atc 'select state from pg_stat_replication')"
check "the replica is read-only" t "$(psql "$REPLICA" -Atc 'select pg_is_in_recovery()')"
check_true "the data slice reached the replica" test "$(psql "$REPLICA" -Atc 'select count(*) from games')" -gt 1000
# Prometheus scrapes every replica, the exporters and Alertmanager (15 s and 30 s intervals).
targets_up() { # → "up/total"
  curl -s "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets" |
    jq -r '[.data.activeTargets[] | select(.labels.job != "dcgm" and (.labels.job | startswith("blackbox") | not))] | "\([.[] | select(.health == "up")] | length)/\(length)"'
}
for _ in $(seq 1 60); do [ "$(targets_up)" = "9/9" ] && break; sleep 1; done
check "Prometheus: api ×3, worker ×2, postgres, redis, node and alertmanager targets up" 9/9 "$(targets_up)"
am_config=$(curl -s "http://127.0.0.1:$ALERTMANAGER_PORT/api/v2/status" | jq -r .config.original)
check_true "Alertmanager runs production's routes: critical alerts page PagerDuty and Slack" \
  grep -q "pagerduty_configs" <<<"$am_config"
check "Alertmanager's configuration was written for ALERT_CHANNELS=slack,pagerduty" 1 \
  "$(grep -c "ALERT_CHANNELS=slack,pagerduty" "$APS_DEPLOY_STATE/production/alertmanager/alertmanager.yml")"
check "Prometheus loaded the alert rules" true "$(curl -s "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/rules" | jq '[.data.groups[].rules[] | select(.type == "alerting")] | length > 20')"
check "redis runs the shipped persistence: RDB every 15 minutes" "save
900 1" "$(docker exec "$("$DEPLOY" compose ps -q redis)" sh -c "redis-cli -p $REDIS_PORT -a \"\$(sed -n 's/^requirepass //p' /run/secrets/redis_auth.conf)\" --no-auth-warning config get save")"
check "redis appends every write, fsynced every second" "appendfsync
everysec" "$(docker exec "$("$DEPLOY" compose ps -q redis)" sh -c "redis-cli -p $REDIS_PORT -a \"\$(sed -n 's/^requirepass //p' /run/secrets/redis_auth.conf)\" --no-auth-warning config get appendfsync")"
check "redis snapshots are rotated" running "$(docker inspect -f '{{.State.Status}}' "$("$DEPLOY" compose ps -q redis-snapshots)")"

phase "PostgreSQL backups"
SUPER="postgresql://postgres:$(cat "$APS_DEPLOY_STATE/production/secrets/postgres_password")@127.0.0.1:$PG_PRIMARY_PORT/postgres"
check "the primary archives WAL" on "$(psql "$SUPER" -Atc 'show archive_mode')"
check "with pgBackRest" "pgbackrest --stanza=aps archive-push %p" "$(psql "$SUPER" -Atc 'show archive_command')"
archived=$(psql "$SUPER" -Atc 'select archived_count from pg_stat_archiver')
check_true "WAL segments reached the repository ($archived archived)" test "$archived" -ge 1
# Pushes fail only before aps-deploy made the stanza, seconds after the first start; PostgreSQL
# keeps such a segment and pushes it again. Archiving works now: its last success is the newer.
check "WAL archiving is not failing" t "$(psql "$SUPER" -Atc 'select coalesce(last_archived_time > last_failed_time, true) from pg_stat_archiver')"
# The scheduler's daily backup job, enqueued as the scheduler enqueues it: a worker runs it.
REDIS_URL="redis://:$(cat "$APS_DEPLOY_STATE/production/secrets/redis_password")@127.0.0.1:$REDIS_PORT/0"
ENVIRONMENT=development REDIS_URL=$REDIS_URL DATABASE_URL=$PRIMARY "$APS_BIN" worker enqueue backup --key "backup-$(date +%s)" >/dev/null
backup_row() { psql "$PRIMARY" -Atc "select ok || ' ' || label || ' ' || coalesce(error, '') from backups where kind = 'postgres' order by id desc limit 1"; }
for _ in $(seq 1 120); do [ -n "$(backup_row)" ] && break; sleep 1; done
row=$(backup_row)
check_true "the backup job made a full backup ($row)" grep -q '^1 [0-9]*-[0-9]*F $' <<<"$row"
job_label=$(cut -d' ' -f2 <<<"$row")
w1=$("$DEPLOY" compose ps -q worker-1) w2=$("$DEPLOY" compose ps -q worker-2)
out=$(docker exec "$w1" aps backup run 2>&1) && code=0 || code=$?
check "aps backup run in worker-1 ($out)" 0 "$code"
run_label=$(sed -n 's/^postgres backup \([^:]*\):.*/\1/p' <<<"$out")
list=$(docker exec "$w2" aps backup list 2>&1) || true
check "aps backup list in worker-2 shows both full backups" 2 "$(grep -c -e "full  $job_label " -e "full  ${run_label:-none} " <<<"$list")"
check_true "aps backup list shows the WAL range ($list)" grep -q '^WAL archive 0000' <<<"$list"
out=$(docker exec "$w2" aps backup verify 2>&1) && code=0 || code=$?
check "aps backup verify ($out)" 0 "$code"
check "verify: archiving works" 1 "$(grep -c '^archiving: ok' <<<"$out")"
# What the backup alerts watch (BackupTooOld, BackupFailing, WalArchiveLagging), from a worker.
metrics=$(curl -s "http://127.0.0.1:$WORKER_1_PORT/metrics")
# (compared as a number: the exposition writes the shortest form, 1.7964691e+09 for a time
# that ends in zeros)
backup_last=$(sed -n 's/^aps_backup_last_success_timestamp_seconds{kind="postgres"} //p' <<<"$metrics")
check_true "metrics: a PostgreSQL backup in the last 5 minutes (${backup_last:-none})" \
  awk -v t="${backup_last:-0}" -v now="$(date +%s)" 'BEGIN { exit !(t + 0 > now - 300) }'
check "metrics: no failed backup" 0 "$(sed -n 's/^aps_backup_failures_total{kind="postgres"} //p' <<<"$metrics")"
check "metrics: WAL archiving not behind" 0 "$(sed -n 's/^aps_backup_wal_archive_lag_seconds //p' <<<"$metrics")"
check "passwords are required" 2 "$(psql "postgresql://aps:wrong@127.0.0.1:$PG_PRIMARY_PORT/aps" -c 'select 1' >/dev/null 2>&1; echo $?)"

phase "edge"
check "HTTPS health through nginx-1" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$EDGE/api/v1/health")"
check "HTTPS health through nginx-2" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$EDGE2/api/v1/health")"
headers=$(curl -sS -D - -o /dev/null --cacert "$CA" "$EDGE/api/v1/health")
check "HSTS" 1 "$(grep -ic '^strict-transport-security: max-age=31536000; includeSubDomains' <<<"$headers")"
check "no nginx version in Server" 1 "$(grep -ic '^server: nginx.\?$' <<<"$headers")"
check "HTTP redirects to HTTPS" "301 https://localhost/api/v1/health" \
  "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: localhost' "http://127.0.0.1:$HTTP_PORT/api/v1/health")"
for v in tls1 tls1_1; do
  check "$v is refused" 1 "$(echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -"$v" 2>&1 | grep -c 'alert protocol version')"
done
check "TLS 1.3 is negotiated" 1 "$(echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" 2>/dev/null | grep -c 'New, TLSv1.3')"
check "TLS 1.2 is accepted" 1 "$(echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -tls1_2 2>/dev/null | grep -c 'New, TLSv1.2')"
check "a CBC cipher is refused" 1 "$(echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -tls1_2 -cipher AES128-SHA 2>&1 | grep -c 'handshake failure\|no cipher')"
check "HTTP/2" 2 "$(curl -s -o /dev/null -w '%{http_version}' --cacert "$CA" "$EDGE/api/v1/health")"
check "metrics are not public" 404 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$EDGE/metrics")"
check "the docs page is served" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$EDGE/api/v1/docs")"
check "gzip" gzip "$(curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' --cacert "$CA" "$EDGE/api/v1/openapi.json" | tr -d '\r' | sed -n 's/^content-encoding: //ip')"
check "a body over the api's 1 MiB is refused at the edge" 413 "$(head -c 1100000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -X POST --data-binary @- "$EDGE/api/v1/auth/login")"
email="deploy-$(date +%s)@example.com" password="correct horse battery staple"
check "register through the edge" 201 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Deploy Test\"}" "$EDGE/api/v1/auth/register")"
token=$(curl -sS --cacert "$CA" -H 'Content-Type: application/json' -H 'X-Forwarded-For: 203.0.113.66' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$EDGE/api/v1/auth/login" | jq -r .access_token)
check_true "login through the edge" test -n "$token" -a "$token" != null
check "a forged X-Forwarded-For is not the client's address" 127.0.0.1 \
  "$(psql "$PRIMARY" -Atc "select s.ip from sessions s join users u on u.id = s.user_id where u.email = '$email' order by s.id desc limit 1")"
check "an authenticated list through the edge" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $token" "$EDGE/api/v1/games?sport=NBA&limit=50")"

# ---- 5. releases under load -----------------------------------------------------------------------
# Load: 32 requests in flight through both nginx over TLS — the cached games list and the
# authenticated predictions list, alternately — until the file $work/stop appears. curl reuses
# connections and retries one that a server closed while idle, as HTTP clients do. Each answer
# is a line "status url error". A request that got no HTTP answer at all (status 000: the
# connection failed or was reset) is sent once more, as a browser does with an idempotent GET on
# a reset connection; it counts as failed when that retry fails too, and the retries are counted
# and printed. Any HTTP status but 200 is a failed request, never retried.
load() { # codes-file
  local cfg=$work/curl.cfg i
  : >"$cfg"
  for i in $(seq 1 200); do
    case $((i % 4)) in
      0) echo "url = \"$EDGE/api/v1/games?sport=NBA&limit=50\"" ;;
      1) echo "url = \"$EDGE/api/v1/predictions?limit=50\"" ;;
      2) echo "url = \"$EDGE2/api/v1/games?sport=NBA&limit=50\"" ;;
      3) echo "url = \"$EDGE2/api/v1/predictions?limit=50\"" ;;
    esac
    echo 'output = "/dev/null"'
  done >>"$cfg"
  local code url rest
  while [ ! -e "$work/stop" ]; do
    curl -s --parallel --parallel-max 32 --cacert "$CA" -H "Authorization: Bearer $token" \
      -w '%{http_code} %{url_effective} %{errormsg}\n' -K "$cfg" 2>/dev/null |
      while read -r code url rest; do
        if [ "$code" = 000 ]; then
          echo "retry $url $rest" >>"$1.retries"
          code=$(curl -s -o /dev/null --cacert "$CA" -H "Authorization: Bearer $token" -w '%{http_code}' "$url")
        fi
        echo "$code"
      done >>"$1" || true # curl's own exit status says nothing the recorded answers do not
  done
}
# Jobs: a noop job every 0.1 s, each with its own mark, until $work/stop appears.
produce() { # prefix
  local n=0 ok=0
  while [ ! -e "$work/stop" ]; do
    n=$((n + 1))
    if ENVIRONMENT=development REDIS_URL=$REDIS_URL DATABASE_URL=$PRIMARY "$APS_BIN" worker enqueue noop \
      --payload "{\"sleep_ms\":300,\"mark\":\"$1-$n\"}" --key "$1-$n" >/dev/null 2>>"$work/produce.err"; then
      ok=$((ok + 1))
    else
      echo "enqueue $1-$n failed" >>"$work/produce.err"
    fi
    sleep 0.1
  done
  echo "$ok" >"$work/$1.count"
}
failed_of() { grep -cv '^200$' "$1" || true; }
# The counts of one load run: requests, failed ones (0), connection errors sent again (rare).
check_load() { # phase codes-file minimum-requests
  local total failed retried
  total=$(wc -l <"$2"); failed=$(failed_of "$2"); retried=$(wc -l <"$2.retries")
  echo "$1: $total requests, $failed failed, $retried sent again after a connection error"
  explain_failures "$2"
  check_true "$1: load ran ($total requests)" test "$total" -gt "$3"
  check "$1: failed requests" 0 "$failed"
  check_true "$1: connection errors are rare ($retried of $total)" test $((retried * 1000)) -le "$total"
}
# On a failed request: which statuses, and nginx's lines for the answers that were not 200.
explain_failures() { # codes-file
  if [ -s "$1.retries" ]; then
    echo "requests without an HTTP answer, sent again: $(wc -l <"$1.retries")"; sort "$1.retries" | cut -d' ' -f3- | uniq -c | head -5
  fi
  [ "$(failed_of "$1")" = 0 ] && return 0
  echo "statuses other than 200:"; grep -v '^200$' "$1" | sort | uniq -c
  local n
  for n in nginx-1 nginx-2; do
    docker logs "$("$DEPLOY" compose ps -q "$n")" 2>&1 | grep -v '"status":200' | grep -v 'signal process\|nginx-health' | tail -5
  done
}

phase "rolling release under load"
rm -f "$work/stop"; : >"$work/codes-rolling"; : >"$work/codes-rolling.retries"
load "$work/codes-rolling" & load_pid=$!
produce rolling & producer_pid=$!
sleep 3
t0=$(date +%s)
"$DEPLOY" release rc1 >"$work/release.log" 2>&1 || { cat "$work/release.log"; false; }
echo "rolling release done in $(($(date +%s) - t0)) s"
sleep 3
touch "$work/stop"; wait "$load_pid" "$producer_pid" || true; load_pid="" producer_pid=""
check_load "rolling release" "$work/codes-rolling" 1000
check "rolling release: the new migration ran first" 1 "$(psql "$PRIMARY" -Atc "select count(*) from schema_migrations where version = $((10#$next))")"
for s in api-green-1 api-green-2 api-green-3 worker-1 worker-2 scheduler; do
  id=$("$DEPLOY" compose ps -q "$s")
  check "$s runs rc1" "ai-pro-sports-${s%%-*}:rc1" "$(docker inspect -f '{{.Config.Image}}' "$id")"
done
check "the blue replicas are gone" "" "$("$DEPLOY" compose ps -q api-blue-1 api-blue-2 api-blue-3 2>/dev/null)"
# Every job enqueued during the release takes effect exactly once.
enqueued=$(cat "$work/rolling.count")
for _ in $(seq 1 60); do
  done_=$(psql "$PRIMARY" -Atc "select count(*) from schedule_runs where task like 'noop:rolling-%'")
  [ "$done_" -ge "$enqueued" ] && break
  sleep 1
done
check "rolling release: enqueue errors" "" "$(head -5 "$work/produce.err")"
check "rolling release: lost jobs ($enqueued enqueued)" 0 "$((enqueued - done_))"
# A job that ran again finds its effect already there and logs "mark":"existed"; the workers'
# logs, the replaced containers' included (aps-deploy keeps them), hold every run.
logs=$(cat "$APS_DEPLOY_STATE"/production/logs/worker-* 2>/dev/null; for s in worker-1 worker-2; do docker logs "$("$DEPLOY" compose ps -q "$s")" 2>&1; done)
check "rolling release: job runs logged" "$enqueued" "$(grep '"msg":"job noop ok"' <<<"$logs" | grep -c '"mark":"written"' || true)"
check "rolling release: jobs run twice" 0 "$(grep '"msg":"job noop ok"' <<<"$logs" | grep -c '"mark":"existed"' || true)"

phase "blue/green switch and rollback under load"
rm -f "$work/stop"; : >"$work/codes-bg"; : >"$work/codes-bg.retries"
load "$work/codes-bg" & load_pid=$!
sleep 2
"$DEPLOY" switch rc2 >"$work/switch.log" 2>&1 || { cat "$work/switch.log"; false; }
check "switch: traffic on blue" "LIVE_COLOR=blue" "$(grep '^LIVE_COLOR=' "$APS_DEPLOY_STATE/production/state.env")"
check "switch: the upstream lists blue only" "21001 21002 21003" "$(grep -o 'api.internal:[0-9]*' "$APS_DEPLOY_STATE/production/nginx/1/upstream-api.conf" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
sleep 3
t0=$(date +%s%N)
"$DEPLOY" rollback >"$work/rollback.log" 2>&1 || { cat "$work/rollback.log"; false; }
echo "rollback took $((($(date +%s%N) - t0) / 1000000)) ms"
check "rollback: traffic on green again" "LIVE_COLOR=green" "$(grep '^LIVE_COLOR=' "$APS_DEPLOY_STATE/production/state.env")"
sleep 3
touch "$work/stop"; wait "$load_pid" || true; load_pid=""
check_load "blue/green" "$work/codes-bg" 500
"$DEPLOY" finish >/dev/null 2>&1
check "finish: the idle colour is stopped" "" "$("$DEPLOY" compose ps -q api-blue-1 api-blue-2 api-blue-3 2>/dev/null)"

# ---- 6. failover ------------------------------------------------------------------------------------
phase "failover"
w1=$("$DEPLOY" compose ps -q worker-1) w2=$("$DEPLOY" compose ps -q worker-2)
SUPER2="postgresql://postgres:$(cat "$APS_DEPLOY_STATE/production/secrets/postgres_password")@127.0.0.1:$PG_REPLICA_PORT/postgres"
# The primary's host is lost: stopped (its restart policy leaves a stopped container alone), never
# to come back as a primary; the operator promotes the replica (docs/operations.md).
docker stop -t 10 "$("$DEPLOY" compose ps -q postgres-primary)" >/dev/null
t0=$(date +%s%N)
docker exec "$("$DEPLOY" compose ps -q postgres-replica)" pg_ctl promote -w -D /var/lib/postgresql/data >/dev/null
check "the replica is promoted" f "$(psql "$SUPER2" -Atc 'select pg_is_in_recovery()')"
# (the promotion's checkpoint is spread out; pgBackRest backs up only once pg_control names the
# new timeline: "WAL timeline 2 does not match pg_control timeline 1" before it)
psql "$SUPER2" -qc checkpoint
# A sign-up through the edge, tried once a second until one is taken (201) or TRIES have failed:
# sets code (the last answer) and i (the try whose address, PREFIX-i@example.com, was taken).
sign_up_until_taken() { # PREFIX TRIES
  code=000
  for i in $(seq 1 "$2"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/json' \
      -d "{\"email\":\"$1-$i@example.com\",\"password\":\"$password\",\"name\":\"Failover\"}" "$EDGE/api/v1/auth/register")
    [ "$code" = 201 ] && break
    sleep 1
  done
}
# a sign-up is a write: the services reconnect to the server that takes writes, unrestarted
sign_up_until_taken failover 60
echo "first write through the edge $((($(date +%s%N) - t0) / 1000000)) ms after the promotion"
check "a write through the edge after the failover" 201 "$code"
check "... stored on the promoted server" 1 "$(psql "$REPLICA" -Atc "select count(*) from users where email = 'failover-$i@example.com'")"
# the new timeline reaches the repository: the promotion's history file at once, then segments
for _ in $(seq 1 60); do
  [ "$(psql "$SUPER2" -Atc 'select archived_count > 0 from pg_stat_archiver')" = t ] && break
  sleep 1
done
check "the promoted server archives WAL ($(psql "$SUPER2" -Atc "select archived_count || ' archived, last ' || coalesce(last_archived_wal, '-') || ', failed ' || failed_count from pg_stat_archiver"))" \
  t "$(psql "$SUPER2" -Atc 'select archived_count > 0 and failed_count = 0 from pg_stat_archiver')"
out=$(docker exec "$w1" aps backup run 2>&1) && code=0 || code=$?
check "aps backup run after the failover: a backup of the promoted server ($out)" 0 "$code"
failover_label=$(sed -n 's/^postgres backup \([^:]*\):.*/\1/p' <<<"$out")
check_true "... and it says which database host it skipped" grep -q "^aps backup run: warning: unable to check pg1" <<<"$out"
list=$(docker exec "$w2" aps backup list 2>&1) || true
check "aps backup list shows it beside the earlier two" 3 "$(grep -c -e "full  $job_label " -e "full  ${run_label:-none} " -e "full  ${failover_label:-none} " <<<"$list")"
check_true "... and WAL of the new timeline in the repository ($list)" grep -q '^WAL archive 0000000100.* \.\. 00000002' <<<"$list"
# pgBackRest's check wants every database host it is configured with: until the lost primary is
# rebuilt, verify fails, names it and says the backups go on
out=$(docker exec "$w2" aps backup verify 2>&1) && code=0 || code=$?
check "aps backup verify with the lost primary down: refused" 1 "$code"
check_true "... naming the host and saying backups go on ($out)" grep -q "unable to connect to 'postgres-primary.internal:$PGBACKREST_DB_PORT'.*backups still run from the primary" <<<"$out"
# The lost primary started again (its host is back): it must not take writes beside the promoted
# server; the services keep writing to the promoted one.
old=$("$DEPLOY" compose ps -q postgres-primary)
docker start "$old" >/dev/null
sleep 8
check_true "the old primary refuses to start as a second primary" grep -q 'was promoted and takes writes: this server does not start as a second primary' <(docker logs "$old" 2>&1)
check "... and does not listen" 2 "$(pg_isready -q -h 127.0.0.1 -p "$PG_PRIMARY_PORT"; echo $?)"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/json' \
  -d "{\"email\":\"failover-after@example.com\",\"password\":\"$password\",\"name\":\"Failover\"}" "$EDGE/api/v1/auth/register")
check "writes still go to the promoted server" "201 1" "$code $(psql "$REPLICA" -Atc "select count(*) from users where email = 'failover-after@example.com'")"
# Redundant again: the lost primary wiped and cloned as the promoted server's standby.
"$DEPLOY" rebuild-primary >"$work/rebuild.log" 2>&1 && code=0 || code=$?
check "rebuild-primary: postgres-primary rebuilt ($(tail -2 "$work/rebuild.log" | tr '\n' ' '))" 0 "$code"
for _ in $(seq 1 30); do
  [ "$(psql "$SUPER2" -Atc 'select state from pg_stat_replication')" = streaming ] && break
  sleep 1
done
check "... it streams from the promoted server" streaming "$(psql "$SUPER2" -Atc 'select state from pg_stat_replication')"
check "... as a read-only standby holding the writes made after the failover" "t 1" \
  "$(psql "$PRIMARY" -Atc 'select pg_is_in_recovery()') $(psql "$PRIMARY" -Atc "select count(*) from users where email = 'failover-after@example.com'")"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/json' \
  -d "{\"email\":\"failover-rebuilt@example.com\",\"password\":\"$password\",\"name\":\"Failover\"}" "$EDGE/api/v1/auth/register")
for _ in $(seq 1 30); do
  [ "$(psql "$PRIMARY" -Atc "select count(*) from users where email = 'failover-rebuilt@example.com'")" = 1 ] && break
  sleep 1
done
check "... a later write reaches it" "201 1" "$code $(psql "$PRIMARY" -Atc "select count(*) from users where email = 'failover-rebuilt@example.com'")"
out=$(docker exec "$w2" aps backup verify 2>&1) && code=0 || code=$?
check "aps backup verify passes again, both database hosts answering ($out)" 0 "$code"
check "the swapped roles are kept for later commands" 1 "$(grep -c 'PG_ROLE: replica' "$APS_DEPLOY_STATE/production/failover.yaml")"
# The planned way back: the writes return to postgres-primary, postgres-replica is its standby.
users=$(psql "$REPLICA" -Atc 'select count(*) from users')
SUPER1="postgresql://postgres:$(cat "$APS_DEPLOY_STATE/production/secrets/postgres_password")@127.0.0.1:$PG_PRIMARY_PORT/postgres"
"$DEPLOY" switchover-db >"$work/switchover.log" 2>&1 && code=0 || code=$?
check "switchover-db: the usual layout again ($(tail -2 "$work/switchover.log" | tr '\n' ' '))" 0 "$code"
check "... postgres-primary takes the writes with every account" "f $users" \
  "$(psql "$PRIMARY" -Atc 'select pg_is_in_recovery()') $(psql "$PRIMARY" -Atc 'select count(*) from users')"
for _ in $(seq 1 30); do
  [ "$(psql "$SUPER1" -Atc 'select state from pg_stat_replication')" = streaming ] && break
  sleep 1
done
check "... postgres-replica streams from it" streaming "$(psql "$SUPER1" -Atc 'select state from pg_stat_replication')"
sign_up_until_taken switchover 30
for _ in $(seq 1 30); do
  [ "$(psql "$REPLICA" -Atc "select count(*) from users where email = 'switchover-$i@example.com'")" = 1 ] && break
  sleep 1
done
check "... a write through the edge lands on postgres-primary and reaches the replica" "201 1 1" \
  "$code $(psql "$PRIMARY" -Atc "select count(*) from users where email = 'switchover-$i@example.com'") $(psql "$REPLICA" -Atc "select count(*) from users where email = 'switchover-$i@example.com'")"
out=$(docker exec "$w1" aps backup run 2>&1) && code=0 || code=$?
check "... aps backup run backs up postgres-primary's new timeline ($out)" 0 "$code"
out=$(docker exec "$w2" aps backup verify 2>&1) && code=0 || code=$?
check "... and aps backup verify passes ($out)" 0 "$code"
check "... the override is gone" 1 "$([ -e "$APS_DEPLOY_STATE/production/failover.yaml" ] || echo 1)"

# ---- 7. down ---------------------------------------------------------------------------------------
phase "down"
APS_KEEP_ENGINE=1 "$DEPLOY" down >/dev/null 2>&1
check "down: no container of the deployment is left" "" "$(docker ps -aq --filter label=com.docker.compose.project=apstest)"
check "down: no volume is left" "" "$(docker volume ls -q --filter label=com.docker.compose.project=apstest)"
"$DEPLOY" down >/dev/null 2>&1
check_true "down: the engine stopped with nothing left in it" sh -c '! deploy/docker/engine status'
started_engine=0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

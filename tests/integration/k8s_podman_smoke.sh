#!/usr/bin/env bash
# The pod templates of deploy/k8s run: the api, worker and scheduler Deployments of the rendered
# development overlay under `podman kube play` with host networking, against the throwaway
# PostgreSQL and Redis of scripts/test. The image is made here from the built aps binary and the
# shared libraries it links (no registry, no base image) with the images' share/aps (settings,
# web pages) as its working directory, tagged as the manifests name it
# (localhost/ai-pro-sports-{api,worker,scheduler}:2.0.0). It checks what a cluster would run:
# the command and arguments, settings from the ConfigMap, secrets read as files from
# /run/secrets, the read-only root filesystem, uid 10001, the probe paths. Podman runs one pod
# per Deployment: no controller, Service, HPA or NetworkPolicy.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_TEST_PG_URL:?APS_TEST_PG_URL: run through scripts/test (a throwaway PostgreSQL)}"
: "${APS_TEST_REDIS_URL:?APS_TEST_REDIS_URL: run through scripts/test (a throwaway Redis)}"
src=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for t in podman node psql python3 curl; do
  command -v "$t" > /dev/null || { echo "FAIL: $t is missing (scripts/bootstrap installs it)"; exit 1; }
done
dir=$(mktemp -d /tmp/aps-k8s-podman.XXXXXX)
db=aps_k8s_smoke_$$
# Podman in a scratch store: runc (crun fails on this kernel's hybrid cgroups), lowered
# rlimits (root lacks CAP_SYS_RESOURCE here), the host network namespace.
cat > "$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "host"
[engine]
runtime = "runc"
CONF
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/graph"\nrunroot = "%s/run"\n' "$dir" "$dir" > "$dir/storage.conf"
export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf
cleanup() {
  # Only this scratch store's pods, images, volumes and secrets (never `system reset`, which
  # would also touch the machine's network settings).
  podman kube down "$dir/kube.yaml" > /dev/null 2>&1 || true
  podman pod rm -af > /dev/null 2>&1 || true
  podman rmi -af > /dev/null 2>&1 || true
  podman volume rm -af > /dev/null 2>&1 || true
  podman secret rm -a > /dev/null 2>&1 || true
  grep -o " $dir/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2> /dev/null || true
  psql "$APS_TEST_PG_URL" -qc "drop database if exists $db" > /dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
free_port() { # a free loopback port in this project's range
  python3 - <<'PY'
import random, socket
for p in random.sample(range(42000, 43000), 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
PY
}

# The image: aps, its libraries, the migrations at the path compiled into it, a passwd entry.
root=$dir/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/run/secrets"
cp "$APS_BIN" "$root/usr/local/bin/aps"
for lib in $(ldd "$APS_BIN" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# strings may glue a printable byte before the path ("C/work/..."): keep from the first slash.
mig=$(strings "$APS_BIN" | grep -o -m1 '/.*/migrations$' || true)
if [ -z "$mig" ] || [ ! -d "$mig" ]; then echo "FAIL: the migrations directory compiled into $APS_BIN is missing"; exit 1; fi
mkdir -p "$root$mig" && cp -r "$mig/." "$root$mig/"
# The installed share/aps of the images (deploy/docker/Dockerfile), their working directory,
# where the settings' relative defaults point: the environments' settings and the built web pages.
share=$root/usr/local/share/aps
for f in web/dist/dashboard/index.html web/dist/api-docs/index.html; do
  [ -f "$src/$f" ] || { echo "FAIL: $src/$f is missing (make test builds web/dist)"; exit 1; }
done
mkdir -p "$share/config" "$share/web/dist"
cp "$src"/config/*.env "$share/config/"
cp -r "$src/web/dist/dashboard" "$src/web/dist/api-docs" "$share/web/dist/"
printf 'root:x:0:0::/root:/bin/false\naps:x:10001:10001::/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\naps:x:10001:\n' > "$root/etc/group"
tar -C "$root" -c . | podman import -q --change WORKDIR=/usr/local/share/aps - localhost/ai-pro-sports-api:2.0.0 > /dev/null
podman tag localhost/ai-pro-sports-api:2.0.0 localhost/ai-pro-sports-worker:2.0.0 localhost/ai-pro-sports-scheduler:2.0.0

# The pods, from the rendered development overlay.
"$src/deploy/tools/k8s-render" "$src/deploy/k8s/overlays/development" > "$dir/dev.yaml"
api_port=$(free_port)
worker_port=$(free_port)
psql "$APS_TEST_PG_URL" -qc "create database $db" > /dev/null
pg_url=${APS_TEST_PG_URL%/*}/$db
node "$src/deploy/tools/k8s-podman-smoke.mjs" "$dir/dev.yaml" "$dir" "$api_port" "$worker_port" \
  "$pg_url" "$APS_TEST_REDIS_URL" "aps-k8s-smoke-$$"
podman secret create aps-secrets "$dir/secret.yaml" > /dev/null
podman kube play "$dir/kube.yaml" > "$dir/play.log" 2>&1 || { cat "$dir/play.log"; echo "FAIL: podman kube play"; exit 1; }

wait_http() { # url → the body once it answers 200, within 30 s
  for _ in $(seq 60); do
    if curl -fs "$1" 2> /dev/null; then return 0; fi
    sleep 0.5
  done
  return 1
}
ready=$(wait_http "http://127.0.0.1:$api_port/api/v1/health/ready" || true)
check "api ready (store, migrations, cache)" ready "$(jq -r .status <<< "${ready:-{\}}")"
live=$(wait_http "http://127.0.0.1:$api_port/api/v1/health/live" || true)
check "api live" alive "$(jq -r .status <<< "${live:-{\}}")"
check "worker /health" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$worker_port/health")"
check "worker /metrics has the queue gauges" 1 "$(curl -s "http://127.0.0.1:$worker_port/metrics" | grep -c -m1 '^aps_queue_depth')"
check "api /metrics counts the probe requests" 1 "$(curl -s "http://127.0.0.1:$api_port/metrics" | grep -c -m1 '^aps_http_requests_total{route="/api/v1/health/ready"')"
# The dashboard the Ingress routes to the api (/, /dashboard, /assets/): the page and its bundle
# come from the image, with the page's security policy.
curl -s -D "$dir/page.h" -o "$dir/page.html" "http://127.0.0.1:$api_port/dashboard"
check "the api serves the dashboard page from its image" 200 "$(awk 'NR==1{print $2}' "$dir/page.h")"
check "the dashboard page has its security policy" 1 "$(grep -ci -m1 '^content-security-policy:' "$dir/page.h")"
asset=$(grep -o '/assets/[A-Za-z0-9._-]*\.js' "$dir/page.html" | head -1)
check "the dashboard page names its script" 1 "$(grep -c . <<< "$asset")"
check "the api serves the dashboard's script from its image" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port${asset:-/assets/none.js}")"
for c in api-pod-0-api worker-pod-0-worker scheduler-pod-0-scheduler; do
  check "$c running" running "$(podman inspect "$c" --format '{{.State.Status}}' 2>&1)"
  check "$c read-only root filesystem" true "$(podman inspect "$c" --format '{{.HostConfig.ReadonlyRootfs}}')"
  check "$c runs as 10001" 10001:10001 "$(podman inspect "$c" --format '{{.Config.User}}')"
done
check "the api runs aps api" "/usr/local/bin/aps api" "$(podman inspect api-pod-0-api --format '{{.Config.Entrypoint}} {{join .Config.Cmd " "}}')"
# The settings came from the ConfigMap (PORT, HOST) and DATABASE_URL from the secret file: the
# migrations are in the smoke database, applied by the api from inside its image.
check "the api listens where the ConfigMap says" 1 "$(podman logs api-pod-0-api 2>&1 | grep -c -m1 '"msg":"listening","host":"127.0.0.1","port":'"$api_port")"
migs=$(find "$mig" -maxdepth 1 -name '[0-9]*_*.sql' | wc -l) # release/ holds the previous release's SQL, not a migration
check "every migration applied in the smoke database" "$migs" "$(psql "$pg_url" -Atc 'select count(*) from schema_migrations')"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Start the peerstats dashboard as a small deployment on this machine: N Streamlit processes on loopback ports behind
# Debian's nginx (sticky sessions by cookie, security headers), all on 127.0.0.1. Stops everything on Ctrl-C / TERM.
# Several machines: see deploy/README.md (one proxy host, --bind/--no-proxy on the others, --remote, a shared store).
#
#   bash deploy/run.sh [--workers N] [--port P] [--base-port B] [--prefix DIR] [--app FILE] [--no-warm]
#                      [--store folder|redis|redis://...] [--store-port P] [--store-bind ADDR]
#                      [--bind ADDR] [--no-proxy] [--remote HOST:PORT ...]
#
#   --workers N    Streamlit processes (default 3)            --port P       nginx listens on 127.0.0.1:P (default 8080)
#   --base-port B  the processes use B, B+1, ... (default 8601) --prefix DIR  nginx config, logs, temp (default mktemp)
#   --app FILE     the Streamlit script, relative to the repository (default app.py; the load benchmark's --floor
#                  serves benchmarks/floor_app.py through the same deployment)
#   --no-warm      skip the warm-up: by default each process opens every outcome under each preset once
#                  (deploy/warm.py, ~15 s of CPU per process) before nginx sends it users
#   --store S      where the processes share users' uploads (dashboard/byor.py): "folder" (default; one machine: a
#                  private folder in the prefix), "redis" (start Debian's redis-server here, memory only, password
#                  from $PEERSTATS_STORE_PASSWORD or random; its URL is written to PREFIX/store.url, mode 600), or a
#                  redis:// or rediss:// URL of a Redis another host runs. $PEERSTATS_UPLOAD_STORE, if set, is --store.
#   --store-port P the Redis of --store redis listens on port P (default 6390) ...
#   --store-bind A ... and address A (default 127.0.0.1; a private address when other machines use it)
#   --bind ADDR    the app processes listen on ADDR (default 127.0.0.1; a private address when another machine's
#                  proxy sends them users)
#   --no-proxy     start no nginx: this machine's processes serve another machine's proxy (which lists them --remote)
#   --remote H:P   add an app process another machine runs to nginx's upstreams (repeat for each)
#
# All the app processes of a deployment, on every machine, need the same $STREAMLIT_SERVER_COOKIE_SECRET (random per
# run when unset: fine on one machine).
# Needs /usr/sbin/nginx (apt-get install nginx), the runtime requirements (pip install -r requirements.txt) and the
# package (pip install --no-deps -e .; `bash run.sh app` does both); /usr/bin/redis-server for --store redis.
# Prints "peerstats: serving http://127.0.0.1:P/" once the proxy answers.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-python3}
NGINX=${NGINX:-/usr/sbin/nginx}
WORKERS=3
PORT=8080
BASE=8601
PREFIX=""
APP=app.py
WARM=1
STORE=${PEERSTATS_UPLOAD_STORE:-folder}
STORE_PORT=6390
STORE_BIND=127.0.0.1
BIND=127.0.0.1
PROXY=1
REMOTES=()
REDIS=${REDIS:-/usr/bin/redis-server}
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --base-port) BASE=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --app) APP=$2; shift 2 ;;
    --no-warm) WARM=0; shift ;;
    --store) STORE=$2; shift 2 ;;
    --store-port) STORE_PORT=$2; shift 2 ;;
    --store-bind) STORE_BIND=$2; shift 2 ;;
    --bind) BIND=$2; shift 2 ;;
    --no-proxy) PROXY=0; shift ;;
    --remote) REMOTES+=("$2"); shift 2 ;;
    -h|--help) sed -n 2,33p "$0"; exit 0 ;;
    *) echo "deploy/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$PROXY" = 0 ] || [ -x "$NGINX" ] || { echo "deploy/run.sh: $NGINX is missing (apt-get install nginx)" >&2; exit 1; }
case "$STORE" in
  folder|redis|redis://*|rediss://*) ;;
  *) echo "deploy/run.sh: --store must be folder, redis or a redis:// URL (got $STORE)" >&2; exit 2 ;;
esac
if [ "$STORE" = redis ]; then
  [ -x "$REDIS" ] || { echo "deploy/run.sh: $REDIS is missing (apt-get install redis-server)" >&2; exit 1; }
fi
case "$WORKERS" in ''|*[!0-9]*|0) echo "deploy/run.sh: --workers must be a positive number" >&2; exit 2 ;; esac
[ -f "$ROOT/$APP" ] || { echo "deploy/run.sh: --app $APP is not a file in $ROOT" >&2; exit 2; }
[ -n "$PREFIX" ] || PREFIX=$(mktemp -d /tmp/peerstats-deploy.XXXXXX)
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)

PIDS=()
APP_PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${UPLOADS:-}" ]; then rm -rf "$UPLOADS"; fi
  if [ -n "${STATIC:-}" ]; then rm -rf "$STATIC"; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Users' uploads, shared by the processes so a link to an upload works whichever process a browser lands on
# (dashboard/byor.py). One machine: a folder private to this user, deleted when the deployment stops. Several: a
# Redis every host reads (memory only, nothing written to disk: uploads go when it stops, as with the folder).
STORE_ENV=()
case "$STORE" in
  folder)
    UPLOADS="$PREFIX/uploads"
    mkdir -p "$UPLOADS" && chmod 700 "$UPLOADS"
    STORE_ENV=(PEERSTATS_UPLOAD_DIR="$UPLOADS") ;;
  redis)
    PASS=${PEERSTATS_STORE_PASSWORD:-$("$PY" -c 'import secrets; print(secrets.token_hex(24))')}
    case "$PASS" in *[!A-Za-z0-9._~-]*) echo "deploy/run.sh: PEERSTATS_STORE_PASSWORD: letters, digits and ._~- only" >&2; exit 2 ;; esac
    (umask 077 && mkdir -p "$PREFIX/redis" && printf '%s\n' "bind $STORE_BIND" "port $STORE_PORT" "protected-mode yes" \
       "requirepass $PASS" 'save ""' "appendonly no" "dir $PREFIX/redis" "logfile $PREFIX/redis/redis.log" \
       "maxmemory 512mb" "maxmemory-policy allkeys-lru" >"$PREFIX/redis/redis.conf")
    "$REDIS" "$PREFIX/redis/redis.conf" &  # the password stays in the config file (mode 600), not in ps
    PIDS+=($!)
    STORE_URL="redis://:$PASS@$STORE_BIND:$STORE_PORT/0"
    (umask 077 && echo "$STORE_URL" >"$PREFIX/store.url")
    for _ in $(seq 1 100); do
      (cd "$ROOT" && "$PY" -c 'import sys; from dashboard.byor import RedisStore; sys.exit(RedisStore(sys.argv[1])._call(b"PING") != "PONG")' \
        "$STORE_URL" 2>/dev/null) && break
      kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "deploy/run.sh: redis-server did not start (see $PREFIX/redis/redis.log)" >&2; exit 1; }
      sleep 0.2
    done
    STORE_ENV=(PEERSTATS_UPLOAD_STORE="$STORE_URL") ;;
  *)
    STORE_ENV=(PEERSTATS_UPLOAD_STORE="$STORE") ;;
esac

# One secret for all processes, so the XSRF cookie one process sets is accepted by the others (on several machines:
# the same $STREAMLIT_SERVER_COOKIE_SECRET on each).
SECRET=${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PY" -c 'import secrets; print(secrets.token_hex(32))')}

UPSTREAMS=""
for i in $(seq 0 $((WORKERS - 1))); do
  p=$((BASE + i))
  (cd "$ROOT" && exec env STREAMLIT_SERVER_COOKIE_SECRET="$SECRET" "${STORE_ENV[@]}" "$PY" -m streamlit run "$APP" \
      --server.address "$BIND" --server.port "$p" --server.headless true --browser.gatherUsageStats false \
      >"$PREFIX/streamlit-$p.log" 2>&1) &
  PIDS+=($!)
  APP_PIDS+=($!)
  UPSTREAMS+="        server $BIND:$p max_fails=0;"$'\n'
done
for r in "${REMOTES[@]}"; do
  case "$r" in *[!A-Za-z0-9.:_-]*|'') echo "deploy/run.sh: --remote wants HOST:PORT (got $r)" >&2; exit 2 ;; esac
  UPSTREAMS+="        server $r max_fails=0;"$'\n'
done

# The CSP allows scripts from 'self' plus the hash of each inline script of this Streamlit version's index.html.
HASHES=$("$PY" - <<'PYEOF'
import base64, hashlib, re, streamlit, pathlib
html = (pathlib.Path(streamlit.__file__).parent / "static" / "index.html").read_text()
for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S):
    print("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'", end=" ")
PYEOF
)
# The app's pages, for the redirect of a nested unknown path (/data/x -> /data?unknown=/data/x).
PAGES=$(cd "$ROOT" && "$PY" -c 'from dashboard.view import PAGES; print("|".join(PAGES))')
# Streamlit's front-end files (its JavaScript bundle and lazy chunks, fonts, CSS), mirrored for nginx to serve from
# disk, gzipped once (deploy/static.py): a first view's ~150 requests then cost the app processes nothing.
# Their own folder, readable by nginx's workers (another user when nginx starts as root), removed at the stop.
STATIC=""
if [ "$PROXY" = 1 ]; then
  STATIC=$(mktemp -d /tmp/peerstats-static.XXXXXX)
  chmod 755 "$STATIC"
  (cd "$ROOT" && "$PY" -m deploy.static "$STATIC") >/dev/null || { echo "deploy/run.sh: deploy/static.py failed" >&2; exit 1; }
fi
"$PY" - "$ROOT/deploy/nginx.conf.template" "$PREFIX/nginx.conf" "$PREFIX" "127.0.0.1:$PORT" "$UPSTREAMS" \
  "$HASHES" "$PAGES" "$STATIC" <<'PYEOF'
import sys
src, dst, prefix, listen, upstreams, hashes, pages, static = sys.argv[1:]
conf = open(src).read().replace("@PREFIX@", prefix).replace("@LISTEN@", listen).replace("@PAGES@", pages)
conf = conf.replace("@STATIC@", static)
conf = conf.replace("@UPSTREAMS@", upstreams.rstrip("\n")).replace("script-src 'self'", f"script-src 'self' {hashes.strip()}".rstrip())
open(dst, "w").write(conf)
PYEOF

HOST=$BIND
[ "$HOST" != 0.0.0.0 ] || HOST=127.0.0.1
for i in $(seq 0 $((WORKERS - 1))); do
  p=$((BASE + i))
  for _ in $(seq 1 400); do
    curl -fsS "http://$HOST:$p/_stcore/health" >/dev/null 2>&1 && break
    kill -0 "${APP_PIDS[$i]}" 2>/dev/null || break
    sleep 0.3
  done
  curl -fsS "http://$HOST:$p/_stcore/health" >/dev/null || { echo "deploy/run.sh: app on port $p did not start (see $PREFIX/streamlit-$p.log)" >&2; exit 1; }
done

# Warm every process before the proxy sends it users (see deploy/warm.py): a first view costs a process ~0.25 s of
# CPU, and twenty users opening their first views at once would queue behind each other. Only for the dashboard.
if [ "$WARM" = 1 ] && [ "$APP" = app.py ]; then
  PORTS=()
  for i in $(seq 0 $((WORKERS - 1))); do PORTS+=($((BASE + i))); done
  (cd "$ROOT" && PEERSTATS_BIND="$HOST" "$PY" -m deploy.warm --ports "${PORTS[@]}") || echo "deploy/run.sh: warm-up failed; serving anyway" >&2
fi

if [ "$PROXY" = 0 ]; then  # another machine's proxy sends users here (it lists these processes with --remote)
  echo "peerstats: serving $WORKERS app processes on $BIND:$BASE-$((BASE + WORKERS - 1)) for another machine's proxy; logs in $PREFIX"
  wait -n "${PIDS[@]}" || true
  echo "deploy/run.sh: a process exited; stopping the deployment" >&2
  exit 1
fi

"$NGINX" -t -q -p "$PREFIX" -c "$PREFIX/nginx.conf"
"$NGINX" -p "$PREFIX" -c "$PREFIX/nginx.conf" &
PIDS+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/_stcore/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/_stcore/health" >/dev/null || { echo "deploy/run.sh: nginx did not answer on port $PORT (see $PREFIX/error.log)" >&2; exit 1; }
echo "peerstats: serving http://127.0.0.1:$PORT/ ($WORKERS processes on ports $BASE-$((BASE + WORKERS - 1)); logs in $PREFIX)"
wait -n "${PIDS[@]}" || true
echo "deploy/run.sh: a process exited; stopping the deployment" >&2
exit 1

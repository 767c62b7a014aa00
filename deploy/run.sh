#!/usr/bin/env bash
# Start the peerstats dashboard as a small deployment on this machine: N Streamlit processes on loopback ports behind
# Debian's nginx (sticky sessions by cookie, security headers), all on 127.0.0.1. Stops everything on Ctrl-C / TERM.
#
#   bash deploy/run.sh [--workers N] [--port P] [--base-port B] [--prefix DIR] [--app FILE] [--no-warm]
#
#   --workers N    Streamlit processes (default 3)            --port P       nginx listens on 127.0.0.1:P (default 8080)
#   --base-port B  the processes use B, B+1, ... (default 8601) --prefix DIR  nginx config, logs, temp (default mktemp)
#   --app FILE     the Streamlit script, relative to the repository (default app.py; the load benchmark's --floor
#                  serves benchmarks/floor_app.py through the same deployment)
#   --no-warm      skip the warm-up: by default each process opens every outcome under each preset once
#                  (deploy/warm.py, ~15 s of CPU per process) before nginx sends it users
#
# Needs /usr/sbin/nginx (apt-get install nginx), the runtime requirements (pip install -r requirements.txt) and the
# package (pip install --no-deps -e .; `bash run.sh app` does both).
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
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --base-port) BASE=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --app) APP=$2; shift 2 ;;
    --no-warm) WARM=0; shift ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    *) echo "deploy/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$NGINX" ] || { echo "deploy/run.sh: $NGINX is missing (apt-get install nginx)" >&2; exit 1; }
case "$WORKERS" in ''|*[!0-9]*|0) echo "deploy/run.sh: --workers must be a positive number" >&2; exit 2 ;; esac
[ -f "$ROOT/$APP" ] || { echo "deploy/run.sh: --app $APP is not a file in $ROOT" >&2; exit 2; }
[ -n "$PREFIX" ] || PREFIX=$(mktemp -d /tmp/peerstats-deploy.XXXXXX)
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${UPLOADS:-}" ]; then rm -rf "$UPLOADS"; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Users' uploads, shared by the processes so a link to an upload works whichever process a browser lands on
# (dashboard/byor.py); private to this user, deleted when the deployment stops.
UPLOADS="$PREFIX/uploads"
mkdir -p "$UPLOADS" && chmod 700 "$UPLOADS"

# One secret for all processes, so the XSRF cookie one process sets is accepted by the others.
SECRET=$("$PY" -c 'import secrets; print(secrets.token_hex(32))')

UPSTREAMS=""
for i in $(seq 0 $((WORKERS - 1))); do
  p=$((BASE + i))
  (cd "$ROOT" && STREAMLIT_SERVER_COOKIE_SECRET="$SECRET" PEERSTATS_UPLOAD_DIR="$UPLOADS" exec "$PY" -m streamlit run "$APP" \
      --server.address 127.0.0.1 --server.port "$p" --server.headless true --browser.gatherUsageStats false \
      >"$PREFIX/streamlit-$p.log" 2>&1) &
  PIDS+=($!)
  UPSTREAMS+="        server 127.0.0.1:$p max_fails=0;"$'\n'
done

# The CSP allows scripts from 'self' plus the hash of each inline script of this Streamlit version's index.html.
HASHES=$("$PY" - <<'PYEOF'
import base64, hashlib, re, streamlit, pathlib
html = (pathlib.Path(streamlit.__file__).parent / "static" / "index.html").read_text()
for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S):
    print("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'", end=" ")
PYEOF
)
"$PY" - "$ROOT/deploy/nginx.conf.template" "$PREFIX/nginx.conf" "$PREFIX" "127.0.0.1:$PORT" "$UPSTREAMS" \
  "$HASHES" <<'PYEOF'
import sys
src, dst, prefix, listen, upstreams, hashes = sys.argv[1:]
conf = open(src).read().replace("@PREFIX@", prefix).replace("@LISTEN@", listen)
conf = conf.replace("@UPSTREAMS@", upstreams.rstrip("\n")).replace("script-src 'self'", f"script-src 'self' {hashes.strip()}".rstrip())
open(dst, "w").write(conf)
PYEOF

for i in $(seq 0 $((WORKERS - 1))); do
  p=$((BASE + i))
  for _ in $(seq 1 400); do
    curl -fsS "http://127.0.0.1:$p/_stcore/health" >/dev/null 2>&1 && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || break
    sleep 0.3
  done
  curl -fsS "http://127.0.0.1:$p/_stcore/health" >/dev/null || { echo "deploy/run.sh: app on port $p did not start (see $PREFIX/streamlit-$p.log)" >&2; exit 1; }
done

# Warm every process before the proxy sends it users (see deploy/warm.py): a first view costs a process ~0.25 s of
# CPU, and twenty users opening their first views at once would queue behind each other. Only for the dashboard.
if [ "$WARM" = 1 ] && [ "$APP" = app.py ]; then
  PORTS=()
  for i in $(seq 0 $((WORKERS - 1))); do PORTS+=($((BASE + i))); done
  (cd "$ROOT" && "$PY" -m deploy.warm --ports "${PORTS[@]}") || echo "deploy/run.sh: warm-up failed; serving anyway" >&2
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

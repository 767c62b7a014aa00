#!/usr/bin/env bash
# The project's two entry points on a fresh machine (Python 3.11 + pip; apt-get as root for the browser tests):
#   bash run.sh app    install the runtime requirements and start the dashboard on the bundled data, on
#                      127.0.0.1 only (PEERSTATS_ADDRESS=0.0.0.0 to listen on every interface)
#   bash run.sh test   install the test requirements (and Debian's chromium, nginx and redis-server) and run the
#                      whole test suite
# Extra arguments are passed on (to streamlit, or to pytest).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
cmd=${1:-}
shift || true

pip_install() {
  "$PY" -m pip install --quiet --disable-pip-version-check -r "$1"
  install_peerstats
}

# The peerstats package from this checkout, editable (the checkout is what runs; benchmarks, deploy/warm.py and
# data/build import it like any installed package). Its dependencies come from the pinned lock just installed
# (--no-deps). Skipped when this checkout is already the installed one, so a second run needs no network at all.
install_peerstats() {
  local here="$PWD"
  if (cd / && "$PY" -c 'import pathlib, sys, peerstats
sys.exit(pathlib.Path(peerstats.__file__).resolve().parents[1] != pathlib.Path(sys.argv[1]).resolve())' "$here") \
      2>/dev/null; then
    return
  fi
  "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -e .
}

case "$cmd" in
  app)
    pip_install requirements.txt
    # Listens on 127.0.0.1 only unless told otherwise: PEERSTATS_ADDRESS=0.0.0.0 bash run.sh app (or pass
    # --server.address yourself, which wins).
    exec "$PY" -m streamlit run app.py --server.address "${PEERSTATS_ADDRESS:-127.0.0.1}" "$@"
    ;;
  test)
    pip_install requirements-dev.txt
    # Debian packages the tests drive: chromium (browser tests), nginx (the deployment test through the proxy) and
    # redis-server (the shared upload store, tests/test_upload_store.py).
    missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -x /usr/sbin/nginx ] || missing+=(nginx)
    [ -x /usr/bin/redis-server ] || missing+=(redis-server)
    if [ ${#missing[@]} -gt 0 ]; then
      if [ "$(id -u)" = 0 ]; then
        echo "run.sh: installing Debian's ${missing[*]} for the browser and deployment tests" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
      else
        echo "run.sh: ${missing[*]} missing and we are not root: browser/deployment tests will fail" >&2
      fi
    fi
    exec "$PY" -m pytest "$@"
    ;;
  *)
    echo "usage: bash run.sh app|test [args...]" >&2
    exit 2
    ;;
esac

# Sourced by run.sh and test.sh: make .venv with the pinned requirements, on a bare Debian too.
# REQUIREMENTS picks the set: requirements.txt (runtime, the default) or requirements-dev.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found: $("$PY" --version 2>&1))" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing python3-venv (Debian ships venv separately)…"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv .venv
    else
      echo "python3 -m venv failed: install your distribution's python3-venv package and run again" >&2; exit 1
    fi
  fi
fi
REQUIREMENTS=${REQUIREMENTS:-requirements.txt}
stamp=".venv/.${REQUIREMENTS%.txt}.sha256"
want=$(cat "$REQUIREMENTS" requirements.txt | sha256sum | cut -d' ' -f1)
dev_stamp=.venv/.requirements-dev.sha256
if [ "$REQUIREMENTS" = requirements.txt ] && [ -f "$dev_stamp" ] && \
   [ "$(cat "$dev_stamp")" = "$(cat requirements-dev.txt requirements.txt | sha256sum | cut -d' ' -f1)" ]; then
  :  # the test set, installed and current, includes the runtime set
elif [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing Python packages into .venv …"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$REQUIREMENTS"
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
export FLASK_APP=app

#!/usr/bin/env bash
# Install everything the tests need (system packages when root, the Python packages into
# .venv) and run the whole suite. TEST_DATABASE_URL / TEST_REDIS_URL select real servers.
REQUIREMENTS=requirements-dev.txt source "$(dirname "$0")/_venv.sh"
missing=()
while read -r pkg; do
  case "$pkg" in ''|'#'*) continue;; esac
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < system-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing system packages (install them first): ${missing[*]}" >&2; exit 1
  fi
fi
ruff check .
mypy
python -m pytest -q "$@"

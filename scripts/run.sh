#!/usr/bin/env bash
# Install, initialise and start the whole system (web + worker + embedded Redis) on its
# embedded defaults, or on DATABASE_URL / REDIS_URL when set. Ctrl-C stops everything.
source "$(dirname "$0")/_venv.sh"
flask court init
if [ ! -f instance/.demo-created ] && [ -z "${DATABASE_URL:-}" ]; then
  flask court demo && touch instance/.demo-created
fi
exec flask court run "$@"

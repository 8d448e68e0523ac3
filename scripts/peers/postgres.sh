#!/usr/bin/env bash
# PostgreSQL from Debian's `postgresql` package, the source database of the
# pipeline tests (tests/pipeline/test_postgres.py) and of
# docs/guides/postgres.md.
#
#   postgres.sh              install the package when missing (setup.sh runs this)
#   postgres.sh start        a new server for one test run: its own data
#                            directory under /tmp, 127.0.0.1 only, a free port,
#                            trust authentication for the local superuser
#                            `postgres`; prints "PORT PID DIR" and returns once
#                            it accepts connections. The caller stops it by PID
#                            (SIGINT: fast shutdown) and removes DIR.
#
# The server refuses to run as root: as root it runs as the `postgres` user
# the package creates. Idempotent; quiet when it works.
set -euo pipefail

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

if ! bindir >/dev/null || ! command -v psql >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
[ "${1:-}" = start ] || exit 0

BIN=$(bindir)
DIR=$(mktemp -d /tmp/ice-postgres.XXXXXX)
chmod 755 "$DIR"
as_server=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$DIR"
  as_server=(runuser -u postgres --)
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_server[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; exit 1; }
"${as_server[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c timezone=UTC" start >/dev/null ||
  { cat "$DIR/server.log" >&2; exit 1; }
PID=$(head -1 "$DIR/data/postmaster.pid")
echo "$PORT $PID $DIR"

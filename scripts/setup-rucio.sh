#!/usr/bin/env bash
# Install a Rucio server (PyPI `rucio`, in its own virtualenv) and bootstrap its
# database on the local PostgreSQL, for the data lake tests.
#
# Idempotent and non-interactive; run from anywhere (needs PostgreSQL up at
# 127.0.0.1:5432 with trust auth for `postgres`: scripts/services.sh):
#     scripts/setup-rucio.sh
#
# It does not start the server: the test session does (tests/rucio_server.py),
# under gunicorn on a free loopback port, and registers its test data through
# the Rucio API. What it leaves behind, all under .cache/ (git-ignored):
#     .cache/rucio-server-venv/   rucio[postgresql] + gunicorn; pinned, never mixed
#                                 with the gateway's .venv (rucio pins its own deps)
#     .cache/rucio-home/etc/      rucio.cfg and alembic.ini (RUCIO_CONFIG points here)
#     .cache/rucio-home/log/      the server's logs
# The database is machine-wide (every checkout shares it, like the directory
# behind its storage element, /var/tmp/esap-rucio/rse, that the tests fill); its
# comment records the Rucio version and layout it was built for, and a database
# built for another one is rebuilt.
#
# Environment knobs:
#     RUCIO_DB            database name (default rucio_esap, owner postgres)
#     RUCIO_RESET=1       drop and rebuild the Rucio schema even if it is there
#     PYTHON              interpreter for the virtualenv (default python3)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUCIO_VERSION="41.5.1"
# Stored as the database's comment: a database built by another version (or by
# an older layout of this script) is rebuilt.
DB_TAG="esap-graphql rucio $RUCIO_VERSION layout 1"
GUNICORN_VERSION="27.0.1"
VENV="$REPO_DIR/.cache/rucio-server-venv"
HOME_DIR="$REPO_DIR/.cache/rucio-home"
DB="${RUCIO_DB:-rucio_esap}"
PYTHON="${PYTHON:-python3}"
PG=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres)

T0=$(date +%s)
log() { printf '[setup-rucio %3ds] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() {
	printf '[setup-rucio] ERROR: %s\n' "$*" >&2
	exit 1
}

[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "RUCIO_DB must be a plain lower-case name, got '$DB'"
pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL is not up at 127.0.0.1:5432 (scripts/services.sh)"

# ------------------------------------------------------------ virtualenv
stamp="$VENV/.esap-rucio-$RUCIO_VERSION-$GUNICORN_VERSION"
if [ ! -f "$stamp" ]; then
	log "installing rucio $RUCIO_VERSION and gunicorn into $VENV"
	rm -rf "$VENV"
	"$PYTHON" -m venv "$VENV"
	pip_log="$HOME_DIR/log/pip.log"
	mkdir -p "$HOME_DIR/log"
	{
		"$VENV/bin/python" -m pip install --quiet --upgrade pip &&
			"$VENV/bin/python" -m pip install --quiet \
				"rucio[postgresql]==$RUCIO_VERSION" "gunicorn==$GUNICORN_VERSION"
	} >"$pip_log" 2>&1 || die "pip failed: $(grep -v '^WARNING: Location' "$pip_log" | tail -20)"
	touch "$stamp"
fi
SITE="$("$VENV/bin/python" -c 'import rucio, os; print(os.path.dirname(os.path.dirname(rucio.__file__)))')"
TOOLS="$VENV/rucio/tools"
[ -f "$TOOLS/reset_database.py" ] || die "rucio's reset_database.py not found under $TOOLS"

# ------------------------------------------------------------ configuration
mkdir -p "$HOME_DIR/etc" "$HOME_DIR/log"
DB_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB"
cat >"$HOME_DIR/etc/rucio.cfg" <<EOF
# Written by scripts/setup-rucio.sh: a test server, never for production.
[common]
logdir = $HOME_DIR/log
loglevel = WARNING

[database]
default = $DB_URL
pool_size = 5
max_overflow = 5

[bootstrap]
# the root account's userpass identity (tests/rucio_server.py uses it)
userpass_identity = esap
userpass_pwd = esap-rucio-test
userpass_email = esap@localhost

[alembic]
cfg = $HOME_DIR/etc/alembic.ini

[policy]
permission = generic
schema = generic
lfn2pfn_algorithm_default = identity

[cache]
# no memcached: an address nothing listens on turns Rucio's caching off
url = 127.0.0.1:9

[api]
endpoints = accounts, auth, dids, ping, replicas, rses, scopes
EOF
cat >"$HOME_DIR/etc/alembic.ini" <<EOF
[alembic]
script_location = $SITE/rucio/db/sqla/migrate_repo/
sqlalchemy.url = $DB_URL

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
EOF
export RUCIO_HOME="$HOME_DIR" RUCIO_CONFIG="$HOME_DIR/etc/rucio.cfg"

# ------------------------------------------------------------ database
if [ -z "$("${PG[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
	log "creating database $DB"
	"${PG[@]}" -c "CREATE DATABASE $DB OWNER postgres"
fi
tag="$("${PG[@]}" -tAc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'")"
if [ "${RUCIO_RESET:-0}" = 1 ] || [ "$tag" != "$DB_TAG" ]; then
	log "building the Rucio schema in $DB (rucio's reset_database.py --purge-build)"
	"$VENV/bin/python" "$TOOLS/reset_database.py" --purge-build >"$HOME_DIR/log/bootstrap.log" 2>&1 ||
		die "bootstrap failed: $(tail -5 "$HOME_DIR/log/bootstrap.log")"
	"${PG[@]}" -c "COMMENT ON DATABASE $DB IS '$DB_TAG'"
fi
log "ready: rucio $RUCIO_VERSION, database $DB, config $RUCIO_CONFIG"

#!/usr/bin/env bash
# Set up (or refresh) a local GAVO DaCHS archive with the esaptest resource
# used by the esap-graphql test suite.  See deploy/dachs/README.md.
#
# Idempotent and non-interactive; run as root from anywhere:
#     scripts/setup-dachs.sh
#
# Environment knobs:
#     DACHS_WAIT_SECONDS   how long to wait for the services (default 120)
#     DACHS_BIND_ADDRESS   [web]bindAddress (default 127.0.0.1)
#     DACHS_FORCE_IMPORT=1 re-generate data and re-import even if unchanged
#     DACHS_FORCE_RESTART=1 restart the server even if nothing changed
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
SRC_RES_DIR="$REPO_DIR/deploy/dachs/esaptest"
RES_NAME="esaptest"
WAIT_SECONDS="${DACHS_WAIT_SECONDS:-120}"
BIND_ADDRESS="${DACHS_BIND_ADDRESS:-127.0.0.1}"
PORT=8080
BASE_URL="http://localhost:$PORT"
TAP_URL="$BASE_URL/tap"
SCS_URL="$BASE_URL/esaptest/q/cone/scs.xml"
SIA2_URL="$BASE_URL/__system__/siap2/sitewide/siap2.xml"
GAVO_RC=/etc/gavo.rc
export DEBIAN_FRONTEND=noninteractive
# DaCHS lives in the system python; avoid pyenv/venv shims on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

T0=$(date +%s)
log() { printf '[setup-dachs %3ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf '[setup-dachs] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -f "$SRC_RES_DIR/q.rd" ] || die "resource not found at $SRC_RES_DIR"

# ---------------------------------------------------------------- postgres

pg_up() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h 127.0.0.1 -p 5432
	else
		return 1
	fi
}

ensure_postgres() {
	pg_up && return 0
	command -v pg_lsclusters >/dev/null 2>&1 || return 1
	local ver name status
	while read -r ver name _ status _; do
		if [ "$status" != "online" ]; then
			log "starting PostgreSQL cluster $ver/$name"
			pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
		fi
	done < <(pg_lsclusters -h)
	for _ in $(seq 1 30); do
		pg_up && return 0
		sleep 1
	done
	return 1
}

# Debian bookworm's pgsphere 1.1.1 ships two DaCHS backwards-compatibility
# operators (bigint @ smoc, spoint @ smoc) whose COMMUTATOR/NEGATOR
# declarations are rejected by current PostgreSQL point releases
# ("commutator operator @> is already the commutator of operator <@"),
# so CREATE EXTENSION pg_sphere -- and thus gavodachs2-server's postinst --
# fails.  Upstream pgsphere dropped these operators; we just drop the
# offending clauses.  Idempotent.
patch_pgsphere() {
	local f
	for f in /usr/share/postgresql/*/extension/pg_sphere--*.sql; do
		[ -f "$f" ] || continue
		if grep -q "a minimal set of backwards-compatible operators for GAVO DaCHS" "$f" \
				&& sed -n "/a minimal set of backwards-compatible operators for GAVO DaCHS/,/^-- debugging/p" "$f" \
					| grep -q "COMMUTATOR = '@>'"; then
			log "patching pgsphere compat operators in $f"
			sed -i "/a minimal set of backwards-compatible operators for GAVO DaCHS/,/^-- debugging/{/COMMUTATOR = '@>'/d;/NEGATOR    = '!<@'/d}" "$f"
		fi
	done
}

dachs_installed() {
	command -v dachs >/dev/null 2>&1 \
		&& [ "$(dpkg-query -W -f='${Status}' gavodachs2-server 2>/dev/null)" = "install ok installed" ]
}

ensure_postgres || true
patch_pgsphere

if ! dachs_installed; then
	if ! dpkg-query -W -f='${Status}' gavodachs2-server 2>/dev/null | grep -q "^install ok"; then
		log "installing gavodachs2-server (apt-get)"
		apt-get update
		# the postinst needs a running PostgreSQL with a working pg_sphere;
		# on a fresh box the cluster is created but not started, so this may
		# fail -- we fix things up and re-run the configuration below.
		apt-get install -y --no-install-recommends gavodachs2-server \
			|| log "apt-get install failed (probably in postinst); retrying configuration"
	fi
	ensure_postgres || die "PostgreSQL is not running and could not be started"
	patch_pgsphere
	log "configuring pending packages (dpkg --configure -a)"
	dpkg --configure -a
	dachs_installed || die "gavodachs2-server is not properly installed; see apt/dpkg output above"
fi
ensure_postgres || die "PostgreSQL is not running and could not be started"

psql_gavo() { runuser -u postgres -- psql -X -q -d gavo -tAc "$1"; }

# ---------------------------------------------------------------- gavo.rc

CONFIG_CHANGED=0
if "$PY" - "$GAVO_RC" "$BIND_ADDRESS" "$PORT" <<'EOF'
import configparser, io, os, sys
path, bind, port = sys.argv[1:4]
wanted = {
	"web": {"serverURL": "http://localhost:%s" % port, "bindAddress": bind,
		"serverPort": port, "sitename": "ESAP test archive"},
	"ivoa": {"authority": "esap.test",
		"dalDefaultLimit": "100000", "dalHardLimit": "1000000",
		# small OAI-PMH pages, so that a harvest of the few records published
		# here really follows resumptionTokens
		"oaipmhPageSize": "2"},
	"async": {"defaultMAXREC": "100000", "hardMAXREC": "1000000",
		"maxTAPRunning": "8"},
}
cp = configparser.ConfigParser(interpolation=None)
cp.optionxform = str
old = ""
if os.path.exists(path):
	with open(path, encoding="utf-8") as f:
		old = f.read()
	cp.read_string(old, path)
for section, items in wanted.items():
	if not cp.has_section(section):
		cp.add_section(section)
	for key, val in items.items():
		for existing in list(cp[section]):
			if existing.lower() == key.lower() and existing != key:
				cp.remove_option(section, existing)
		cp[section][key] = val
buf = io.StringIO()
buf.write("# managed in part by esap-graphql scripts/setup-dachs.sh\n")
cp.write(buf)
new = buf.getvalue()
if new == old:
	sys.exit(1)   # unchanged
with open(path + ".tmp", "w", encoding="utf-8") as f:
	f.write(new)
os.replace(path + ".tmp", path)
EOF
then
	CONFIG_CHANGED=1
	log "wrote $GAVO_RC"
fi

read -r INPUTS_DIR STATE_DIR LOG_DIR CONFIG_DIR < <(cd /tmp && "$PY" -c "
from gavo.base import config
print(config.get('inputsDir'), config.get('stateDir'), config.get('logDir'),
	config.get('configDir'))") \
	|| die "cannot read the DaCHS configuration"

# The site metadata the records of a publishing registry carry (publisher,
# contact, authority); DaCHS reads etc/defaultmeta.txt at start-up.
if "$PY" - "$CONFIG_DIR/defaultmeta.txt" <<'EOF'
import os, sys
path = sys.argv[1]
wanted = {
	"publisher": "ESAP test archive",
	"contact.name": "ESAP test suite",
	"contact.email": "esap-test@example.org",
	"authority.shortName": "ESAP test",
	"authority.title": "The ESAP test archive naming authority",
	"authority.description": "Identifiers of the local ESAP test archive.",
	"site.description": "A local GAVO DaCHS archive holding synthetic data "
		"for the esap-graphql tests.",
}
old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
lines, seen, skipping = [], set(), False
for line in old.splitlines():
	if skipping:  # continuation lines of a value we replace
		skipping = line.endswith("\\")
		continue
	key = line.split(":", 1)[0].strip()
	if ":" in line and key in wanted and not line[:1].isspace():
		skipping = line.endswith("\\")
		if key in seen:
			continue
		seen.add(key)
		line = "%s: %s" % (key, wanted[key])
	lines.append(line)
for key, value in wanted.items():
	if key not in seen:
		lines.append("%s: %s" % (key, value))
new = "\n".join(lines) + "\n"
if new == old:
	sys.exit(1)   # unchanged
with open(path + ".tmp", "w", encoding="utf-8") as f:
	f.write(new)
os.replace(path + ".tmp", path)
EOF
then
	CONFIG_CHANGED=1
	log "wrote $CONFIG_DIR/defaultmeta.txt"
fi
[ -d "$INPUTS_DIR" ] || die "DaCHS inputsDir $INPUTS_DIR does not exist"
RES_DIR="$INPUTS_DIR/$RES_NAME"

# ---------------------------------------------------------------- obscore

if [ "$(psql_gavo "SELECT to_regclass('ivoa._obscoresources') IS NOT NULL AND to_regclass('ivoa.obscore') IS NOT NULL")" != "t" ]; then
	log "dachs imp //obscore"
	(cd /tmp && dachs imp //obscore)
fi

# ---------------------------------------------------------------- resource

# copy (not link) the resource so the server user (gavo) never needs access
# to the repository; generated data go to $RES_DIR/data only.
mkdir -p "$RES_DIR/bin" "$RES_DIR/data"
# (only touch files whose content changed: the server reloads RDs on mtime)
cmp -s "$SRC_RES_DIR/q.rd" "$RES_DIR/q.rd" \
	|| install -m 0644 "$SRC_RES_DIR/q.rd" "$RES_DIR/q.rd"
cmp -s "$SRC_RES_DIR/bin/generate_data.py" "$RES_DIR/bin/generate_data.py" \
	|| install -m 0755 "$SRC_RES_DIR/bin/generate_data.py" "$RES_DIR/bin/generate_data.py"

SRC_HASH="$(cat "$SRC_RES_DIR/q.rd" "$SRC_RES_DIR/bin/generate_data.py" | sha256sum | cut -d' ' -f1)"
STAMP="$RES_DIR/.imported"
IMPORTED=0
db_ok() {
	[ "$(psql_gavo "SELECT (SELECT count(*) FROM esaptest.sources)=12000
		AND (SELECT count(*) FROM ivoa.obscore WHERE obs_collection IN ('esaptest-images','esaptest-cubes'))=300" 2>/dev/null)" = "t" ]
}
if [ "${DACHS_FORCE_IMPORT:-0}" = 1 ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$SRC_HASH" ] || ! db_ok; then
	log "generating data"
	"$PY" "$RES_DIR/bin/generate_data.py" --outdir "$RES_DIR/data"
	log "dachs imp $RES_NAME/q"
	(cd /tmp && dachs imp "$RES_NAME/q")
	(cd /tmp && dachs pub "$RES_NAME/q")
	db_ok || die "import finished but row counts are not as expected"
	echo "$SRC_HASH" > "$STAMP"
	IMPORTED=1
else
	log "esaptest already imported and unchanged"
fi

# ---------------------------------------------------------------- esapreg

# The registry and DataLink resource (deploy/dachs/esapreg): DataLink rows in
# ivoa.obscore, their DataLink service, a registered cone search. A resource of
# its own, imported on its own stamp, so that it and esaptest never re-import
# each other.
SRC_REG_DIR="$REPO_DIR/deploy/dachs/esapreg"
REG_DIR="$INPUTS_DIR/esapreg"
mkdir -p "$REG_DIR/bin" "$REG_DIR/data"
cmp -s "$SRC_REG_DIR/q.rd" "$REG_DIR/q.rd" \
	|| install -m 0644 "$SRC_REG_DIR/q.rd" "$REG_DIR/q.rd"
cmp -s "$SRC_REG_DIR/bin/generate_data.py" "$REG_DIR/bin/generate_data.py" \
	|| install -m 0755 "$SRC_REG_DIR/bin/generate_data.py" "$REG_DIR/bin/generate_data.py"
REG_HASH="$(cat "$SRC_REG_DIR/q.rd" "$SRC_REG_DIR/bin/generate_data.py" | sha256sum | cut -d' ' -f1)"
REG_STAMP="$REG_DIR/.imported"
reg_ok() {
	[ "$(psql_gavo "SELECT (SELECT count(*) FROM esapreg.linked)=12
		AND (SELECT count(*) FROM ivoa.obscore WHERE obs_collection='esaptest-linked')=12" 2>/dev/null)" = "t" ]
}
if [ "${DACHS_FORCE_IMPORT:-0}" = 1 ] || [ "$(cat "$REG_STAMP" 2>/dev/null || true)" != "$REG_HASH" ] || ! reg_ok; then
	log "generating esapreg data"
	"$PY" "$REG_DIR/bin/generate_data.py" --outdir "$REG_DIR/data"
	log "dachs imp esapreg/q"
	(cd /tmp && dachs imp esapreg/q)
	reg_ok || die "esapreg import finished but row counts are not as expected"
	echo "$REG_HASH" > "$REG_STAMP"
	IMPORTED=1
else
	log "esapreg already imported and unchanged"
fi

# ---------------------------------------------------------------- registry

# The records DaCHS's OAI-PMH interface (/oai.xml) serves as a publishing
# registry: its registry and authority records (//services), TAP (//tap), the
# sitewide SIAv2 service (//siap2) and the esapreg cone search.
published() {
	[ "$(psql_gavo "SELECT count(*) FROM dc.resources NATURAL JOIN dc.sets
		WHERE setname='ivo_managed' AND NOT deleted AND ivoid IN (
		'ivo://esap.test/__system__/services/registry', 'ivo://esap.test',
		'ivo://esap.test/tap', 'ivo://esap.test/__system__/siap2/sitewide',
		'ivo://esap.test/esapreg/q/cone')" 2>/dev/null)" = 5 ]
}
if [ "$IMPORTED" = 1 ] || ! published; then
	log "dachs pub //services //tap //siap2 esapreg/q"
	(cd /tmp && dachs pub //services && dachs pub //tap && dachs pub //siap2 \
		&& dachs pub esapreg/q)
	published || die "dachs pub did not publish the expected registry records"
fi

# ---------------------------------------------------------------- server

server_pid() {
	local pid
	pid="$(cat "$STATE_DIR/web.pid" 2>/dev/null || true)"
	[ -n "$pid" ] && grep -qa dachs "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
	return 0
}

if [ -n "$(server_pid)" ]; then
	if [ "$CONFIG_CHANGED" = 1 ] || [ "$IMPORTED" = 1 ] || [ "${DACHS_FORCE_RESTART:-0}" = 1 ]; then
		log "restarting DaCHS server"
		(cd /tmp && dachs serve stop) || true
		(cd /tmp && dachs serve start)
	else
		log "DaCHS server already running (pid $(server_pid))"
	fi
else
	log "starting DaCHS server"
	(cd /tmp && dachs serve start)
fi

# ---------------------------------------------------------------- wait

log "waiting up to ${WAIT_SECONDS}s for TAP and SCS"
if ! "$PY" - "$WAIT_SECONDS" "$TAP_URL" "$SCS_URL" <<'EOF'
import sys, time, urllib.request
timeout, tap, scs = float(sys.argv[1]), sys.argv[2], sys.argv[3]
checks = {
	tap + "/availability": b"true</",
	tap.rsplit("/", 1)[0] + "/oai.xml?verb=ListIdentifiers&metadataPrefix=ivo_vor":
		b"resumptionToken",
	tap.rsplit("/", 1)[0] + "/esapreg/q/dl/dlmeta?ID=ivo%3A%2F%2Fesap.test%2Flinked%3F301":
		b"#preview",
	tap + "/tables": b"esaptest.sources",
	scs + "?RA=150&DEC=2&SR=0.001": b'name="QUERY_STATUS" value="OK"',
}
deadline = time.time() + timeout
pending = dict(checks)
last = {}
while pending and time.time() < deadline:
	for url, marker in list(pending.items()):
		try:
			with urllib.request.urlopen(url, timeout=10) as r:
				body = r.read()
			if marker in body:
				del pending[url]
			else:
				last[url] = "marker %r not in response" % marker
		except Exception as ex:
			last[url] = repr(ex)
	if pending:
		time.sleep(1)
for url in pending:
	print("NOT READY: %s (%s)" % (url, last.get(url)), file=sys.stderr)
sys.exit(1 if pending else 0)
EOF
then
	echo "---- tail of $LOG_DIR/dcErrors and server.stderr ----" >&2
	tail -n 30 "$LOG_DIR/dcErrors" "$LOG_DIR/server.stderr" 2>/dev/null >&2 || true
	die "DaCHS services did not come up within ${WAIT_SECONDS}s"
fi

log "done"
cat <<EOF
DaCHS is up:
  TAP:            $TAP_URL   (sync: $TAP_URL/sync, async: $TAP_URL/async)
  SCS (cone):     $SCS_URL
  SIAv2:          $SIA2_URL
  OAI-PMH:        $BASE_URL/oai.xml   (publishing registry, set ivo_managed)
  DataLink:       $BASE_URL/esapreg/q/dl/dlmeta?ID=...
  ObsCore table:  ivoa.obscore (collections esaptest-images, esaptest-cubes, esaptest-linked)
  Tables:         esaptest.images, esaptest.sources, esapreg.linked
EOF

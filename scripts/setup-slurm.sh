#!/usr/bin/env bash
# Set up (or check) a one-node Slurm cluster on this machine for the batch.slurm tests:
# Debian's slurm-wlm (slurmctld + slurmd), munge, and slurmrestd on 127.0.0.1:6820 with
# JWT authentication.  No systemd: the daemons are started directly.
#
# Idempotent and non-interactive; run as root from anywhere:
#     scripts/setup-slurm.sh
#
# What it leaves behind (the tests and the benchmark rely on these names):
#     partition        esap (default), one node (this host), 8 CPUs declared
#     job user         esapjob (jobs submitted through slurmrestd run as this user)
#     REST API         http://127.0.0.1:6820 (slurmrestd runs as the unprivileged user slurmrest)
#     JWT key          /var/spool/slurmctld/jwt_hs256.key (HS256; `scontrol token` mints tokens)
#     staging dir      /var/lib/esap-slurm/staging (group esapslurm, setgid, 2770): the
#                      directory shared by the gateway and the jobs
#     logs             /var/log/slurm/{slurmctld,slurmd,slurmrestd}.log
#
# Environment knobs:
#     SLURM_WAIT_SECONDS   how long to wait for each daemon (default 60)
#     SLURM_FORCE_RESTART=1 restart every daemon even if nothing changed
set -euo pipefail

WAIT_SECONDS="${SLURM_WAIT_SECONDS:-60}"
CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm
JWT_KEY="$STATE_DIR/jwt_hs256.key"
REST_ADDR=127.0.0.1:6820
REST_USER=slurmrest
JOB_USER=esapjob
STAGING_GROUP=esapslurm
STAGING_DIR=/var/lib/esap-slurm/staging
PARTITION=esap
export DEBIAN_FRONTEND=noninteractive

T0=$(date +%s)
log() { printf '[setup-slurm %3ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf '[setup-slurm] ERROR: %s\n' "$*" >&2; exit 1; }
show_log() {
	local file="$1"
	if [ -f "$file" ]; then
		printf -- '---- last lines of %s ----\n' "$file" >&2
		tail -n 25 "$file" >&2
	else
		printf -- '---- %s does not exist ----\n' "$file" >&2
	fi
}

[ "$(id -u)" -eq 0 ] || die "must run as root"

# ---------------------------------------------------------------- packages

PACKAGES=(slurm-wlm slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin munge)
missing=()
for p in "${PACKAGES[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing ${missing[*]} (apt-get)"
	apt-get -o DPkg::Lock::Timeout=900 update -q
	# the packages' postinst scripts try to start services through the init system; without
	# systemd that fails harmlessly, and the daemons are started below instead
	apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${PACKAGES[@]}"
fi
for p in "${PACKAGES[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] \
		|| die "package $p is not installed; see the apt-get output above"
done

# ---------------------------------------------------------------- users and directories

ensure_user() {  # name, home
	id -u "$1" >/dev/null 2>&1 && return 0
	log "creating user $1"
	useradd --system --user-group --home-dir "$2" --create-home --shell /bin/bash "$1"
}
getent group "$STAGING_GROUP" >/dev/null || groupadd --system "$STAGING_GROUP"
ensure_user "$JOB_USER" "/var/lib/$JOB_USER"
id -u "$REST_USER" >/dev/null 2>&1 \
	|| useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$REST_USER"
id -nG "$JOB_USER" | tr ' ' '\n' | grep -qx "$STAGING_GROUP" || usermod -aG "$STAGING_GROUP" "$JOB_USER"
id -u slurm >/dev/null 2>&1 || die "the slurm user is missing (the slurm packages create it)"

install -d -m 0755 -o slurm -g slurm "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
install -d -m 0755 -o root -g root "$SPOOL_DIR" "$CONF_DIR"
install -d -m 0755 /var/lib/esap-slurm
install -d -m 2770 -o root -g "$STAGING_GROUP" "$STAGING_DIR"
touch "$LOG_DIR/slurmrestd.log"
chown "$REST_USER" "$LOG_DIR/slurmrestd.log"

# ---------------------------------------------------------------- munge

install -d -m 0700 -o munge -g munge /etc/munge /var/lib/munge /var/log/munge
install -d -m 0755 -o munge -g munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
	log "creating the munge key"
	if command -v mungekey >/dev/null 2>&1; then
		mungekey --create --keyfile=/etc/munge/munge.key
	else
		dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
	fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_ok; then
	log "starting munged"
	runuser -u munge -- /usr/sbin/munged --force >/dev/null 2>&1 || true
	for _ in $(seq 1 "$WAIT_SECONDS"); do munge_ok && break; sleep 1; done
	if ! munge_ok; then
		show_log /var/log/munge/munged.log
		die "munged did not come up (munge -n | unmunge fails)"
	fi
fi

# ---------------------------------------------------------------- JWT key

if [ ! -s "$JWT_KEY" ]; then
	log "creating the JWT key $JWT_KEY"
	dd if=/dev/urandom bs=32 count=1 of="$JWT_KEY" status=none
fi
chown slurm:slurm "$JWT_KEY"
chmod 0600 "$JWT_KEY"

# ---------------------------------------------------------------- slurm.conf

NODE="$(hostname -s)"
NEW_CONF="$(cat <<EOF
# managed by esap-graphql scripts/setup-slurm.sh: a one-node test cluster
ClusterName=esap
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$JWT_KEY
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
# no cgroups in a container: plain process tracking, no task containment
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# the node declares more CPUs than the machine has, so tests and the benchmark can run
# several small jobs at once; config_overrides keeps slurmd from draining it for that
SlurmdParameters=config_overrides
ReturnToService=2
# finished jobs stay visible to squeue / the REST API for 5 minutes (no accounting database)
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=8 RealMemory=1024 State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
)"
CONFIG_CHANGED=0
if [ "$(cat "$CONF" 2>/dev/null || true)" != "$NEW_CONF" ]; then
	log "writing $CONF"
	printf '%s\n' "$NEW_CONF" > "$CONF.tmp"
	chmod 0644 "$CONF.tmp"
	mv "$CONF.tmp" "$CONF"
	CONFIG_CHANGED=1
fi
# Debian's packages read /etc/slurm; some tools look in /etc/slurm-llnl
[ -e /etc/slurm-llnl ] || ln -s "$CONF_DIR" /etc/slurm-llnl

# ---------------------------------------------------------------- daemons

pid_alive() {  # pidfile, expected command name
	local pid
	pid="$(cat "$1" 2>/dev/null || true)"
	[ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}
stop_daemon() {  # pidfile, command name
	local pid
	pid_alive "$1" "$2" || return 0
	pid="$(cat "$1")"
	log "stopping $2 (pid $pid)"
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.5; done
	[ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
}

RESTART="${SLURM_FORCE_RESTART:-0}"
[ "$CONFIG_CHANGED" = 1 ] && RESTART=1
REST_PIDFILE="$RUN_DIR/slurmrestd.pid"
if [ "$RESTART" = 1 ]; then
	stop_daemon "$REST_PIDFILE" slurmrestd
	stop_daemon "$RUN_DIR/slurmd.pid" slurmd
	stop_daemon "$RUN_DIR/slurmctld.pid" slurmctld
fi

if ! pid_alive "$RUN_DIR/slurmctld.pid" slurmctld; then
	log "starting slurmctld"
	/usr/sbin/slurmctld || { show_log "$LOG_DIR/slurmctld.log"; die "slurmctld did not start"; }
fi
ctld_ok() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
for _ in $(seq 1 "$WAIT_SECONDS"); do ctld_ok && break; sleep 1; done
if ! ctld_ok; then
	scontrol ping >&2 || true
	show_log "$LOG_DIR/slurmctld.log"
	die "slurmctld is not answering (scontrol ping)"
fi

if ! pid_alive "$RUN_DIR/slurmd.pid" slurmd; then
	log "starting slurmd"
	/usr/sbin/slurmd || { show_log "$LOG_DIR/slurmd.log"; die "slurmd did not start"; }
fi
node_state() { sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -1; }
node_ok() { case "$(node_state)" in idle|mixed|allocated|completing) return 0;; *) return 1;; esac; }
for i in $(seq 1 "$WAIT_SECONDS"); do
	node_ok && break
	case "$(node_state)" in
		*drain*|down*)  # left over from an earlier run (e.g. a killed slurmd): bring it back
			[ "$i" -eq 3 ] && scontrol update nodename="$NODE" state=resume 2>/dev/null || true ;;
	esac
	sleep 1
done
if ! node_ok; then
	sinfo -N -l >&2 || true
	scontrol show node "$NODE" >&2 || true
	show_log "$LOG_DIR/slurmd.log"
	show_log "$LOG_DIR/slurmctld.log"
	die "node $NODE is not idle (state: $(node_state))"
fi

# slurmrestd refuses to run as root or as SlurmUser: it runs as $REST_USER and asks slurmctld
# with the JWT each request brings (rest_auth/jwt; SLURM_JWT=daemon makes it use auth/jwt)
rest_ok() {  # listening and answering HTTP (without a token every path answers 401)
	local code
	code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$REST_ADDR/openapi/v3" || true)"
	[ -n "$code" ] && [ "$code" != 000 ]
}
if ! pid_alive "$REST_PIDFILE" slurmrestd || ! rest_ok; then
	stop_daemon "$REST_PIDFILE" slurmrestd
	# only the openapi/v0.0.x plugins: the dbv0.0.x ones need slurmdbd, which this cluster
	# does not run (slurmrestd exits with "slurm not configured with slurmdbd" otherwise)
	PLUGINS="$(find /usr/lib/*/slurm-wlm -name 'openapi_v0_0_*.so' -printf '%f\n' \
		| sed 's/^openapi_v\(0\)_\(0\)_\([0-9]*\)\.so$/openapi\/v\1.\2.\3/' | sort -V | paste -sd, -)"
	[ -n "$PLUGINS" ] || die "no openapi/v0.0.x plugin for slurmrestd is installed"
	log "starting slurmrestd on $REST_ADDR ($PLUGINS)"
	setsid env SLURM_JWT=daemon /usr/sbin/slurmrestd -a rest_auth/jwt -s "$PLUGINS" \
		-u "$REST_USER" -g "$REST_USER" "$REST_ADDR" >>"$LOG_DIR/slurmrestd.log" 2>&1 < /dev/null &
	echo $! > "$REST_PIDFILE"
	for _ in $(seq 1 "$WAIT_SECONDS"); do
		rest_ok && break
		pid_alive "$REST_PIDFILE" slurmrestd || break
		sleep 1
	done
	if ! rest_ok; then
		show_log "$LOG_DIR/slurmrestd.log"
		die "slurmrestd is not answering on http://$REST_ADDR/openapi/v3"
	fi
fi

# one authenticated round trip: a token for the job user, the newest API version served
TOKEN="$(scontrol token username="$JOB_USER" lifespan=300 | sed -n 's/^SLURM_JWT=//p')"
[ -n "$TOKEN" ] || die "scontrol token did not mint a token (is AuthAltTypes=auth/jwt loaded?)"
AUTH=(-H "X-SLURM-USER-NAME: $JOB_USER" -H "X-SLURM-USER-TOKEN: $TOKEN")
VERSION="$(curl -s --max-time 10 "${AUTH[@]}" "http://$REST_ADDR/openapi/v3" | /usr/bin/python3 -c '
import json, re, sys
try:
    paths = json.load(sys.stdin)["paths"]
except Exception:
    sys.exit(0)
found = [m.group(1) for p in paths if (m := re.fullmatch(r"/slurm/(v0\.0\.(\d+))/ping", p))]
print(max(found, key=lambda v: int(v.rsplit(".", 1)[1]), default=""))' || true)"
if [ -z "$VERSION" ]; then
	show_log "$LOG_DIR/slurmrestd.log"
	die "slurmrestd's /openapi/v3 lists no /slurm/v0.0.x/ping path (was the token refused?)"
fi
PING="$(curl -s --max-time 10 "${AUTH[@]}" "http://$REST_ADDR/slurm/$VERSION/ping")"
if ! printf '%s' "$PING" | grep -q '"ping": *"UP"'; then
	printf '%s\n' "$PING" >&2
	show_log "$LOG_DIR/slurmrestd.log"
	die "slurmrestd answers but the authenticated ping failed"
fi

log "done"
cat <<EOF
Slurm is up:
  partition:      $PARTITION (node $NODE, $(sinfo -h -N -n "$NODE" -o '%c') CPUs)
  REST API:       http://$REST_ADDR/slurm/$VERSION (JWT: X-SLURM-USER-NAME / X-SLURM-USER-TOKEN)
  job user:       $JOB_USER  (token: scontrol token username=$JOB_USER)
  JWT key:        $JWT_KEY
  staging dir:    $STAGING_DIR (group $STAGING_GROUP)
EOF

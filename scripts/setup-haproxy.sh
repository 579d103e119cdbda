#!/usr/bin/env bash
# Debian's haproxy (the reverse proxy of tests/operations/test_topology.py) and wrk (the load
# tool of benchmarks/throughput.py), from apt; idempotent. The tests start their own haproxy
# on loopback with a config of their own: the system service is left stopped.
set -euo pipefail
missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
	echo "[haproxy] installing ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=900 update -qq
	apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# the package starts its own service on port 80 where it can; nothing here uses it
	if command -v systemctl >/dev/null 2>&1; then systemctl stop haproxy >/dev/null 2>&1 || true; fi
	service haproxy stop >/dev/null 2>&1 || true
fi

#!/usr/bin/env bash
# Install the web interface's npm packages (web/node_modules) from the lockfile:
#     scripts/setup-web.sh
# Needed to rebuild the interface (scripts/build-web.sh), to check the shipped build and for
# the browser tests (axe-core). Idempotent: `npm ci` runs only when package-lock.json changed
# since the last install. Installs Debian's Node.js and npm when they are missing (root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"
if ! command -v npm >/dev/null 2>&1; then
	echo "[web] installing nodejs and npm (apt-get)"
	apt-get -o DPkg::Lock::Timeout=900 update
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends nodejs npm
fi
major="$(node --version | sed 's/^v\([0-9]*\).*/\1/')"
if [ "$major" -lt 20 ]; then
	echo "[web] Node.js $(node --version) is too old: Vite needs 20.19 or newer" >&2
	exit 1
fi
stamp=node_modules/.esap-lock-sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
	echo "[web] npm ci"
	npm ci --no-audit --no-fund --loglevel=error
	echo "$want" >"$stamp"
fi
echo "[web] node $(node --version), npm $(npm --version), packages current"

#!/usr/bin/env bash
# configurable-http-proxy (npm) for the JupyterHub the analysis tests start, into
# .cache/jupyterhub; JupyterHub itself comes from PyPI with the test extras.
# Idempotent: does nothing once the proxy is installed. Needs root and apt only when node
# and npm are missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=.cache/jupyterhub
proxy="$dir/node_modules/.bin/configurable-http-proxy"
if [ -x "$proxy" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	apt-get -o DPkg::Lock::Timeout=900 update
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends nodejs npm
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error configurable-http-proxy@5
"$proxy" --version

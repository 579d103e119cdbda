#!/usr/bin/env bash
# The graphql-http audit (npm package graphql-http, its auditServer) that
# tests/security/test_graphql_http.py runs against a gateway process (idempotent).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../tests/graphql_http_audit"

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 18 ]; then
	echo "[graphql-http-audit] Node.js 18 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
	exit 1
fi
# npm ci only when the lock file changed since the last install
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "[graphql-http-audit] npm ci"
	npm ci --no-audit --no-fund --loglevel=error
fi
echo "[graphql-http-audit] graphql-http $(node -p 'require("./node_modules/graphql-http/package.json").version')"

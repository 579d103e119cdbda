#!/usr/bin/env bash
# Rebuild the web interface from web/ into esap_graphql/static/app (shipped in the package):
#     scripts/build-web.sh
# npm ci (when the lockfile changed), GraphQL code generation from schema.graphql, the
# formatting check (prettier), a type check (an unknown field or a wrong type fails here),
# the Vite build, then gzipped copies of
# the assets for the gateway to send. The output is reproducible: the same sources and
# lockfile give the same bytes (scripts/check-web-build.sh holds CI to it).
# ESAP_WEB_OUT_DIR=/some/dir builds elsewhere.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${ESAP_WEB_OUT_DIR:-$root/esap_graphql/static/app}"
"$root/scripts/setup-web.sh" >/dev/null
cd "$root/web"
# codegen prints its progress even when all is well: show it only when it fails
if ! log="$(npm run --silent codegen 2>&1)"; then
	echo "$log" >&2
	exit 1
fi
npx prettier --check . --log-level warn
npm run --silent typecheck
ESAP_WEB_OUT_DIR="$out" npx vite build --logLevel warn
# -n: no name or time stamp in the header, so the .gz files are reproducible too
find "$out/assets" -type f \( -name '*.js' -o -name '*.css' \) -exec gzip -9 -n -k -f {} +
echo "[web] built into $out: $(du -sh "$out" | cut -f1)"

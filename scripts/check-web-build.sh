#!/usr/bin/env bash
# Fail when the web interface shipped in esap_graphql/static/app differs from what its sources
# build to (CI: a change under web/ or to schema.graphql without scripts/build-web.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
ESAP_WEB_OUT_DIR="$fresh/app" "$root/scripts/build-web.sh" >/dev/null
if ! diff -r "$root/esap_graphql/static/app" "$fresh/app" >"$fresh/diff.txt"; then
	echo "[web] the shipped build differs from the sources; run scripts/build-web.sh and commit:" >&2
	head -n 20 "$fresh/diff.txt" >&2
	exit 1
fi
echo "[web] shipped build matches the sources"

#!/usr/bin/env bash
# Create .venv (if needed) and install esap-graphql into it:
#     scripts/bootstrap.sh [runtime|test]
# "runtime" installs what the gateway and its workers need; "test" (the default) adds the
# test, lint and type-checking tools. Idempotent: reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kind="${1:-test}"
case "$kind" in
runtime) spec='.' ;;
test) spec='.[test]' ;;
*) echo "usage: scripts/bootstrap.sh [runtime|test]" >&2; exit 2 ;;
esac
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
	"$PYTHON" -m venv .venv
	.venv/bin/python -m pip install --quiet --upgrade pip
fi
fresh() { [ -f "$1" ] && [ ! pyproject.toml -nt "$1" ]; }
# a test install holds everything a runtime one does
if fresh ".venv/.esap-installed-$kind" || { [ "$kind" = runtime ] && fresh .venv/.esap-installed-test; }; then
	exit 0
fi
.venv/bin/python -m pip install --quiet -e "$spec"
touch ".venv/.esap-installed-$kind"

#!/usr/bin/env bash
# Create .venv (if needed) and install esap-graphql with its test tools into it.
# Idempotent: reinstalls only when pyproject.toml changed since the last run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
	"$PYTHON" -m venv .venv
	.venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=.venv/.esap-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
	.venv/bin/python -m pip install --quiet -e '.[test]'
	touch "$stamp"
fi

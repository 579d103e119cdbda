#!/usr/bin/env bash
# Everything the test suite needs, then lint, types and the tests:
#     scripts/test.sh [pytest args]
# Installs the project into .venv, makes sure PostgreSQL and Redis are up,
# sets up the local DaCHS archive, the local Rucio server (scripts/setup-rucio.sh),
# a one-node Slurm cluster for the batch jobs (scripts/setup-slurm.sh),
# Debian's chromium for the browser tests, the deployment/federation tools, haproxy
# and wrk (scripts/setup-haproxy.sh: the multi-process topology test and its benchmark)
# (root; apt and npm on first run), the graphql-http audit (npm), installs the web
# interface's npm packages and
# checks that the shipped build matches its sources, then runs ruff, mypy,
# import-linter (the layer contract in pyproject.toml), the web interface's unit
# tests (vitest) and pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/bootstrap.sh test
scripts/services.sh
scripts/setup-dachs.sh
scripts/setup-rucio.sh
scripts/setup-slurm.sh
scripts/setup-browser.sh
scripts/setup-jupyterhub.sh
scripts/setup-deploy-tools.sh
scripts/setup-graphql-http-audit.sh
scripts/setup-haproxy.sh
scripts/setup-web.sh
scripts/check-web-build.sh
.venv/bin/ruff check esap_graphql queue tests benchmarks
.venv/bin/ruff format --check esap_graphql queue tests benchmarks
.venv/bin/mypy esap_graphql queue
.venv/bin/lint-imports
(cd web && npx vitest run --reporter=dot)
exec .venv/bin/pytest "$@"

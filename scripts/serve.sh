#!/usr/bin/env bash
# Run the gateway on embedded defaults (SQLite under ./data, in-process jobs):
#     scripts/serve.sh [--config FILE] [--host H] [--port P]
# then open http://127.0.0.1:8000/ (the web interface) or /graphql (GraphiQL) in a browser.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/bootstrap.sh runtime
exec .venv/bin/esap-graphql serve "$@"

#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/test_graphiql.py), when missing.
# Playwright drives this system browser; `playwright install` is never run (it downloads
# browsers from the internet, which CI and observatory networks do not have).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
	echo "[browser] installing chromium"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
echo "[browser] $(/usr/bin/chromium --version 2>/dev/null)"

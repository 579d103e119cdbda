#!/usr/bin/env bash
# Refresh the GraphiQL assets shipped in esap_graphql/static/graphiql/ from the npm registry:
#     scripts/vendor-graphiql.sh
# The gateway serves them itself, so GraphiQL works on networks without internet access.
# Versions are pinned here; bump them, run the script, then run tests/test_graphiql.py.
# GraphiQL 3.9's graphiql.min.js is a minified UMD build that bundles the graphql-ws
# client (subscriptions) and takes React and ReactDOM from globals.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1
dest=esap_graphql/static/graphiql
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" \
	"react-dom@$REACT_VERSION" >/dev/null)
for pkg in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
	mkdir -p "$work/$pkg"
	tar xzf "$work/$pkg.tgz" -C "$work/$pkg"
done
mkdir -p "$dest"
install -m 644 "$work/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.js" "$dest/graphiql.min.js"
install -m 644 "$work/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.css" "$dest/graphiql.min.css"
install -m 644 "$work/graphiql-$GRAPHIQL_VERSION/package/LICENSE" "$dest/LICENSE.graphiql"
install -m 644 "$work/react-$REACT_VERSION/package/umd/react.production.min.js" \
	"$dest/react.production.min.js"
install -m 644 "$work/react-$REACT_VERSION/package/LICENSE" "$dest/LICENSE.react"
install -m 644 "$work/react-dom-$REACT_VERSION/package/umd/react-dom.production.min.js" \
	"$dest/react-dom.production.min.js"
install -m 644 "$work/react-dom-$REACT_VERSION/package/LICENSE" "$dest/LICENSE.react-dom"
# The bundles end with a sourceMappingURL comment; the maps are not shipped, so drop it to
# spare browsers' developer tools a 404.
sed -i '/^\/\/# sourceMappingURL=/d' "$dest"/*.min.js
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$dest/graphiql.min.css"
cat >"$dest/VERSIONS" <<EOF
graphiql $GRAPHIQL_VERSION (graphiql.min.js, graphiql.min.css; MIT, LICENSE.graphiql)
react $REACT_VERSION (umd/react.production.min.js; MIT, LICENSE.react)
react-dom $REACT_VERSION (umd/react-dom.production.min.js; MIT, LICENSE.react-dom)
EOF
du -ch "$dest"/* | tail -n 1

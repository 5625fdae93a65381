#!/bin/sh
# Rebuilds the GraphiQL assets embedded in the binary from the npm registry: GraphiQL 3 (the last
# release with a browser bundle that needs no build step) and React 18 (the last with UMD builds),
# minified with esbuild and gzipped. Run from this folder: sh update.sh
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(pwd)
cd "$work"
npm pack --silent graphiql@3.8.3 react@18.3.1 react-dom@18.3.1 >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
npm install --silent --no-save esbuild@0.25 >/dev/null
./node_modules/.bin/esbuild --minify --log-level=error graphiql-3.8.3/package/graphiql.min.js --outfile=graphiql.js
./node_modules/.bin/esbuild --minify --log-level=error graphiql-3.8.3/package/graphiql.min.css --outfile=graphiql.css
gzip -9cn graphiql.js >"$here/graphiql.js.gz"
gzip -9cn graphiql.css >"$here/graphiql.css.gz"
gzip -9cn react-18.3.1/package/umd/react.production.min.js >"$here/react.js.gz"
gzip -9cn react-dom-18.3.1/package/umd/react-dom.production.min.js >"$here/react-dom.js.gz"
{
	echo "graphiql 3.8.3:"; cat graphiql-3.8.3/package/LICENSE; echo
	echo "react 18.3.1 and react-dom 18.3.1:"; cat react-18.3.1/package/LICENSE
} >"$here/LICENSES.txt"

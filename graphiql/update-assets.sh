#!/usr/bin/env bash
# Re-fetches the pinned GraphiQL assets from npm into graphiql/assets/ and
# rewrites assets/VERSIONS and assets/THIRD-PARTY-NOTICES.
#
#   graphiql/update-assets.sh            the versions pinned below
#
# To move to other versions, change the pins here and GraphiQLVersion and
# ReactVersion in graphiql.go together, run this script, run
# `go test ./graphiql` and `.ci/run browser`, and commit the result.
#
# Needs npm and node. Everything is fetched into a temporary directory that
# is removed at exit; only the files the page uses are copied.
set -euo pipefail

GRAPHIQL_VERSION=3.8.3
REACT_VERSION=18.3.1

cd "$(dirname "${BASH_SOURCE[0]}")"
HERE=$(pwd)
ASSETS=$HERE/assets

WORK=$(mktemp -d "${TMPDIR:-/tmp}/graphiql-assets.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "fetching graphiql@$GRAPHIQL_VERSION react@$REACT_VERSION react-dom@$REACT_VERSION"
(cd "$WORK" && npm pack --json --silent \
  "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >pack.json)

for tgz in "$WORK"/*.tgz; do
  name=$(basename "$tgz" .tgz)
  mkdir -p "$WORK/x/$name"
  tar -xzf "$tgz" -C "$WORK/x/$name"
done

G=$WORK/x/graphiql-$GRAPHIQL_VERSION/package
R=$WORK/x/react-$REACT_VERSION/package
D=$WORK/x/react-dom-$REACT_VERSION/package

rm -rf "$ASSETS"/graphiql@* "$ASSETS"/react@* "$ASSETS"/react-dom@*
mkdir -p "$ASSETS/graphiql@$GRAPHIQL_VERSION" \
  "$ASSETS/react@$REACT_VERSION/umd" "$ASSETS/react-dom@$REACT_VERSION/umd"

# GraphiQL's browser bundle (window.GraphiQL; it expects window.React and
# window.ReactDOM) with its stylesheet (fonts are inlined as data: URLs).
cp "$G/graphiql.min.js" "$G/graphiql.min.css" "$G/LICENSE" "$ASSETS/graphiql@$GRAPHIQL_VERSION/"
cp "$R/umd/react.production.min.js" "$ASSETS/react@$REACT_VERSION/umd/"
cp "$R/LICENSE" "$ASSETS/react@$REACT_VERSION/"
cp "$D/umd/react-dom.production.min.js" "$ASSETS/react-dom@$REACT_VERSION/umd/"
cp "$D/LICENSE" "$ASSETS/react-dom@$REACT_VERSION/"

# The packages bundled into graphiql.min.js, read from the bundle's module
# ids, and their licences from a fresh install of graphiql's dependencies.
echo "installing graphiql@$GRAPHIQL_VERSION's dependencies for their licence texts"
mkdir -p "$WORK/deps"
(cd "$WORK/deps" && echo '{"private":true}' >package.json &&
  npm install --silent --ignore-scripts --no-audit --no-fund --omit-lockfile-registry-resolved \
    "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null)

WORK=$WORK ASSETS=$ASSETS G=$G GRAPHIQL_VERSION=$GRAPHIQL_VERSION REACT_VERSION=$REACT_VERSION node --input-type=module <<'EOF'
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';

const { WORK, ASSETS, G, GRAPHIQL_VERSION, REACT_VERSION } = process.env;
const pack = JSON.parse(readFileSync(join(WORK, 'pack.json'), 'utf8'));

// Bundled packages: webpack module ids "../../../node_modules/<pkg>/…".
const bundle = readFileSync(join(G, 'graphiql.min.js'), 'utf8');
const bundled = new Set();
for (const m of bundle.matchAll(/"(?:\.\.\/)+node_modules\/((?:@[^/"]+\/)?[^/"]+)\//g)) {
  bundled.add(m[1]);
}
// graphiql's own workspace packages are built into the bundle too.
for (const m of bundle.matchAll(/^\/\*\*\*\/ "\.\.\/\.\.\/([a-z-]+)\//gm)) {
  bundled.add({ 'graphiql-react': '@graphiql/react', 'graphiql-toolkit': '@graphiql/toolkit' }[m[1]] ?? m[1]);
}
bundled.delete('react');
bundled.delete('react-dom');

const nm = join(WORK, 'deps', 'node_modules');
// A package installed only nested (node_modules/x/node_modules/name).
const findPackage = (name) => {
  const queue = [nm];
  while (queue.length) {
    const d = queue.shift();
    if (existsSync(join(d, name, 'package.json'))) return join(d, name);
    for (const f of existsSync(d) ? readdirSync(d) : []) {
      const sub = f.startsWith('@') ? readdirSync(join(d, f)).map((g) => join(d, f, g)) : [join(d, f)];
      for (const s of sub) if (existsSync(join(s, 'node_modules'))) queue.push(join(s, 'node_modules'));
    }
  }
  // Not a dependency npm installs (a peer or a build-time helper): the
  // registry's current version.
  const dir = join(WORK, 'extra', name);
  execFileSync('mkdir', ['-p', dir]);
  const [info] = JSON.parse(execFileSync('npm', ['pack', '--json', '--silent', name], { cwd: dir, encoding: 'utf8' }));
  execFileSync('tar', ['-xzf', info.filename, '-C', dir], { cwd: dir });
  return join(dir, 'package');
};
const licenceFile = (dir) =>
  readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
let notices = `Third-party software in graphiql@${GRAPHIQL_VERSION}/graphiql.min.js

graphiql.min.js is GraphiQL's browser bundle. Besides GraphiQL itself (MIT,
see graphiql@${GRAPHIQL_VERSION}/LICENSE) it contains the packages below, as
named by the bundle's module ids. The licence texts are those of the versions
that npm installs today for graphiql@${GRAPHIQL_VERSION}'s dependency ranges,
or the current version of a package that is not among them (the bundle was
built from GraphiQL's own lock file, so a version may differ). React and ReactDOM are not bundled: they are served from react@${REACT_VERSION}/
and react-dom@${REACT_VERSION}/ with their own LICENSE files.
Generated by graphiql/update-assets.sh.
`;
const summary = [];
for (const name of [...bundled].sort()) {
  const dir = findPackage(name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const lic = typeof pkg.license === 'string' ? pkg.license : JSON.stringify(pkg.license ?? pkg.licenses);
  summary.push(`${name}@${pkg.version}: ${lic}`);
  const f = licenceFile(dir);
  const text = f ? readFileSync(join(dir, f), 'utf8').trim() : `(no licence file in the package; package.json says ${lic})`;
  notices += `\n${'='.repeat(72)}\n${name}@${pkg.version} (${lic})\n\n${text}\n`;
}
writeFileSync(join(ASSETS, 'THIRD-PARTY-NOTICES'), notices);

// VERSIONS: the pinned packages, their npm integrity, and the sha256 of
// every copied file.
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d).sort()) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(relative(ASSETS, p));
  }
};
for (const d of readdirSync(ASSETS).sort()) {
  if (d.includes('@')) walk(join(ASSETS, d));
}
let versions = `# GraphiQL and React served by package graphiql, fetched from npm by
# graphiql/update-assets.sh and copied unchanged. All three are MIT licensed;
# their LICENSE files are next to the files, the licences of the packages
# bundled into graphiql.min.js are in THIRD-PARTY-NOTICES.
#
# package version licence npm-integrity
`;
for (const p of pack) {
  const pkg = JSON.parse(readFileSync(join(WORK, 'x', `${p.name}-${p.version}`, 'package', 'package.json'), 'utf8'));
  versions += `package ${p.name} ${p.version} ${pkg.license} ${p.integrity}\n`;
}
versions += `#\n# file sha256\n`;
for (const f of files) {
  versions += `file ${f} ${createHash('sha256').update(readFileSync(join(ASSETS, f))).digest('hex')}\n`;
}
writeFileSync(join(ASSETS, 'VERSIONS'), versions);
console.log(versions);
console.log('bundled packages:\n  ' + summary.join('\n  '));
EOF

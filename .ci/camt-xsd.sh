#!/usr/bin/env bash
# Validates every camt.053 fixture of reconcile/testdata against the XSD of
# its version, with libxml2's xmllint.
#
#   .ci/camt-xsd.sh XSD_DIR
#
# XSD_DIR holds the ISO 20022 schemas named as ISO publishes them,
# camt.053.001.NN.xsd. A fixture is every reconcile/testdata/*.xml whose
# root element is in a namespace urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN;
# its version is read from that namespace, not from the file name.
#
# Fails (non-zero) when xmllint is missing, XSD_DIR is not a directory, no
# fixture is found, a fixture's XSD is not in XSD_DIR, or any fixture is
# not valid. Every fixture is checked before the script fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ $# -ne 1 ]; then
  echo "usage: $0 XSD_DIR (the directory with camt.053.001.NN.xsd)" >&2
  exit 2
fi
XSD_DIR=$1
if ! command -v xmllint >/dev/null 2>&1; then
  echo "camt-xsd: xmllint is missing (Debian: apt-get install -y libxml2-utils)" >&2
  exit 1
fi
if [ ! -d "$XSD_DIR" ]; then
  echo "camt-xsd: $XSD_DIR is not a directory" >&2
  exit 1
fi

prefix='urn:iso:std:iso:20022:tech:xsd:camt.053.001.'
checked=0
failed=0
shopt -s nullglob
for f in reconcile/testdata/*.xml; do
  ns=$(xmllint --xpath 'namespace-uri(/*)' "$f" 2>/dev/null || true)
  case "$ns" in
    "$prefix"[0-9][0-9]) ;;
    *) continue ;; # not a camt.053 document
  esac
  version=${ns#"$prefix"}
  xsd="$XSD_DIR/camt.053.001.$version.xsd"
  checked=$((checked + 1))
  if [ ! -f "$xsd" ]; then
    echo "camt-xsd: FAIL $f: no schema camt.053.001.$version.xsd in $XSD_DIR" >&2
    failed=$((failed + 1))
    continue
  fi
  if out=$(xmllint --noout --schema "$xsd" "$f" 2>&1); then
    echo "camt-xsd: ok   $f (camt.053.001.$version)"
  else
    echo "camt-xsd: FAIL $f (camt.053.001.$version):" >&2
    echo "$out" >&2
    failed=$((failed + 1))
  fi
done

if [ "$checked" -eq 0 ]; then
  echo "camt-xsd: no camt.053 fixture found in reconcile/testdata" >&2
  exit 1
fi
echo "camt-xsd: $((checked - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]

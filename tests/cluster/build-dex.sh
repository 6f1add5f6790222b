#!/usr/bin/env bash
# Builds Dex, the OpenID Connect issuer the OIDC tests sign in with, from the Go module proxy into
# a cache outside the repository, keyed by version; prints the binary's path. Idempotent.
#
# Dex's release tags (v2.x) are not valid versions of its module (github.com/dexidp/dex, no /v2
# suffix), and its go.mod replaces its api/v2 module with a folder, so `go install` refuses it.
# A wrapper module requires the release's commit as a pseudo-version instead (v2.45.1 here),
# with the api/v2 version that release was built against.
set -euo pipefail

DEX_VERSION="${DEX_VERSION:-v0.0.0-20260303133905-11d2eeb52b42}"
cache_root="${TENANTRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantry}"
out="$cache_root/dex/$DEX_VERSION"
if [ -x "$out/bin/dex" ]; then
  echo "$out/bin/dex"
  exit 0
fi
echo "building dex $DEX_VERSION into $out/bin" >&2

# auto: a Go older than the go line below fetches that toolchain from the Go module proxy.
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=auto
mkdir -p "$out/bin" "$out/src"
cd "$out/src"
cat > go.mod <<GOMOD
module tenantry.local/dex-binary

go 1.25.8

require github.com/dexidp/dex $DEX_VERSION
GOMOD
printf 'package binaries\n' > doc.go
go build -trimpath -ldflags "-s -w" -o "$out/bin/dex.partial" github.com/dexidp/dex/cmd/dex >&2
mv "$out/bin/dex.partial" "$out/bin/dex"
echo "$out/bin/dex"

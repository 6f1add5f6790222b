#!/usr/bin/env bash
# Builds the local-cluster binaries (etcd 3.5, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl of one pinned Kubernetes release, and KWOK) from the Go module proxy
# into a cache outside the repository, keyed by version. Idempotent: exits at once when cached.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.33.13}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
staging="v0.${K8S_VERSION#1.}"
minor="$(cut -d. -f2 <<<"$K8S_VERSION")"
cache_root="${TENANTRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantry}"
out="$cache_root/k8s/v$K8S_VERSION-kwok-$KWOK_VERSION"
bin="$out/bin"
wanted=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
# KWOK's Logs and ClusterLogs CRDs, from its module: the local clusters serve pod logs with them.
crd="$out/crd"
crds=(kwok.x-k8s.io_logs.yaml kwok.x-k8s.io_clusterlogs.yaml)

missing=()
for b in "${wanted[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
for c in "${crds[@]}"; do [ -f "$crd/$c" ] || missing+=("$c"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$bin"
  exit 0
fi
echo "building ${missing[*]} into $bin" >&2

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$bin" "$out/src"
cd "$out/src"

# k8s.io/kubernetes requires every staging module at v0.0.0 (replaced by ./staging in its own
# repository); point each of them at its published version instead.
upstream_gomod="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')"
{
  echo "module tenantry.local/k8s-binaries"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  echo
  grep -E '^\s+k8s\.io/[a-z0-9.-]+ v0\.0\.0\s*$' "$upstream_gomod" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
} > go.mod
printf 'package binaries\n' > doc.go

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
go get "k8s.io/kubernetes@v$K8S_VERSION" >&2
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -x "$bin/$b" ] || go build -trimpath -ldflags "$ldflags" -o "$bin/$b" "k8s.io/kubernetes/cmd/$b" >&2
done
if [ ! -x "$bin/etcd" ]; then
  # the etcd version k8s.io/kubernetes selects (3.5.x); a bare `go get` would jump to 3.6
  etcd_version="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
  echo "etcd $etcd_version" >&2
  go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3 >&2
fi
if [ ! -x "$bin/kwok" ]; then
  GOFLAGS= GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
fi
kwok_dir="$(GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')"
mkdir -p "$crd"
for c in "${crds[@]}"; do
  [ -f "$crd/$c" ] || install -m 644 "$kwok_dir/kustomize/crd/bases/$c" "$crd/$c"
done
echo "$bin"

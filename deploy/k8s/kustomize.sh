#!/usr/bin/env bash
# kustomize, built from the Go module proxy into var/tools/bin on first use; then runs it:
#   deploy/k8s/kustomize.sh build deploy/k8s/overlays/local | kubectl apply -f -
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="v5.7.1"
bin="$root/var/tools/bin/kustomize"
if ! "$bin" version 2>/dev/null | grep -q "$version"; then
  go="$(command -v go || echo /usr/local/go/bin/go)"
  [ -x "$go" ] || { echo "kustomize needs Go (go install) to be built; none found" >&2; exit 1; }
  if [ -z "${HOME:-}" ]; then  # go keeps its caches under HOME; a bare CI shell may lack it
    export GOPATH="$root/var/tools/go" GOCACHE="$root/var/tools/go-build"
  fi
  echo "building kustomize $version with go install ..." >&2
  mkdir -p "$root/var/tools/bin"
  (cd "$root/var/tools" && GOBIN="$root/var/tools/bin" GOFLAGS=-mod=mod \
    "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$version") >&2
fi
exec "$bin" "$@"

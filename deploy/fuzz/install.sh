#!/usr/bin/env bash
# schemathesis, in a virtualenv of its own under var/tools/ (it requires pytest<9, which the
# project's own test environment has outgrown). Idempotent; prints the CLI's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/var/tools/schemathesis"
lock="$root/deploy/fuzz/requirements.lock"
python="$(command -v python3.11 || command -v python3)"
if ! cmp -s "$lock" "$venv/.installed" 2>/dev/null; then
  echo "installing schemathesis into $venv ..." >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$lock"
  cp "$lock" "$venv/.installed"
fi
echo "$venv/bin/schemathesis"

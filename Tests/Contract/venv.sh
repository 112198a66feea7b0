#!/usr/bin/env bash
# Installs the official clients of Tests/Contract/requirements.txt into a virtual environment, only when
# it is missing or the requirements changed (`make deps` calls this).
#
#   Tests/Contract/venv.sh .build/contract-venv
#
# When the install fails because the package index cannot be reached at all, it writes the reason to
# <venv>/UNAVAILABLE and exits 0, so `make contract` can skip with that reason; any other failure
# (a pinned version withdrawn, a build error) exits 1.
set -u -o pipefail

venv="${1:?usage: venv.sh VENV_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$here/requirements.txt"
stamp="$venv/requirements.installed"

if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp" && [ -x "$venv/bin/python" ]; then
  exit 0
fi
rm -f "$venv/UNAVAILABLE"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating the contract-test environment in $venv"
  python3 -m venv "$venv" || { echo "venv.sh: python3 -m venv failed (is python3-venv installed?)" >&2; exit 1; }
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check --retries 1 --timeout 20)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "installing the platforms' official clients (Tests/Contract/requirements.txt)"
if "${pip[@]}" install --quiet -r "$requirements" >"$log" 2>&1; then
  cp "$requirements" "$stamp"
  exit 0
fi
# Failed: tell an unreachable index (skip, with the reason) from a real problem (fail).
if ! "${pip[@]}" index versions pip >/dev/null 2>&1; then
  reason="the package index is unreachable (pip: $(grep -m1 '^ERROR' "$log" | cut -c8-160))"
  echo "$reason" > "$venv/UNAVAILABLE"
  echo "venv.sh: $reason; contract tests will be skipped"
  exit 0
fi
echo "venv.sh: installing the contract-test clients failed:" >&2
tail -20 "$log" >&2
exit 1

#!/usr/bin/env bash
# Creates agentdesk/.venv (Python >= 3.11) if missing and installs the pinned dependencies and
# the package (editable). Quiet; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

is_supported() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

find_python() {
  local candidate path
  for candidate in "${AGENTDESK_PYTHON:-}" "$HOME"/.pyenv/versions/3.12*/bin/python3.12 \
      python3.12 python3.13 python3.11 python3; do
    [ -n "$candidate" ] || continue
    path=$(command -v "$candidate" 2>/dev/null || true)
    if [ -n "$path" ] && is_supported "$path"; then echo "$path"; return 0; fi
  done
  echo "No Python >= 3.11 found: install one or set AGENTDESK_PYTHON=/path/to/python3" >&2
  return 1
}

if [ ! -x .venv/bin/python ] || ! is_supported .venv/bin/python; then
  rm -rf .venv
  "$(find_python)" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install --quiet --upgrade "pip==26.3"
.venv/bin/python -m pip install --quiet -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps -e .

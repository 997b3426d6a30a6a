#!/usr/bin/env bash
# Creates .venv with Python 3.10 if missing and installs the pinned dependencies and the project.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  rm -rf .venv
  "$(scripts/find-python310.sh)" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip==24.3.1"
.venv/bin/python -m pip install --quiet -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps -e .

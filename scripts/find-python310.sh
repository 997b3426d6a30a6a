#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter: $PYTHON310, python3.10 on PATH, or pyenv's.
set -euo pipefail
is_310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
for candidate in "${PYTHON310:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null || true)
  if [ -n "$path" ] && is_310 "$path"; then echo "$path"; exit 0; fi
done
echo "No Python 3.10 found: install it or set PYTHON310=/path/to/python3.10" >&2
exit 1

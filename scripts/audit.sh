#!/usr/bin/env bash
# pip-audit of both lock files (requirements.lock, casebackend/requirements.lock), reproducibly:
# a pinned pip-audit in its own throwaway venv, the lock files as they are (--no-deps
# --disable-pip: nothing is installed or resolved). Reports in reports/audit/.
#
# Fails (exit 1) on any vulnerability not accepted in scripts/audit-accepted.txt (each one
# explained in docs/security.md), and (exit 2) when packages could not be audited at all:
# pip-audit then still prints "No known vulnerabilities found" and exits 0, which must not
# pass for a clean result.
#
#   scripts/audit.sh                      # PyPI's vulnerability data (the default service)
#   PIP_AUDIT_SERVICE=osv scripts/audit.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT_VERSION=2.10.1
AUDIT_VENV=${AUDIT_VENV:-/tmp/mina-sidor-pip-audit}
PYTHON=${PYTHON:-python3}
SERVICE=${PIP_AUDIT_SERVICE:-pypi}
OUT=reports/audit
ACCEPTED=scripts/audit-accepted.txt

if ! "$AUDIT_VENV/bin/pip-audit" --version 2>/dev/null | grep -q "$PIP_AUDIT_VERSION"; then
  rm -rf "$AUDIT_VENV"
  "$PYTHON" -m venv "$AUDIT_VENV"
  "$AUDIT_VENV/bin/pip" install --quiet --disable-pip-version-check "pip-audit==$PIP_AUDIT_VERSION"
fi

ignores=()
while read -r id _; do
  [[ -z "$id" || "$id" == \#* ]] || ignores+=(--ignore-vuln "$id")
done < "$ACCEPTED"

mkdir -p "$OUT"
for lock in requirements.lock casebackend/requirements.lock; do
  name=$(echo "$lock" | tr '/' '-' | sed 's/\.lock$//')
  echo "== $lock ($SERVICE)"
  # Findings are judged below from the JSON report, skipped packages included.
  "$AUDIT_VENV/bin/pip-audit" -r "$lock" --no-deps --disable-pip --vulnerability-service "$SERVICE" \
      --format json --output "$OUT/$name.json" --progress-spinner off "${ignores[@]}" || true
done

exec "$AUDIT_VENV/bin/python" - "$OUT" <<'PY'
import json
import sys
from pathlib import Path

worst = 0
for report in sorted(Path(sys.argv[1]).glob("*.json")):
    dependencies = json.loads(report.read_text())["dependencies"]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    found = [(d["name"], d["version"], v["id"], ",".join(v.get("fix_versions") or []) or "-")
             for d in dependencies for v in d.get("vulns", [])]
    print(f"{report.name}: {len(dependencies)} packages, {len(found)} open findings, "
          f"{len(skipped)} not audited")
    for name, version, vuln, fixes in found:
        print(f"  {name}=={version}  {vuln}  fixed in: {fixes}")
    if skipped:
        print(f"  not audited, e.g.: {skipped[0]['skip_reason']}")
    worst = max(worst, 2 if skipped else 1 if found else 0)
sys.exit(worst)
PY

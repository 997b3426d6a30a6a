"""Write openapi.json from the app's declared operations (`make openapi`).

With --check, write nothing and exit 1 if the committed file is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casebackend.app import RESOURCES
from casebackend.openapi import build_document, render

TARGET = Path(__file__).resolve().parents[1] / "openapi.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare with the file")
    arguments = parser.parse_args()
    text = render(build_document(RESOURCES))
    if arguments.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.name} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""After every attack of this suite (the file runs last): no personnummer and no phone number
in the tracker store, in any process's log, or in any file the stack wrote (its var/: the SMS
and phone stores, the vault, the start limits), however it was typed by the attackers and the
citizens before. Encrypted values do not match; clear text would."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import Assistant

DEMO_NUMBERS = ["191212121212", "191010101010", "191111111116", "194004040400",
                "200808080808"]


def personnummer_forms() -> re.Pattern[bytes]:
    forms: set[str] = set()
    for number in DEMO_NUMBERS:
        forms |= {number, f"{number[:8]}-{number[8:]}", number[2:],
                  f"{number[2:8]}-{number[8:]}", f"{number[2:8]}+{number[8:]}"}
    return re.compile(b"|".join(re.escape(form.encode()) for form in sorted(forms)))


# A Swedish mobile number in E.164 (with or without +), not inside a hex id.
MOBILE = re.compile(rb"(?<![0-9A-Za-z])\+?467\d{8}(?![0-9A-Za-z])")


CONFIGURATION = frozenset({".yml", ".yaml"})


def written_files(assistant: Assistant) -> list[Path]:
    """Everything the assistant's processes wrote, but the case backend's own register
    (``cb.db``: the system of record, which keeps personnummer as keyed hashes and contact
    numbers encrypted; casebackend/tests checks it) and the configuration the harness wrote
    (the agency's own sending number is in it)."""
    workdir = assistant.tracker_db.parent
    return [path for path in workdir.rglob("*")
            if path.is_file() and not path.name.startswith("cb.db")
            and path.suffix not in CONFIGURATION]


def test_nothing_personal_anywhere_after_the_attacks(assistant: Assistant) -> None:
    numbers = personnummer_forms()
    rows = assistant.query("SELECT data FROM events")
    assert rows  # the attacks and the conversations before them were stored
    for (data,) in rows:
        blob = data.encode() if isinstance(data, str) else bytes(data)
        assert not numbers.search(blob) and not MOBILE.search(blob), blob[:120]
    files = written_files(assistant)
    assert any(path.suffix == ".db" for path in files)
    for path in [*files, *assistant.logs]:
        content = path.read_bytes()
        found = numbers.search(content) or MOBILE.search(content)
        assert found is None, f"{path.name} holds {found.group()[:4]!r}…" if found else ""

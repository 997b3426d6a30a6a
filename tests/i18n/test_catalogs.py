"""The Babel workflow: the committed template is current and every language is complete."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.formatting import placeholder_names

LOCALES = Path("locales")
POT = LOCALES / "messages.pot"
PO_FILES = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _keys(catalog: Catalog) -> set[tuple[str | None, str, tuple[str, ...]]]:
    return {(m.context, str(m.id), tuple(m.auto_comments)) for m in catalog if m.id}


def test_extraction_leaves_the_template_unchanged(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract",
                    "-F", "locales/babel.cfg", "-o", str(fresh), "--no-location",
                    "--sort-output", "--width", "100", "."], check=True,
                   capture_output=True)
    assert _keys(_read(fresh)) == _keys(_read(POT)), (
        "locales/messages.pot is stale: run `make i18n-update` and translate what is new")


def test_there_is_an_english_catalog() -> None:
    assert LOCALES / "en" / "LC_MESSAGES" / "messages.po" in PO_FILES


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[1])
def test_every_message_is_translated_and_not_fuzzy(po_path: Path) -> None:
    template = {(m.context, m.id) for m in _read(POT) if m.id}
    catalog = _read(po_path)
    translated = {(m.context, m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    missing = template - translated
    assert not missing, f"{po_path}: missing or fuzzy: {sorted(missing, key=str)[:5]}"
    assert not catalog.fuzzy, f"{po_path}: the catalog header is marked fuzzy"


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[1])
def test_translations_keep_placeholders_and_links(po_path: Path) -> None:
    for message in _read(po_path):
        if not message.id or not message.string:
            continue
        assert placeholder_names(str(message.string)) == placeholder_names(str(message.id)), (
            f"{po_path}: placeholders differ in {message.context}")
        source_urls = {u for u in str(message.id).split("(") if u.startswith("https://")}
        target_urls = {u for u in str(message.string).split("(") if u.startswith("https://")}
        assert source_urls == target_urls, f"{po_path}: links differ in {message.context}"


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[1])
def test_compiled_catalog_is_current(po_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime, (
        f"{mo_path} is missing or older than its .po: run `make i18n-compile`")

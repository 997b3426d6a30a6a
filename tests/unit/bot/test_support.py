import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.support import SupportConfigError, load_support_line, parse_hours

CONFIG = Path("bot/support.yml")


def test_defaults_come_from_the_config_file() -> None:
    support = load_support_line({}, CONFIG)
    assert support.phone == "0771-524 524"


def test_hours_have_no_default() -> None:
    support = load_support_line({}, CONFIG)
    assert not support.hours_known
    assert support.describe_hours("sv_SE") is None
    assert support.hours_sentence("sv_SE", lambda text: text) == ""
    assert load_support_line({"SUPPORT_HOURS": "  "}, CONFIG).hours == ()


def test_unknown_hours_always_offer_the_transfer() -> None:
    support = load_support_line({}, CONFIG)
    assert support.is_open(dt.datetime(2026, 11, 29, 3, 0))  # a Sunday night


def test_hours_sentence_per_locale() -> None:
    support = load_support_line({"SUPPORT_HOURS": "mon-fri 08:00-16:00"}, CONFIG)
    assert support.hours_sentence("sv_SE", lambda text: text) == \
        "Kundcenter har öppet måndag-fredag 08:00-16:00."
    english = {"Kundcenter har öppet {hours}.": "The customer centre is open {hours}."}
    assert support.hours_sentence("en", english.__getitem__) == \
        "The customer centre is open Monday-Friday 8:00 AM-4:00 PM."


@pytest.mark.parametrize(("environ", "message"), [
    ({"SUPPORT_HOURS": "måndag-fredag 08:00-16:00"}, "SUPPORT_HOURS: opening hours"),
    ({"SUPPORT_HOURS": "mon-fri 8-16"}, "SUPPORT_HOURS"),
    ({"SUPPORT_HOURS": "mon-fri 08:00-16:00", "SUPPORT_HOLIDAYS": "24/12"}, "SUPPORT_HOLIDAYS"),
    ({"SUPPORT_HOLIDAYS": "2026-12-24"}, "SUPPORT_HOLIDAYS is set but SUPPORT_HOURS is not"),
])
def test_malformed_setting_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SupportConfigError, match=message):
        load_support_line(environ, CONFIG)


def test_hours_in_the_config_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "support.yml"
    config.write_text('phone: "0771-524 524"\nhours: "mon-fri 08:00-16:00"\n')
    with pytest.raises(SupportConfigError, match="unknown keys"):
        load_support_line({}, config)


def test_environment_overrides_number_and_hours() -> None:
    support = load_support_line({"SUPPORT_PHONE": "+46 771 00 00 00",
                                 "SUPPORT_HOURS": "mon-thu 09:00-15:30; fri 09:00-12:00"}, CONFIG)
    assert support.phone == "+46 771 00 00 00"
    assert support.describe_hours("sv_SE") == "måndag-torsdag 09:00-15:30, fredag 09:00-12:00"
    assert support.describe_hours("en") == (
        "Monday-Thursday 9:00 AM-3:30 PM, Friday 9:00 AM-12:00 PM")


@pytest.mark.parametrize("spec", ["", "every day", "mon-fri 8-16", "fri-mon 08:00-16:00",
                                  "mon 16:00-08:00", "xyz 08:00-16:00", "mon 25:00-26:00"])
def test_bad_hours_are_refused_with_a_clear_error(spec: str) -> None:
    with pytest.raises(SupportConfigError):
        parse_hours(spec)


def test_bad_phone_is_refused() -> None:
    with pytest.raises(SupportConfigError, match="not a phone number"):
        load_support_line({"SUPPORT_PHONE": "call us"}, CONFIG)


def test_is_open_follows_the_ranges() -> None:
    support = load_support_line({"SUPPORT_HOURS": "mon-fri 08:00-16:00"}, CONFIG)
    assert support.is_open(dt.datetime(2026, 11, 30, 8, 0))  # Monday
    assert not support.is_open(dt.datetime(2026, 11, 30, 16, 0))
    assert not support.is_open(dt.datetime(2026, 11, 29, 12, 0))  # Sunday


def test_a_malformed_setting_stops_make_run_before_anything_starts(tmp_path: Path) -> None:
    env = {**os.environ, "SUPPORT_HOURS": "måndag-fredag 8-16", "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run([sys.executable, "scripts/serve.py"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "Cannot start: SUPPORT_HOURS: opening hours 'måndag-fredag 8-16'" in done.stderr

"""Attack: start Rasa in debug mode, with a static query-string token or an open CORS list,
by spelling the refused option differently.

Rasa's argparse takes any unambiguous abbreviation (``--deb`` is ``--debug``), ``=value``
forms and clusters of short options (``-qt x`` is ``-q -t x``). The launcher compared exact
names only. Every spelling must be refused before Rasa sees it, and what Rasa's own parser
would have made of each attempt is checked too, so the list is not just the launcher's own
idea of what is dangerous."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 48


def launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rasa_server",
                                                  ROOT / "scripts" / "rasa_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ATTEMPTS = [
    ["--debug"], ["--deb"], ["--de"], ["-vv"], ["-vvv"], ["-qvv"],
    ["--auth-token", "x"], ["--auth-tok", "x"], ["--auth", "x"], ["--auth-token=x"],
    ["--au=x"], ["-t", "x"], ["-tx"], ["-qt", "x"], ["-vt", "x"],
    ["--cors", "*"], ["--cor", "*"], ["--cors=*"], ["--cor=*"],
    ["--jwt-secret", "x"], ["--jwt-sec=x"], ["--jwt-method", "none"], ["--jwt-m=none"],
    ["--jwt-private-key", "k"], ["--enable-api"], ["--enable"], ["--ena"],
    ["--log-file", "/tmp/unfiltered.log"], ["--logging-config-file", "x.yml"],
    ["--use-syslog"], ["--port", "5005", "--", "--debug"], ["--verbose=1"],
    ["--cred", "x"], ["--no-api=1"], ["--ap"],
]


def rasas_own_reading(argv: list[str]) -> dict[str, object]:
    """What `rasa run`'s parser sets for these arguments, beyond its defaults."""
    from rasa.__main__ import create_argument_parser

    parser = create_argument_parser()
    defaults = vars(parser.parse_known_args(["run"])[0])
    try:
        parsed = vars(parser.parse_known_args(["run", *argv])[0])
    except SystemExit:
        return {}
    return {name: value for name, value in parsed.items() if defaults.get(name) != value}


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=" ".join)
def test_every_spelling_of_a_refused_option_is_refused(attempt: list[str]) -> None:
    module = launcher()
    with pytest.raises(module.LaunchError):
        module.rasa_arguments([*attempt, "--model", "m.tar.gz"],
                              {"RASA_JWT_SECRET": SECRET})


@pytest.mark.parametrize("attempt", [["--deb"], ["-vt", "x"], ["--cor=*"], ["--auth-tok", "x"],
                                     ["--ena"], ["-tx"]], ids=" ".join)
def test_the_attempts_are_real(attempt: list[str]) -> None:
    """Without the launcher, Rasa itself takes each of these for a dangerous setting."""
    reading = rasas_own_reading(attempt)
    assert (reading.get("loglevel") == 10 or "auth_token" in reading
            or "cors" in reading or reading.get("enable_api") is True), reading


def test_the_options_the_project_passes_still_pass() -> None:
    module = launcher()
    args = module.rasa_arguments(
        ["--model", "models/current.tar.gz", "--endpoints", "bot/endpoints.yml",
         "--interface", "0.0.0.0", "--port=5005", "--response-timeout", "30", "--quiet"], {})
    assert args[:10] == ["run", "--model", "models/current.tar.gz", "--endpoints",
                         "bot/endpoints.yml", "--interface", "0.0.0.0", "--port=5005",
                         "--response-timeout", "30"]
    assert "--enable-api" not in args and "--debug" not in args


def test_what_rasa_gets_has_no_refused_setting() -> None:
    """The arguments the launcher hands on, read by Rasa's parser: no debug, no static
    token, no CORS wildcard."""
    module = launcher()
    args = module.rasa_arguments(["--api", "--model", "m.tar.gz", "-v"],
                                 {"RASA_JWT_SECRET": SECRET})
    reading = rasas_own_reading(args[1:])
    assert reading.get("loglevel") != 10 and "auth_token" not in reading
    assert reading.get("cors") in (None, [])
    assert reading.get("enable_api") is True and reading.get("jwt_secret") == SECRET


def test_a_secret_that_begins_with_a_dash_still_starts_rasa(tmp_path: Path) -> None:
    # `make run` once failed to start: its generated secret began with "-" and Rasa's parser
    # took it for an option ("--jwt-secret: expected one argument").
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\n")
    secret = "-" + "x" * 47
    argv = launcher().rasa_arguments(["--api", "--credentials", str(credentials)],
                                     {"RASA_JWT_SECRET": secret})
    assert rasas_own_reading(argv[1:]).get("jwt_secret") == secret

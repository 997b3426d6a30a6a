"""Attack: a production deployment left on the development defaults, where the personnummer HMAC
key is public (so the keyed hashes are reversed by hashing the ~40 million valid numbers) and the
demo persons can be loaded. With ASSISTANT_MODE=production the service, the notifier and the demo
loader refuse to start and say which setting is missing; nothing is served or written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from casebackend.production import ProductionModeError
from casebackend.settings import DatabaseSettings, NotifierSettings, Settings
from tests.assertions import PUBLIC_KEY_TEXT
from tests.support import NOTICES_TOKEN, PROJECT, server_environment

SECRETS = {
    "CASEBACKEND_ACTIONS_TOKEN": "actions-token",
    "CASEBACKEND_ASSERTION_PUBLIC_KEY": PUBLIC_KEY_TEXT,
    "CASEBACKEND_PNR_KEY": "a-real-secret-pnr-key",
    "CASEBACKEND_CONTACT_KEY": "a-real-secret-contact-key",
    "ASSISTANT_NOTICES_TOKEN": NOTICES_TOKEN,
}
PRODUCTION = {**SECRETS, "ASSISTANT_MODE": "production"}


def test_production_with_real_keys_starts() -> None:
    assert Settings.from_env(PRODUCTION).pnr_key == b"a-real-secret-pnr-key"
    assert NotifierSettings.from_env(PRODUCTION).contact_key == b"a-real-secret-contact-key"


@pytest.mark.parametrize("missing", ["CASEBACKEND_PNR_KEY", "CASEBACKEND_CONTACT_KEY"])
def test_production_refuses_the_development_keys(missing: str) -> None:
    environment = {key: value for key, value in PRODUCTION.items() if key != missing}
    reader = Settings.from_env if missing == "CASEBACKEND_PNR_KEY" else NotifierSettings.from_env
    with pytest.raises(ProductionModeError, match=f"{missing} is not set"):
        reader(environment)
    # Outside production the same settings only warn.
    reader({key: value for key, value in SECRETS.items() if key != missing})


def test_a_mistyped_mode_is_not_development() -> None:
    with pytest.raises(ProductionModeError, match="ASSISTANT_MODE"):
        Settings.from_env({**SECRETS, "ASSISTANT_MODE": "prod"})


def _run(module: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module],
        env=environment,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_service_does_not_start_on_the_development_key(tmp_path: Path) -> None:
    database = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'never.db'}")
    environment = {**server_environment(database, 1), "ASSISTANT_MODE": "production"}
    del environment["CASEBACKEND_PNR_KEY"]
    result = _run("casebackend", environment)
    assert result.returncode == 2
    assert "ASSISTANT_MODE=production refuses to start" in result.stderr
    assert "CASEBACKEND_PNR_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "never.db").exists()


def test_the_demo_loader_does_not_run_in_production(tmp_path: Path) -> None:
    database = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'never.db'}")
    environment = {**server_environment(database, 1), "ASSISTANT_MODE": "production"}
    result = _run("casebackend.demo", environment)
    assert result.returncode == 2
    assert "demo data loader" in result.stderr
    assert not (tmp_path / "never.db").exists()

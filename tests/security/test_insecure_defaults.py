"""Attack: a production deployment that silently runs on demo defaults. Anyone could "identify"
with the BankID simulator, log into the web chat with the demo's HS256 secret, pose as any person
through the test identity path, or reach a REST channel without a token; the SMS channel could
run on the local Twilio account. With ASSISTANT_MODE=production each of these stops the start
with a message that names the setting (the case backend's development keys: casebackend's
tests/test_security_production.py). The compose file runs in production mode with no simulator.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from cryptography.fernet import Fernet

from actions import server as action_server
from actions.identity.services import IdentityServices
from common.production_mode import ProductionModeError, action_server_refusals
from connectors.local_twilio.account import LocalAccount
from connectors.sms.config import SmsSettings
from connectors.voice.config import VoiceSettings
from connectors.webchat.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"ASSISTANT_MODE": "production"}


def _launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rasa_server",
                                                  ROOT / "scripts" / "rasa_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("provider", [{}, {"IDENTITY_PROVIDER": "simulator"}])
def test_the_bankid_simulator_is_refused(tmp_path: Path, provider: dict[str, str]) -> None:
    env = {**PRODUCTION, **provider, "IDENTITY_VAULT_PATH": str(tmp_path / "v.db"),
           "IDENTITY_VAULT_KEY": Fernet.generate_key().decode(),
           "IDENTITY_ATTEMPTS_PATH": str(tmp_path / "a.db")}
    with pytest.raises(ProductionModeError, match="simulator"):
        IdentityServices.from_env(env)
    assert any("simulator" in problem for problem in action_server_refusals(env))


def test_the_test_identity_path_is_refused() -> None:
    env = {**PRODUCTION, "IDENTITY_PROVIDER": "bankid", "ASSISTANT_TEST_IDENTITY": "on"}
    assert action_server_refusals(env) == [
        "ASSISTANT_MODE=production refuses to start: ASSISTANT_TEST_IDENTITY is on "
        "(the test-only identity path)"]


def test_the_action_server_does_not_start(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ASSISTANT_MODE", "production")
    monkeypatch.delenv("IDENTITY_PROVIDER", raising=False)
    assert action_server.main(["--port", "1"]) == 2
    assert "IDENTITY_PROVIDER is the BankID simulator" in capsys.readouterr().err


def test_a_mistyped_mode_is_refused_not_taken_for_development() -> None:
    with pytest.raises(ProductionModeError, match="ASSISTANT_MODE"):
        action_server_refusals({"ASSISTANT_MODE": "prod"})


@pytest.mark.parametrize("block", [
    {"session_token": {"issuer": "i", "audience": "a", "algorithm": "HS256",
                       "demo_secret": "d" * 32}},
    {"session_token": {"issuer": "i", "audience": "a", "demo_secret": "d" * 32}},
    {"test_login": True},
])
def test_the_web_chats_demo_login_is_refused(block: dict[str, object]) -> None:
    env = {**PRODUCTION, "WEBCHAT_SESSION_SECRET": "w" * 32,
           "CASEBACKEND_URL": "http://127.0.0.1:1", "CASEBACKEND_LOOKUP_TOKEN": "t"}
    with pytest.raises(ProductionModeError, match="web chat"):
        parse_config(block, env)
    # The same block starts outside production mode (the demo).
    parse_config(block, {**env, "ASSISTANT_MODE": "development"})


def test_the_local_twilio_account_is_refused(tmp_path: Path) -> None:
    account = LocalAccount.new("http://127.0.0.1:5005", "http://127.0.0.1:5060")
    env = {**PRODUCTION, **account.environment()}
    block = {"account_sid": "${TWILIO_ACCOUNT_SID}", "auth_token": "${TWILIO_AUTH_TOKEN}",
             "from_number": "${TWILIO_SMS_FROM}", "public_base_url": "${SMS_PUBLIC_BASE_URL}",
             "conversation_secret": "${SMS_CONVERSATION_SECRET}",
             "store_path": str(tmp_path / "sms.db")}
    with pytest.raises(ProductionModeError, match="local Twilio account"):
        SmsSettings.from_credentials(block, env)


def test_the_local_twilio_account_is_refused_for_the_phone_too() -> None:
    account = LocalAccount.new("http://127.0.0.1:5005", "http://127.0.0.1:5060")
    env = {**PRODUCTION, **account.environment()}
    block = {"account_sid": "${TWILIO_ACCOUNT_SID}", "auth_token": "${TWILIO_AUTH_TOKEN}",
             "public_base_url": "${VOICE_PUBLIC_BASE_URL}",
             "conversation_secret": "${VOICE_CONVERSATION_SECRET}"}
    with pytest.raises(ProductionModeError, match="twilio_voice uses the local Twilio account"):
        VoiceSettings.from_credentials(block, env)
    VoiceSettings.from_credentials(block, {**env, "ASSISTANT_MODE": "development"})


def test_the_sms_test_identity_header_is_refused(tmp_path: Path) -> None:
    block = {"account_sid": "AC" + "1" * 32, "auth_token": "a", "from_number": "+46701740605",
             "public_base_url": "https://sms.example.se", "conversation_secret": "c" * 16,
             "store_path": str(tmp_path / "sms.db"), "test_identity_header": True}
    with pytest.raises(ProductionModeError, match="test_identity_header"):
        SmsSettings.from_credentials(block, PRODUCTION)


def test_rasa_does_not_start_without_the_rest_channels_token(tmp_path: Path) -> None:
    launcher = _launcher()
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"rest": None}))
    env = {**PRODUCTION, "RASA_JWT_SECRET": "s" * 48}
    with pytest.raises(launcher.LaunchError, match="REST_CHANNEL_TOKEN"):
        launcher.rasa_arguments(["--credentials", str(credentials)], env)
    assert launcher.rasa_arguments(["--credentials", str(credentials)],
                                   {**env, "REST_CHANNEL_TOKEN": "r" * 32})


def test_compose_runs_in_production_mode_without_a_simulator_default() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text())
    for anchor in ("x-assistant-env", "x-casebackend-env"):
        assert compose[anchor]["ASSISTANT_MODE"] == "production"
    text = (ROOT / "deploy" / "compose.yml").read_text()
    assert ":-simulator" not in text and "IDENTITY_PROVIDER: simulator" not in text
    assert compose["services"]["actions"]["environment"]["IDENTITY_PROVIDER"] == "bankid"

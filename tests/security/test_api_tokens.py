"""Attack: reach Rasa's HTTP API on a public replica, or with a token that never expires.

The replicas that face the internet started Rasa with ``--enable-api``; and Rasa 3.6
(sanic-jwt) checks ``exp`` only when a token has one, so a token signed once without
``exp``, or with ``exp`` years ahead, opened the API for good. The replicas' commands must
leave the API off, and a Rasa started by the launcher must answer 401 to every token without
``exp``/``iat`` or with a lifetime over an hour, while a short-lived token still works."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import jwt
import pytest
import rasa.server
import rasa.utils.io
import yaml
from sanic import Sanic

from deploy.settings import replica_argv
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "j" * 48


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def launcher_arguments(command: list[str]) -> list[str]:
    """What the launcher hands Rasa for a `python scripts/rasa_server.py ...` command."""
    index = next(i for i, part in enumerate(command) if part.endswith("rasa_server.py"))
    passed = list(command[index + 1:])
    passed[passed.index("--credentials") + 1] = str(ROOT / "deploy/docker/credentials.yml")
    arguments: list[str] = script("rasa_server").rasa_arguments(passed,
                                                                {"RASA_JWT_SECRET": SECRET})
    return arguments


def test_the_public_replicas_start_without_the_api(tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "deploy/compose.yml").read_text())
    dockerfile = (ROOT / "deploy/docker/assistant.Dockerfile").read_text()
    cmd = re.search(r'^CMD (\[.*?\])\s*$', dockerfile.replace("\\\n", " "), re.M | re.S)
    assert cmd is not None
    commands = [compose["x-rasa"]["command"], yaml.safe_load(cmd.group(1)),
                [str(part) for part in replica_argv("0.0.0.0", 5005, tmp_path / "m.tar.gz",
                                                    ROOT / "deploy" / "docker")]]
    for command in commands:
        arguments = launcher_arguments(command)
        assert "--enable-api" not in arguments
        assert not any(argument.startswith("--jwt-") for argument in arguments)
        assert not any(SECRET in argument for argument in arguments)


def token(**claims: Any) -> str:
    return jwt.encode({"user": {"username": "operator", "role": "admin"}, **claims}, SECRET,
                      algorithm="HS256")


def status_codes(tokens: dict[str, str]) -> dict[str, int]:
    app = rasa.server.create_app(agent=None, cors_origins=None, jwt_secret=SECRET,
                                 jwt_method="HS256")
    Sanic.test_mode = True
    codes: dict[str, int] = {}

    async def main() -> None:
        port = free_port()
        server: Any = await app.create_server(host="127.0.0.1", port=port,
                                              return_asyncio_server=True, access_log=False)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session:
                for name, value in tokens.items():
                    async with session.get(f"http://127.0.0.1:{port}/status", headers={
                            "Authorization": f"Bearer {value}"}) as reply:
                        codes[name] = reply.status
        finally:
            server.close()
            await server.wait_closed()
    asyncio.run(main())
    return codes


@pytest.fixture
def launched_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa as the launcher prepares it; undone afterwards."""
    monkeypatch.setattr(rasa.server, "Initialize", rasa.server.Initialize)
    monkeypatch.setattr(rasa.utils.io, "configure_colored_logging",
                        rasa.utils.io.configure_colored_logging)
    script("rasa_server").prepare_rasa()


NOW = int(time.time())
LONG_LIVED = {
    "no exp": token(iat=NOW),
    "no exp, no iat": token(),
    "exp in ten years": token(iat=NOW, exp=NOW + 10 * 365 * 86400),
    "exp in two hours": token(iat=NOW, exp=NOW + 7200),
    "no iat": token(exp=NOW + 600),
    "iat a day ahead, to look short": token(iat=NOW + 86400 - 600, exp=NOW + 86400),
    "exp as text": token(iat=NOW, exp=str(NOW + 600)),
}


def test_tokens_without_exp_or_with_a_long_life_are_refused(launched_rasa: None) -> None:
    codes = status_codes({**LONG_LIVED, "fifteen minutes": token(iat=NOW, exp=NOW + 900)})
    # 409: past authentication, then "no model loaded" (no agent here).
    assert codes.pop("fifteen minutes") == 409
    assert codes == {name: 401 for name in LONG_LIVED}


def test_the_attack_is_real_without_the_launcher() -> None:
    """Rasa on its own lets a token without exp through: the check above is ours."""
    assert status_codes({"no exp": token(iat=NOW)}) == {"no exp": 409}


def test_api_token_makes_only_short_lived_tokens() -> None:
    tokens = script("api_token")
    decoded = jwt.decode(tokens.make_token(SECRET, "operator", "admin", 15), SECRET,
                         algorithms=["HS256"])
    assert decoded["exp"] - decoded["iat"] == 900
    with pytest.raises(ValueError):
        tokens.make_token(SECRET, "operator", "admin", 61)
    with pytest.raises(ValueError):
        tokens.make_token(SECRET, "operator", "admin", 0)

"""The container files (deploy/compose.yml, deploy/docker/) are complete and consistent: no
container engine runs here, so what `docker compose config` and a build would catch first is
checked from the files: every Dockerfile, copied or mounted file and variable exists, the
containers' Rasa configuration matches the project's, and nginx accepts its configuration."""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKER = DEPLOY / "docker"
COMPOSE = DEPLOY / "compose.yml"
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}")


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def env_example() -> dict[str, str]:
    values = {}
    for line in (DOCKER / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_every_build_has_its_dockerfile_and_every_mount_its_file() -> None:
    services = compose()["services"]
    builds = {service["build"]["dockerfile"] for service in services.values()
              if "build" in service}
    assert builds == {"deploy/docker/assistant.Dockerfile", "deploy/docker/casebackend.Dockerfile"}
    for service in services.values():
        if "build" in service:
            assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), volume
            else:
                assert source in compose()["volumes"], volume


def test_every_variable_is_documented_and_every_documented_one_used() -> None:
    text = COMPOSE.read_text()
    used = {match.group(1) for match in VARIABLE.finditer(text)}
    required = {match.group(1) for match in VARIABLE.finditer(text)
                if not (match.group(2) or "").startswith((":-", "-"))}
    documented = set(env_example())
    assert required <= documented, required - documented
    assert documented <= used, documented - used
    assert all(not value for name, value in env_example().items()
               if name not in {"IDENTITY_PROVIDER", "PUBLIC_PORT"})  # no secret in the example


def _project_text() -> str:
    sources = [*ROOT.glob("actions/**/*.py"), *ROOT.glob("common/**/*.py"),
               *ROOT.glob("connectors/**/*.py"),
               *ROOT.glob("bot/**/*.py"), *ROOT.glob("scripts/*.py"),
               *ROOT.glob("casebackend/src/**/*.py")]
    return "\n".join(path.read_text() for path in sources)


def test_every_environment_name_given_to_a_container_is_read_by_the_code() -> None:
    text = _project_text()
    document = compose()
    names: set[str] = set()
    for anchor in ("x-assistant-env", "x-casebackend-env"):
        names |= set(document[anchor])
    names -= {"TZ"}
    assert "TRACKER_DB_PASSWORD" in names  # read by Rasa from deploy/docker/endpoints.yml
    names -= {"TRACKER_DB_PASSWORD"}
    # The channels read their "${NAME}" settings from the environment themselves.
    channels = (DOCKER / "credentials.yml").read_text()
    unread = sorted(name for name in names
                    if f'"{name}"' not in text and f"${{{name}}}" not in channels)
    assert unread == []


def _copied(dockerfile: Path) -> list[str]:
    sources = []
    for line in dockerfile.read_text().replace("\\\n", " ").splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not any(part.startswith("--from") for part in parts):
            sources += [part for part in parts[1:-1] if not part.startswith("--")]
    return sources


@pytest.mark.parametrize("name", ["assistant", "casebackend"])
def test_what_a_dockerfile_copies_exists_and_is_in_its_build_context(name: str) -> None:
    dockerfile = DOCKER / f"{name}.Dockerfile"
    allowed = [line[1:] for line in (DOCKER / f"{name}.Dockerfile.dockerignore").read_text()
               .splitlines() if line.startswith("!")]
    sources = _copied(dockerfile)
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        pattern = source.rstrip("/")
        assert any(fnmatch.fnmatch(pattern, rule) or fnmatch.fnmatch(pattern + "/x", rule)
                   for rule in allowed), f"{source} is excluded by the .dockerignore"


def test_the_commands_name_files_that_are_in_the_image() -> None:
    services = compose()["services"]
    copied = " ".join(_copied(DOCKER / "assistant.Dockerfile"))
    for name in ("rasa-1", "rasa-2"):
        command = services[name]["command"]
        for path in (command[1], *[c for c in command if c.startswith("deploy/")]):
            assert (ROOT / path).is_file() and (path in copied or
                                                 path.rsplit("/", 1)[0] + "/" in copied), path
        assert "--debug" not in command
    assert services["actions"]["command"][:3] == ["python", "-m", "actions.server"]
    assert services["casebackend-migrate"]["command"] == ["alembic", "upgrade", "head"]


def test_the_containers_rasa_configuration_matches_the_projects() -> None:
    project = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    containers = yaml.safe_load((DOCKER / "endpoints.yml").read_text())
    assert containers["nlg"] == {key: value for key, value in project["nlg"].items()}
    assert containers["tracker_store"]["type"] == project["tracker_store"]["type"]
    assert containers["tracker_store"]["dialect"] == "postgresql"
    assert containers["lock_store"]["type"] == "bot.lock_store.SharedTicketLockStore"
    module, _, cls = containers["lock_store"]["type"].rpartition(".")
    assert hasattr(importlib.import_module(module), cls)
    ours = yaml.safe_load((DOCKER / "credentials.yml").read_text())
    theirs = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    assert set(ours) == set(theirs)
    webchat = ours["connectors.webchat.WebChatInput"]
    assert webchat["test_login"] is False and webchat["demo_pages"] is False


def test_the_containers_web_chat_origins_become_rasas_cors_list() -> None:
    spec = importlib.util.spec_from_file_location("rasa_server",
                                                  ROOT / "scripts" / "rasa_server.py")
    assert spec is not None and spec.loader is not None
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    assert launcher.cors_origins(DOCKER / "credentials.yml") == [
        "https://www.forsakringskassan.se"]


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if nginx is None:
        pytest.fail("nginx is not installed: `make setup` installs it")
    text = (DOCKER / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    # The replicas' names resolve only inside compose; nginx -t resolves them.
    local = (text.replace("rasa-1:5005", "127.0.0.1:5005").replace("rasa-2:5005", "127.0.0.1:5006")
             .replace("user nginx;", "" if os.geteuid() != 0 else "user nobody nogroup;")
             .replace("pid /tmp/nginx.pid;", f"pid {tmp_path / 'nginx.pid'};")
             .replace("/dev/stdout", str(tmp_path / "access.log"))
             .replace("/dev/stderr", str(tmp_path / "error.log")))
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(local)
    result = subprocess.run([nginx, "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"),
                             "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def _compose_command() -> list[str] | None:
    """`docker compose` (v2) if the plugin is there, else Debian's docker-compose 1.29."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 timeout=30, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_config_accepts_the_file_and_refuses_a_missing_secret(tmp_path: Path) -> None:
    command = _compose_command()
    if command is None:
        pytest.fail("neither `docker compose` nor docker-compose: `make setup` installs it")
    compose_file = COMPOSE
    if command[-1].endswith("docker-compose"):  # 1.29 does not know the top-level `name`
        compose_file = tmp_path / "compose.yml"
        compose_file.write_text("".join(line for line in COMPOSE.read_text().splitlines(True)
                                        if not line.startswith("name:")))
    values = {name: value or "x" * 32 for name, value in env_example().items()}

    def config(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
        env_file = tmp_path / ".env"
        env_file.write_text("".join(f"{name}={value}\n" for name, value in environment.items()))
        return subprocess.run([*command, "-f", str(compose_file), "--project-directory",
                               str(DEPLOY), "--env-file", str(env_file), "config", "--quiet"],
                              capture_output=True, text=True, timeout=60, check=False,
                              env={"PATH": os.environ.get("PATH", "")})

    result = config(values)
    assert result.returncode == 0, result.stderr
    missing = config({name: value for name, value in values.items() if name != "RASA_JWT_SECRET"})
    assert missing.returncode != 0 and "RASA_JWT_SECRET" in missing.stderr

"""The configuration the scaled-out stack writes for its processes: Rasa's endpoints.yml (the
tracker store on the stack's database, the shared lock store, the action servers behind the
balancer), its credentials.yml (bot/credentials.yml with the stack's files and overrides) and
nginx's prefix directory."""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from deploy.balancer import BalancerLayout, render_config
from deploy.settings import NGINX_USER, ROOT
from deploy.targets import PostgresTarget

# Channel settings that name files: each stack keeps its own (the replicas share them).
_PATH_KEYS = ("store_path", "sms_store_path")
# Rasa's own `type: redis` lock store is not safe across replicas (see bot/lock_store.py).
LOCK_STORE = "bot.lock_store.SharedTicketLockStore"
_DATABASE_KEYS = ("type", "dialect", "url", "host", "port", "db", "username", "password",
                  "login_db", "query")


class _QuotingDumper(yaml.SafeDumper):
    """Quotes "${VAR}" values: Rasa expands only unquoted ones, and the channels read these
    themselves (unset: the channel is off)."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.nodes.ScalarNode:
    style = '"' if "${" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_QuotingDumper.add_representer(str, _represent_text)


def _deep_update(base: dict[str, Any], overrides: Mapping[str, Mapping[str, Any]]) -> None:
    for key, block in overrides.items():
        current = base.get(key)
        base[key] = {**(current if isinstance(current, dict) else {}), **block}


def rasa_endpoints(actions_url: str, database: PostgresTarget) -> dict[str, Any]:
    endpoints: dict[str, Any] = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    endpoints["action_endpoint"] = {"url": f"{actions_url}/webhook"}
    # The tracker store class and its options as configured (e.g. the bounded store),
    # on this stack's database.
    configured = endpoints.get("tracker_store") or {}
    block = database.tracker_store()
    if str(configured.get("type", "SQL")).lower() != "sql":
        block.update({key: value for key, value in configured.items()
                      if key not in _DATABASE_KEYS}, type=configured["type"])
    endpoints["tracker_store"] = block
    endpoints["lock_store"] = {"type": LOCK_STORE}
    return endpoints


def rasa_credentials(workdir: Path,
                     overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    credentials: dict[str, Any] = yaml.safe_load(
        (ROOT / "bot" / "credentials.yml").read_text())
    for block in credentials.values():
        for key in _PATH_KEYS:
            if isinstance(block, dict) and key in block:
                block[key] = str(workdir / Path(str(block[key])).name)
    _deep_update(credentials, overrides)
    return credentials


def write_rasa_configuration(workdir: Path, endpoints: Mapping[str, Any],
                             credentials: Mapping[str, Any]) -> None:
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(dict(endpoints)))
    (workdir / "credentials.yml").write_text(
        yaml.dump(dict(credentials), Dumper=_QuotingDumper))


def write_nginx_prefix(prefix: Path, layout: BalancerLayout) -> None:
    for folder in ("logs", "temp"):
        (prefix / folder).mkdir(exist_ok=True)
    (prefix / "nginx.conf").write_text(render_config(layout))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam(NGINX_USER)
        for path in (prefix, prefix / "logs", prefix / "temp"):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
    prefix.chmod(0o755)

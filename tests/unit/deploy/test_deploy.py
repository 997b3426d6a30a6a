"""The scale-out launcher's pure parts: URLs, generated Rasa configuration, nginx configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from common.service_credentials import ServiceCredentials
from deploy.balancer import BalancerLayout, render_config
from deploy.configuration import LOCK_STORE
from deploy.settings import Secrets, StackSettings
from deploy.stack import ScaleOutStack
from deploy.targets import PostgresTarget, RedisTarget, TargetError

LAYOUT = BalancerLayout(host="127.0.0.1", assistant_port=8080, actions_port=8081,
                        backends_port=8082, replicas=(9001, 9002), action_servers=(9101, 9102),
                        backends=(9201, 9202))


def test_postgres_url_becomes_every_process_configuration() -> None:
    target = PostgresTarget.from_url("postgresql://app:s%40cret@db.local:5433/mina_scaleout")
    assert (target.host, target.port, target.user, target.password, target.database) == (
        "db.local", 5433, "app", "s@cret", "mina_scaleout")
    assert target.asyncpg_url() == "postgresql+asyncpg://app:s%40cret@db.local:5433/mina_scaleout"
    assert target.dsn("postgres") == ("host=db.local port=5433 user=app dbname=postgres "
                                      "password=s@cret")
    assert target.tracker_store() == {"type": "SQL", "dialect": "postgresql", "url": "db.local",
                                      "port": 5433, "db": "mina_scaleout", "username": "app",
                                      "password": "s@cret"}


@pytest.mark.parametrize("url", ["mysql://x@h/db", "postgresql://h:5432/", "postgresql://h/a-b"])
def test_unusable_postgres_urls_are_refused(url: str) -> None:
    with pytest.raises(TargetError):
        PostgresTarget.from_url(url)


def test_redis_url() -> None:
    assert RedisTarget.from_url("redis://127.0.0.1:6380/3").url == "redis://127.0.0.1:6380/3"
    with pytest.raises(TargetError):
        RedisTarget.from_url("redis://127.0.0.1:6379/x")


def make_stack(tmp_path: Path) -> ScaleOutStack:
    return ScaleOutStack(StackSettings(
        database_url="postgresql://postgres@127.0.0.1:5432/mina_unit", workdir=tmp_path,
        secrets=Secrets(ServiceCredentials.generate(), "key", "secret"),
        credentials={"connectors.sms.TwilioSmsInput": {"account_sid": "AC1"}}))


def test_replicas_share_the_database_the_lock_store_and_the_action_servers(
        tmp_path: Path) -> None:
    stack = make_stack(tmp_path)
    try:
        endpoints = stack.endpoints()
        assert endpoints["lock_store"] == {"type": LOCK_STORE}
        assert endpoints["action_endpoint"]["url"] == f"{stack.actions_url}/webhook"
        store = endpoints["tracker_store"]
        # The configured store class and its options, on the stack's database.
        assert store["dialect"] == "postgresql" and store["db"] == "mina_unit"
        configured = yaml.safe_load(Path("bot/endpoints.yml").read_text())["tracker_store"]
        assert store["type"] == configured["type"]
        assert "nlg" in endpoints
    finally:
        stack.stop()


def test_channel_files_move_to_the_stack_and_env_references_stay_quoted(
        tmp_path: Path) -> None:
    stack = make_stack(tmp_path)
    try:
        credentials = stack.credentials()
        sms = credentials["connectors.sms.TwilioSmsInput"]
        assert sms["account_sid"] == "AC1"  # laid over bot/credentials.yml
        assert sms["store_path"] == str(tmp_path / "sms.db")
        stack._write_configuration()
        written = (tmp_path / "credentials.yml").read_text()
        # Rasa expands unquoted ${...} itself and fails when unset; quoted, the channel reads it.
        assert 'auth_token: "${TWILIO_AUTH_TOKEN}"' in written
    finally:
        stack.stop()


def test_nginx_balances_each_tier_with_passive_failover() -> None:
    config = render_config(LAYOUT)
    for name, ports in (("rasa_replicas", LAYOUT.replicas),
                        ("action_servers", LAYOUT.action_servers),
                        ("case_backends", LAYOUT.backends)):
        block = config.split(f"upstream {name} {{")[1].split("}")[0]
        for port in ports:
            assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" in block
        assert "keepalive_timeout 3s;" in block
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in config
    assert "non_idempotent" not in config  # a POST that reached a replica is never resent
    for port in (8080, 8081, 8082):
        assert f"listen 127.0.0.1:{port};" in config


def test_socketio_is_sticky_and_upgraded() -> None:
    config = render_config(LAYOUT)
    sticky = config.split("upstream rasa_socketio {")[1].split("}")[0]
    assert "hash $remote_addr consistent;" in sticky
    location = config.split("location /webhooks/webchat/socket.io/ {")[1].split("}")[0]
    assert "proxy_pass http://rasa_socketio;" in location
    assert "proxy_set_header Upgrade $http_upgrade;" in location
    assert "proxy_set_header Connection $connection_upgrade;" in location


def test_operations_routes_are_not_public() -> None:
    config = render_config(LAYOUT)
    assert "location ~ ^/(health|ready|metrics)$ {\n            return 404;" in config

"""The operator's view in deploy/: the alert rules pass promtool (syntax and their own unit
tests), the Grafana dashboard is well-formed, and every metric either of them names is one the
services register (read from the code's registries, not from a list kept here)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import actions.metrics  # noqa: F401  (registers the action server's metrics)
import bot.metrics  # noqa: F401  (registers the Rasa process's metrics)
import common.structured_logs  # noqa: F401  (registers the log scrubber's counter)
import connectors.base.ratelimit  # noqa: F401  (registers the rate limiters' counter)

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "assistant.json"
BACKEND_PY = ROOT / "casebackend" / ".venv" / "bin" / "python"
JOBS = {"rasa", "actions", "casebackend"}
PANEL_TYPES = {"row", "timeseries", "stat", "gauge", "table", "bargauge", "text"}
PROMQL_WORDS = {
    "sum", "avg", "min", "max", "count", "rate", "irate", "increase", "histogram_quantile",
    "clamp_min", "clamp_max", "by", "without", "on", "ignoring", "and", "or", "unless", "hour",
    "absent", "time", "bool", "group_left", "group_right", "offset", "topk", "bottomk"}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: `make setup` installs Debian's prometheus package")
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=PROMETHEUS, capture_output=True, text=True,
                          timeout=120)


def metric_names(expr: str) -> set[str]:
    """The series an expression selects: label matchers, groupings, ranges and functions out."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text))
    return {name for name in names if name not in PROMQL_WORDS and not name[0].isdigit()
            and not re.fullmatch(r"e\d*", name)}


def series_of(family: str, kind: str) -> set[str]:
    if kind == "counter":
        return {f"{family}_total"}
    if kind == "histogram":
        return {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
    return {family}


def registered() -> dict[str, str]:
    """Family name → type, of the Rasa process, the action server and the case backend."""
    families = {metric.name: metric.type for metric in REGISTRY.collect()}
    script = ("import json; from casebackend.metrics import RequestMetrics; "
              "print(json.dumps({m.name: m.type for m in RequestMetrics.create().registry"
              ".collect()}))")
    done = subprocess.run([str(BACKEND_PY), "-c", script], cwd=ROOT / "casebackend",
                          capture_output=True, text=True, check=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    families.update(json.loads(done.stdout))
    return families


def registered_series() -> set[str]:
    return {series for family, kind in registered().items()
            for series in series_of(family, kind)} | {"up"}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_exprs() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"]
            for target in panel.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_alert_rules_pass_promtool() -> None:
    checked = run_promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alerts_fire_on_their_unit_tests_series_and_only_then() -> None:
    tested = run_promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_prometheus_configuration_passes_promtool() -> None:
    checked = run_promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_operator_hears_about_what_matters() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    assert {"AssistantReplicaDown", "AssistantNoAnswers", "AssistantTurnErrors",
            "CaseBackendErrors", "BankIdFailures", "TwilioSignatureFailures"} <= names
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_every_metric_the_alerts_name_is_registered_by_the_code() -> None:
    known = registered_series()
    for rule in alert_rules():
        assert metric_names(rule["expr"]) <= known, (rule["alert"],
                                                     metric_names(rule["expr"]) - known)


def test_the_metric_name_reader_finds_series_and_skips_the_rest() -> None:
    expr = ('histogram_quantile(0.95, sum by (channel, le) (rate(assistant_turn_seconds_bucket'
            '{job="rasa", channel=~"twilio_.*"}[5m]))) / clamp_min(up, 1e-9) > 0.2')
    assert metric_names(expr) == {"assistant_turn_seconds_bucket", "up"}


def test_the_dashboard_is_a_well_formed_grafana_dashboard() -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and isinstance(board["schemaVersion"], int)
    assert board["schemaVersion"] >= 36
    panels = board["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    datasource = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" /
                                 "prometheus.yml").read_text())["datasources"][0]
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        assert panel["type"] in PANEL_TYPES, panel["title"]
        grid = panel["gridPos"]
        assert set(grid) == {"h", "w", "x", "y"}
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target["datasource"]["uid"] == datasource["uid"]


def test_the_dashboard_shows_only_registered_metrics_and_every_one_of_ours() -> None:
    known = registered_series()
    shown: set[str] = set()
    for expr in dashboard_exprs():
        names = metric_names(expr)
        assert names <= known, (expr, names - known)
        shown |= names
    ours = {family for family in registered()
            if family.startswith(("assistant_", "casebackend_"))}
    missing = {family for family in ours
               if not series_of(family, registered()[family]) & shown}
    assert missing == set(), "metrics the services expose but the dashboard does not show"


def test_the_jobs_queried_are_the_ones_scraped_on_the_services_ports() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == JOBS
    assert jobs["rasa"]["static_configs"][0]["targets"] == ["rasa-1:5005", "rasa-2:5005"]
    assert jobs["actions"]["dns_sd_configs"][0]["port"] == 5055
    assert jobs["casebackend"]["dns_sd_configs"][0]["port"] == 8100
    queried = set()
    for expr in [*dashboard_exprs(), *(rule["expr"] for rule in alert_rules())]:
        for match in re.finditer(r'job=~?"([^"]+)"', expr):
            queried |= set(match.group(1).split("|"))
    assert queried <= JOBS


def test_compose_starts_prometheus_and_grafana_with_these_files() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yml").read_text())["services"]
    mounts = {volume.split(":")[0] for name in ("prometheus", "grafana")
              for volume in services[name]["volumes"]}
    for path in ("./prometheus/prometheus.yml", "./prometheus/alerts.yml",
                 "./grafana/dashboards/assistant.json",
                 "./grafana/provisioning/datasources/prometheus.yml",
                 "./grafana/provisioning/dashboards/dashboards.yml"):
        assert path in mounts and (DEPLOY / path).is_file(), path
    assert "internal" in services["prometheus"]["networks"]
    assert services["prometheus"].get("ports") is None  # internal only
    assert all(port.startswith("127.0.0.1:") for port in services["grafana"]["ports"])

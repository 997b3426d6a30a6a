"""SMS-webhook latency against a bare Rasa REST turn, in the same run, on the same server.

Starts `rasa run` with the trained model and two channels, Rasa's REST channel and
``connectors.twilio_sms`` (its SQLite store and tracker in a temporary directory), then drives
the same questions through both: signed Twilio form posts answered in TwiML, and REST JSON
turns. Same model, same concurrency, same senders-per-channel pattern; the rounds alternate so
drift on a shared machine hits both. Writes benchmarks/results/sms_webhook.json.

    .venv/bin/python benchmarks/sms_webhook.py [--turns 200] [--concurrency 4]
                                               [--sequential-turns 100]

With ``--url`` it reuses a running server instead; that server's SMS channel must then be
configured with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_PUBLIC_BASE_URL as set here.
Only FAQ questions are asked (no action server needed); the case backend is not involved.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import yaml
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MODEL = ROOT / "models" / "current.tar.gz"
WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"
QUESTIONS = [
    "Vad kan jag göra på Mina sidor?",
    "Kan jag skicka bilagor digitalt?",
    "Vad är ett förmånsintyg?",
    "Hur får jag sms när något händer i mitt ärende?",
    "Använder ni kakor?",
    "Hej",
    "tack",
    "Jag har skyddad identitet, kan jag använda Mina sidor?",
]
SENDERS_PER_CHANNEL = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`rasa run` with the REST and SMS channels, in a temporary directory."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.public_base_url = "https://bench.example.se"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 240) -> None:
        endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
        endpoints["tracker_store"]["db"] = str(self.workdir / "tracker.db")
        endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{free_port()}/webhook"
        (self.workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
        credentials = {"rest": None, "connectors.twilio_sms.TwilioSmsInput": {
            "account_sid": self.account_sid, "auth_token": self.auth_token,
            "public_base_url": self.public_base_url, "from_number": "+46700000000",
            "conversation_secret": secrets.token_hex(16),
            "store_path": str(self.workdir / "sms.db"),
            # Nothing is sent later in this benchmark; a dead address makes sure of it.
            "api_base_url": f"http://127.0.0.1:{free_port()}"}}
        (self.workdir / "credentials.yml").write_text(yaml.safe_dump(credentials))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
               "TF_CPP_MIN_LOG_LEVEL": "2"}
        with (self.workdir / "rasa.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "rasa"), "run", "--model", str(MODEL),
                 "--endpoints", str(self.workdir / "endpoints.yml"),
                 "--credentials", str(self.workdir / "credentials.yml"),
                 "--interface", "127.0.0.1", "--port", str(self.port), "--enable-api"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rasa exited; see {self.workdir / 'rasa.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/status", timeout=2) as response:
                    if json.loads(response.read()).get("model_file"):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass
            time.sleep(1)
        raise RuntimeError("rasa did not start in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


Turn = Callable[[aiohttp.ClientSession, int], Awaitable[None]]


def rest_turn(base_url: str, run_id: str) -> Turn:
    async def turn(session: aiohttp.ClientSession, number: int) -> None:
        payload = {"sender": f"bench-{run_id}-{number % SENDERS_PER_CHANNEL}",
                   "message": QUESTIONS[number % len(QUESTIONS)]}
        async with session.post(f"{base_url}/webhooks/rest/webhook", json=payload) as reply:
            body = await reply.json()
            if reply.status != 200 or not body:
                raise RuntimeError(f"REST turn failed: {reply.status}")
    return turn


def sms_turn(base_url: str, public_base_url: str, account_sid: str, auth_token: str,
             run_id: str) -> Turn:
    validator = RequestValidator(auth_token)
    # Distinct numbers per run, so a reused server's conversations do not carry over.
    prefix = "+4673" + "".join(str(int(c, 16) % 10) for c in run_id[:4])

    async def turn(session: aiohttp.ClientSession, number: int) -> None:
        sid = "SM" + secrets.token_hex(16)
        params = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid,
                  "AccountSid": account_sid, "From": f"{prefix}{number % SENDERS_PER_CHANNEL:03d}",
                  "To": "+46700000000", "Body": QUESTIONS[number % len(QUESTIONS)],
                  "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01",
                  "FromCity": "", "FromZip": ""}
        signature = validator.compute_signature(public_base_url + WEBHOOK_PATH, params)
        async with session.post(f"{base_url}{WEBHOOK_PATH}", data=urlencode(params),
                                headers={"X-Twilio-Signature": signature, "Content-Type":
                                         "application/x-www-form-urlencoded"}) as reply:
            body = await reply.text()
            if reply.status != 200 or "<Message>" not in body:
                raise RuntimeError(f"SMS turn failed: {reply.status}")
    return turn


async def measure(turn: Turn, numbers: range, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue = list(numbers)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while queue:
            number = queue.pop(0)
            started = time.perf_counter()
            try:
                await turn(session, number)
            except (aiohttp.ClientError, RuntimeError, asyncio.TimeoutError):
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return latencies, errors


def summary(latencies: list[float], errors: int) -> dict[str, Any]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"turns": len(latencies), "errors": errors, "p50_ms": round(cuts[49], 1),
            "p95_ms": round(cuts[94], 1), "mean_ms": round(statistics.fmean(latencies), 1),
            "max_ms": round(max(latencies), 1)}


async def run(base_url: str, public_base_url: str, account_sid: str, auth_token: str,
              turns: int, concurrency: int, sequential_turns: int,
              rounds: int = 4) -> dict[str, Any]:
    run_id = secrets.token_hex(4)
    channels = {"rest": rest_turn(base_url, run_id),
                "sms_webhook": sms_turn(base_url, public_base_url, account_sid, auth_token,
                                        run_id)}
    for turn in channels.values():  # warm-up: sessions started, code paths loaded
        await measure(turn, range(SENDERS_PER_CHANNEL), concurrency)
    collected: dict[str, tuple[list[float], int]] = {name: ([], 0) for name in channels}
    per_round = max(turns // rounds, 1)
    started = time.perf_counter()
    for index in range(rounds):
        order = list(channels) if index % 2 == 0 else list(reversed(channels))
        for name in order:
            latencies, errors = await measure(
                channels[name], range(SENDERS_PER_CHANNEL + index * per_round,
                                      SENDERS_PER_CHANNEL + (index + 1) * per_round),
                concurrency)
            collected[name] = (collected[name][0] + latencies, collected[name][1] + errors)
    # One at a time as well: the channel's own cost without queueing effects.
    sequential: dict[str, tuple[list[float], int]] = {name: ([], 0) for name in channels}
    offset = SENDERS_PER_CHANNEL + rounds * per_round
    for index in range(2):
        for name in (list(channels) if index == 0 else list(reversed(channels))):
            latencies, errors = await measure(
                channels[name], range(offset + index * sequential_turns // 2,
                                      offset + (index + 1) * sequential_turns // 2), 1)
            sequential[name] = (sequential[name][0] + latencies,
                                sequential[name][1] + errors)
    seconds = time.perf_counter() - started
    loaded = {name: summary(*values) for name, values in collected.items()}
    alone = {name: summary(*values) for name, values in sequential.items()}
    return {
        **loaded,
        **ratios(loaded),
        "concurrency": concurrency,
        "turns_per_channel": per_round * rounds,
        "sequential": {**alone, **ratios(alone), "concurrency": 1,
                       "turns_per_channel": sequential_turns},
        "measured_seconds": round(seconds, 1),
    }


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """SMS over REST; above 1 the SMS webhook is slower."""
    rest, sms = results["rest"], results["sms_webhook"]
    return {f"ratio_{key}": round(sms[f"{key}_ms"] / rest[f"{key}_ms"], 3)
            for key in ("p50", "p95", "mean")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="turns per channel")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sequential-turns", type=int, default=100,
                        help="turns per channel one at a time, after the concurrent ones")
    parser.add_argument("--url", help="reuse a running server instead of starting one")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    overall = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        if args.url:
            base_url = args.url.rstrip("/")
            public, sid, token = (os.environ.get(name, "") for name in (
                "SMS_PUBLIC_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"))
            if not (public and sid and token):
                parser.error("--url needs SMS_PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID and "
                             "TWILIO_AUTH_TOKEN as the server has them")
        else:
            server = Server(Path(tmp))
            server.start()
            base_url, public = server.url, server.public_base_url
            sid, token = server.account_sid, server.auth_token
        try:
            result = asyncio.run(run(base_url, public, sid, token, args.turns,
                                     args.concurrency, args.sequential_turns))
        finally:
            if server is not None:
                server.stop()
    result.update({
        "model": str(MODEL.relative_to(ROOT)),
        "tracker_store": "SQLite (temporary file)",
        "total_seconds": round(time.perf_counter() - overall, 1),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": "client-side wall clock on loopback; REST and SMS turns alternate in rounds "
                "on the same server; a shared 2-core machine adds noise",
    })
    (RESULTS / "sms_webhook.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    errors = sum(part[name]["errors"] for part in (result, result["sequential"])
                 for name in ("rest", "sms_webhook"))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

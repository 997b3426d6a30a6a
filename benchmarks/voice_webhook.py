"""Voice-webhook turn latency at 20 concurrent calls, against a bare Rasa REST turn on the same
model, on the same server, in the same run.

Starts `rasa run` with Rasa's REST channel and ``connectors.twilio_voice`` (store and tracker
in a temporary directory). A voice "turn" is one signed Gather post with a SpeechResult,
answered in TwiML (following a "one moment" Redirect if there is one, so a slow answer counts
in full); a REST turn is the same question as JSON. Each of the 20 concurrent calls (and 20
REST senders) asks the questions in order; the channels alternate in rounds so drift on the
shared machine hits both. Writes benchmarks/results/voice_webhook.json.

    .venv/bin/python benchmarks/voice_webhook.py [--calls 20] [--turns-per-call 10]
                                                 [--rounds 2]

Only FAQ questions (no action server, no case backend).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import yaml
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sms_webhook import MODEL, QUESTIONS, ROOT, free_port, summary

RESULTS = ROOT / "benchmarks" / "results"
PREFIX = "/webhooks/twilio_voice"
PUBLIC = "https://bench.example.se"


class Server:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 240) -> None:
        endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
        endpoints["tracker_store"]["db"] = str(self.workdir / "tracker.db")
        endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{free_port()}/webhook"
        (self.workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
        credentials = {"rest": None, "connectors.twilio_voice.TwilioVoiceInput": {
            "account_sid": self.account_sid, "auth_token": self.auth_token,
            "public_base_url": PUBLIC, "conversation_secret": secrets.token_hex(16),
            "store_path": str(self.workdir / "voice.db")}}
        (self.workdir / "credentials.yml").write_text(yaml.safe_dump(credentials))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
               "TF_CPP_MIN_LOG_LEVEL": "2"}
        with (self.workdir / "rasa.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "rasa"), "run", "--model", str(MODEL),
                 "--endpoints", str(self.workdir / "endpoints.yml"),
                 "--credentials", str(self.workdir / "credentials.yml"),
                 "--interface", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rasa exited; see {self.workdir / 'rasa.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                time.sleep(1)
        raise RuntimeError("rasa did not start in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


class VoiceCall:
    def __init__(self, server: Server, session: aiohttp.ClientSession, caller: str) -> None:
        self.server, self.session = server, session
        self.validator = RequestValidator(server.auth_token)
        self.call_sid = "CA" + secrets.token_hex(16)
        self.caller = caller
        self.next_path = f"{PREFIX}/incoming"

    async def post(self, **extra: str) -> str:
        params = {"AccountSid": self.server.account_sid, "CallSid": self.call_sid,
                  "From": self.caller, "To": "+46101234567", "CallStatus": "in-progress",
                  "CallerCity": "", "ApiVersion": "2010-04-01", **extra}
        path = self.next_path
        signature = self.validator.compute_signature(PUBLIC + path, params)
        async with self.session.post(self.server.url + path, data=urlencode(params),
                                     headers={"X-Twilio-Signature": signature, "Content-Type":
                                              "application/x-www-form-urlencoded"}) as reply:
            body = await reply.text()
        if reply.status != 200 or "<Say" not in body:
            raise RuntimeError(f"voice turn failed: {reply.status}")
        marker = 'action="' if "<Gather" in body else "<Redirect"
        start = body.index(marker) + len(marker)
        if marker == "<Redirect":
            start = body.index(">", start) + 1
        end = body.index('"' if marker == 'action="' else "<", start)
        self.next_path = body[start:end].replace("&amp;", "&")[len(PUBLIC):]
        return body

    async def turn(self, speech: str) -> None:
        body = await self.post(SpeechResult=speech, Confidence="0.9")
        while "<Redirect" in body:  # a slow answer: Twilio comes back to collect it
            body = await self.post()


async def voice_round(server: Server, calls: int, turns: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0

    async def one_call(index: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors
        call = VoiceCall(server, session, f"+4673{secrets.randbelow(10**7):07d}")
        await call.post()  # the greeting, not measured
        for number in range(turns):
            started = time.perf_counter()
            try:
                await call.turn(QUESTIONS[(index + number) % len(QUESTIONS)])
            except (aiohttp.ClientError, RuntimeError, asyncio.TimeoutError, ValueError):
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(one_call(index, session) for index in range(calls)))
    return latencies, errors


async def rest_round(server: Server, calls: int, turns: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    run_id = secrets.token_hex(4)

    async def one_sender(index: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors
        sender = f"bench-{run_id}-{index}"
        for number in range(turns):
            payload = {"sender": sender, "message": QUESTIONS[(index + number) % len(QUESTIONS)]}
            started = time.perf_counter()
            try:
                async with session.post(f"{server.url}/webhooks/rest/webhook",
                                        json=payload) as reply:
                    if reply.status != 200 or not await reply.json():
                        raise RuntimeError("REST turn failed")
            except (aiohttp.ClientError, RuntimeError, asyncio.TimeoutError):
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(one_sender(index, session) for index in range(calls)))
    return latencies, errors


async def run(server: Server, calls: int, turns: int, rounds: int) -> dict[str, Any]:
    await voice_round(server, calls, 2)  # warm-up
    await rest_round(server, calls, 2)
    collected: dict[str, tuple[list[float], int]] = {"rest": ([], 0), "voice_webhook": ([], 0)}
    rounds_of = {"rest": rest_round, "voice_webhook": voice_round}
    started = time.perf_counter()
    for index in range(rounds):
        order = list(rounds_of) if index % 2 == 0 else list(reversed(rounds_of))
        for name in order:
            latencies, errors = await rounds_of[name](server, calls, turns)
            collected[name] = (collected[name][0] + latencies, collected[name][1] + errors)
    loaded = {name: summary(*values) for name, values in collected.items()}
    rest, voice = loaded["rest"], loaded["voice_webhook"]
    return {**loaded,
            **{f"ratio_{key}": round(voice[f"{key}_ms"] / rest[f"{key}_ms"], 3)
               for key in ("p50", "p95", "mean")},
            "concurrent_calls": calls, "turns_per_call": turns, "rounds": rounds,
            "measured_seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--turns-per-call", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    overall = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        server.start()
        try:
            result = asyncio.run(run(server, args.calls, args.turns_per_call, args.rounds))
        finally:
            server.stop()
    result.update({
        "model": str(MODEL.relative_to(ROOT)), "tracker_store": "SQLite (temporary file)",
        "total_seconds": round(time.perf_counter() - overall, 1), "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": "client-side wall clock on loopback; ratio = voice / REST; voice turns "
                "include any one-moment Redirect; a shared 2-core machine adds noise",
    })
    (RESULTS / "voice_webhook.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["rest"]["errors"] == result["voice_webhook"]["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""CPU the Rasa process spends per turn, per channel: where a channel's extra latency comes from.

Latency ratios say that a channel is slower; this says by how many milliseconds of the server's
own CPU (user + system time of the Rasa process from /proc, all its threads) per answered turn,
which the client's share of a 2-core machine does not blur. It starts one server as the suite
does (FAQ questions, no case backend needed), warms it up, then runs 20 conversations back to
back per channel for the given time, one channel after the other.

    .venv/bin/python benchmarks/cpu_per_turn.py [--seconds 20] [--clients 20] \\
        [--channels bare_rest rest sms voice]

Prints one JSON line per channel: turns/s, client and server CPU ms per turn. Attach py-spy
(`py-spy record -p <pid> -f raw`) to the printed pid to see where the server's time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness.channels import Channel, all_channels, http_session
from benchmarks.harness.questions import QUESTIONS
from benchmarks.harness.server import RasaServer, TrackerStore, running

CLOCK_TICKS = 100  # /proc/<pid>/stat counts in USER_HZ


def server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


async def back_to_back(channel: Channel, clients: int, seconds: float) -> int:
    async def client(index: int) -> int:
        conversation = await channel.open()
        asked = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            question = QUESTIONS[(index + asked) % len(QUESTIONS)]
            texts = await conversation.ask(question.text)
            if not question.answered_by(texts):
                raise RuntimeError(f"{channel.name}: wrong answer to {question.text!r}")
            asked += 1
        await conversation.close()
        return asked
    return sum(await asyncio.gather(*(client(index) for index in range(clients))))


async def measure(server: RasaServer, names: list[str], clients: int, seconds: float) -> None:
    assert server.rasa is not None and server.rasa.pid is not None
    pid = server.rasa.pid
    print(json.dumps({"rasa_pid": pid}), flush=True)
    async with http_session() as http:
        bubbles = {question.text: 1 for question in QUESTIONS}
        channels = all_channels(server.url, http, server.account, bubbles)
        await back_to_back(channels[names[0]], clients, min(seconds, 5.0))  # warm-up
        for name in names:
            server_before, client_before = server_cpu_seconds(pid), time.process_time()
            started = time.monotonic()
            turns = await back_to_back(channels[name], clients, seconds)
            elapsed = time.monotonic() - started
            print(json.dumps({
                "channel": name, "turns": turns, "turns_per_s": round(turns / elapsed, 1),
                "server_cpu_ms_per_turn": round(
                    (server_cpu_seconds(pid) - server_before) / turns * 1000, 2),
                "client_cpu_ms_per_turn": round(
                    (time.process_time() - client_before) / turns * 1000, 2)}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--channels", nargs="+", default=["bare_rest", "rest", "sms", "voice"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cpu-per-turn-") as tmp:
        workdir = Path(tmp)
        server = RasaServer(workdir, TrackerStore("sqlite", workdir / "tracker.db"),
                            with_action_server=False)
        with running(server):
            asyncio.run(measure(server, args.channels, args.clients, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two replicas against one: saturation throughput through one replica's own address (the
other replica idle) and through the load balancer in front of all of them, in alternating
slices of the same run, on the project's REST channel.

``measure_scaling`` takes the addresses and measures; it does not care what runs behind them.
``scaling_with_stack`` starts the scaled-out stack (deploy/stack.py) to get them.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import TypedDict

from benchmarks.harness.channels import RestChannel, http_session
from benchmarks.harness.loads import Collected, Saturation, closed_loop, saturation_rounds
from benchmarks.harness.server import Memory, memory
from benchmarks.harness.stats import Summary, ratio

TARGET_RATIO = 1.7


class Scaling(TypedDict):
    status: str  # "measured" | "not run"
    reason: str
    replicas: int
    single_url: str
    balanced_url: str
    single: Saturation | None
    balanced: Saturation | None
    ratio: float | None  # balanced turns/s over one replica's
    target_ratio: float
    # Two turns per client on each address first, untimed (a fresh replica's first inference
    # is slow); their failures are kept here, not hidden.
    warmup: Summary | None
    memory: dict[str, Memory]  # each replica's, at the end
    balancer_errors: list[str]  # the end of nginx's error log when a turn failed


async def measure_scaling(single_url: str, balanced_url: str, replicas: int,
                          clients: int = 20, seconds: float = 30.0, rounds: int = 2,
                          webhook: str = "rest") -> Scaling:
    """Saturation (``clients`` back to back, ``seconds`` each in ``rounds`` alternating
    slices) at one replica's URL and at the balancer's URL, on the REST webhook."""
    async with http_session() as http:
        single = RestChannel("one_replica", single_url.rstrip("/"), http, webhook=webhook)
        balanced = RestChannel(f"{replicas}_replicas", balanced_url.rstrip("/"), http,
                               webhook=webhook)
        warmup = Collected()
        for channel in (single, balanced):
            warmup.add(*await closed_loop(channel, clients, 2.0))
        results = await saturation_rounds([single, balanced], clients, seconds, rounds)
    one, many = results[single.name], results[balanced.name]
    return Scaling(status="measured", reason="", replicas=replicas, single_url=single_url,
                   balanced_url=balanced_url, single=one, balanced=many,
                   ratio=ratio(many["summary"]["turns_per_s"], one["summary"]["turns_per_s"]),
                   target_ratio=TARGET_RATIO, warmup=warmup.summary(), memory={},
                   balancer_errors=[])


def not_run(reason: str) -> Scaling:
    return Scaling(status="not run", reason=reason, replicas=0, single_url="", balanced_url="",
                   single=None, balanced=None, ratio=None, target_ratio=TARGET_RATIO,
                   warmup=None, memory={}, balancer_errors=[])


def scaling_with_stack(model: Path, replicas: int, clients: int, seconds: float,
                       rounds: int) -> Scaling:
    """Starts deploy/stack.py's ScaleOutStack (``replicas`` Rasa replicas, action servers and
    case backends on a fresh PostgreSQL database and Redis, nginx in front), measures one
    replica's own address against the balancer's, and stops it (the database is dropped)."""
    try:
        from deploy.settings import StackSettings
        from deploy.stack import ScaleOutStack
    except ImportError as error:
        return not_run(f"deploy/stack.py cannot be imported ({error}); measure_scaling("
                       "single_url, balanced_url, replicas) takes any two addresses "
                       "(benchmarks/run.py --scaling-urls SINGLE BALANCED)")
    run = secrets.token_hex(4)
    settings = StackSettings(
        replicas=replicas, model=model, drop_database=True, redis_prefix=f"bench-{run}:",
        database_url=f"postgresql://postgres@127.0.0.1:5432/bench_scaleout_{run}")
    with ScaleOutStack(settings) as stack:
        result = asyncio.run(measure_scaling(stack.replicas[0].url, stack.url, replicas,
                                             clients, seconds, rounds))
        result["memory"] = {replica.name: memory(replica.pid) for replica in stack.replicas
                            if replica.pid is not None and replica.running}
        if failures(result):
            log = stack.nginx_prefix / "logs" / "error.log"
            if log.exists():
                result["balancer_errors"] = log.read_text(errors="replace").splitlines()[-20:]
    return result


def failures(result: Scaling) -> int:
    """Failed turns: warm-up, one replica, balancer."""
    parts = (result["warmup"], *(part["summary"] if part is not None else None
                                 for part in (result["single"], result["balanced"])))
    return sum(part["failed"] for part in parts if part is not None)

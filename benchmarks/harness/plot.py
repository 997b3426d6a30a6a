"""The suite's results as one PNG (matplotlib, headless)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _bars(axis: Any, labels: list[str], series: dict[str, list[float]], title: str,
          unit: str, target: float | None = None) -> None:
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        positions = [x + index * width for x in range(len(labels))]
        axis.bar(positions, values, width, label=name)
    axis.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(labels))])
    axis.set_xticklabels(labels, fontsize=8)
    axis.set_ylabel(unit)
    axis.set_title(title, fontsize=10)
    if target is not None:
        axis.axhline(target, color="red", linestyle="--", linewidth=1, label=f"target {target}")
    axis.legend(fontsize=7)


def _value(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def plot(result: dict[str, Any], path: Path) -> None:
    figure, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    closed = result["closed_loop"]["channels"]
    labels = list(closed)
    ticks = [f"{name}\n×{closed[name]['ratio_to_baseline']['p50']} p50" for name in labels]
    _bars(axes[0][0], ticks,
          {key: [_value(closed[name]["summary"][f"{key}_ms"]) for name in labels]
           for key in ("p50", "p95", "p99")},
          f"Closed loop, {result['closed_loop']['conversations']} conversations per channel "
          "(bare_rest = baseline)", "ms per turn")

    axis = axes[0][1]
    for store, data in result["conversation_length"].items():
        latencies = data.get("latencies_ms")
        if latencies:
            window = int(data["window"])
            turns = range(1, len(latencies) + 1)
            line = axis.plot(turns, latencies, linewidth=0.5, alpha=0.4)[0]
            rolling = [statistics.median(latencies[max(0, i - window + 1):i + 1])
                       for i in range(len(latencies))]
            axis.plot(turns, rolling, linewidth=1.6, color=line.get_color(),
                      label=f"{store}: median of {window} (ratio "
                            f"{data['ratio_last_to_first']})")
    axis.set_ylim(bottom=0)
    axis.set_xlabel("turn of one conversation")
    axis.set_ylabel("ms")
    axis.set_title("Turn cost vs conversation length (bare REST)", fontsize=10)
    axis.legend(fontsize=7)

    saturation = result["saturation"]["channels"]
    names = list(saturation)
    values = [_value(saturation[name]["summary"]["turns_per_s"]) for name in names]
    scaling = result.get("scaling") or {}
    if scaling.get("status") == "measured":
        for key in ("single", "balanced"):
            names.append(scaling[key]["channel"])
            values.append(_value(scaling[key]["summary"]["turns_per_s"]))
    _bars(axes[1][0], names, {"turns/s": values},
          f"Saturation, {result['saturation']['clients']} clients back to back", "turns/s",
          target=result["targets"]["saturation_turns_per_s"]["target"])

    open_loop = result["open_loop"]
    groups = {"REST only": open_loop["rest_only"]["per_channel"],
              "all channels": open_loop["mixed"]["per_channel"]}
    channels = list(open_loop["mixed"]["per_channel"])
    _bars(axes[1][1], channels,
          {group: [_value(data.get(name, {}).get("p95_ms")) for name in channels]
           for group, data in groups.items()},
          f"Open loop p95, {open_loop['mixed']['offered_turns_per_s']} turns/s offered over "
          f"{open_loop['mixed']['conversations']} conversations", "ms",
          target=result["targets"]["open_loop_p95_ms"]["target"])

    meta = result["meta"]
    figure.suptitle(f"Mina sidor assistant benchmark ({meta['mode']}, {meta['measured_at']}, "
                    f"{meta['cpu_count']} CPUs)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)

"""Benchmarks: wall time of each gate against the reference stack, and how the security and
performance gates scale with the number of running containers. Prints tables and the benchmark
targets (met or not); asserts nothing.

    .venv/bin/python bench/run.py                 # both tables (5 runs per gate; 5/50/200 containers)
    .venv/bin/python bench/run.py --runs 3 --scales 5,50
    .venv/bin/python bench/run.py --only gates    # or: --only scaling

Timed runs talk to the engine's own socket. Docker API calls are counted in one more run through
a proxy socket between nestgate and dockerd (bench/apiproxy.py), not by nestgate itself; the proxy
is kept out of the timed runs because its own cost would be counted as nestgate's. Test times and
stats rounds come from each run's own evidence bundle.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import docker
import tomli_w

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from apiproxy import CountingProxy  # noqa: E402
from gaterun import GATES, GateRun, run_gate  # noqa: E402

from nestgate.testbed import Testbed  # noqa: E402

# The benchmark targets: SEC-04 over 50 containers, the security gate over 50, growth from 5 to 200.
SEC04_50_LIMIT_S = 1.0
SECURITY_50_LIMIT_S = 5.0
GROWTH_LIMIT = 2.0


def proxied_config(config: Path, proxy: CountingProxy) -> Path:
    """The same config with the engine reached through the counting proxy. Written beside the
    original so its relative paths (project dir, secret files, scan reports) mean the same."""
    data = tomllib.loads(config.read_text())
    data.setdefault("target", {})["docker_host"] = proxy.url
    out = config.with_name("nestgate.bench-proxied.toml")  # overwritten by each counting run
    out.write_text(tomli_w.dumps(data))
    return out


@dataclass
class Row:
    runs: list[GateRun] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    def spread(self) -> str:
        walls = [r.wall_s for r in self.runs]
        return f"{self.median:.2f} s ({min(walls):.2f}–{max(walls):.2f})"

    def median_of(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    @property
    def load(self) -> str:
        return f"{min(r.load for r in self.runs):.1f}–{max(r.load for r in self.runs):.1f}"


def measure(expr: str, config: Path, runs: int, proxy: CountingProxy, scratch: Path) -> Row:
    """`runs` timed runs straight to the engine's socket, then one run through the counting proxy
    for the API calls: the proxy is a Python process in the path, and its cost is not nestgate's."""
    row = Row()
    for _ in range(runs):
        row.runs.append(run_gate(expr, config, Path(tempfile.mkdtemp(dir=scratch)) / "bundle"))
    proxy.reset()
    run_gate(expr, proxied_config(config, proxy), Path(tempfile.mkdtemp(dir=scratch)) / "bundle")
    row.calls.append(proxy.count)
    return row


def gates_table(testbed: Testbed, runs: int, proxy: CountingProxy, scratch: Path) -> None:
    config = testbed.config_path
    print(f"\n## Wall time per gate, {runs} runs, reference stack (clean)\n")
    print("| gate | median (min–max) | API calls/run | load (1 min) | last result |\n|---|---|---|---|---|")
    build: Row | None = None
    for expr in [*GATES, " or ".join(GATES)]:
        row = measure(expr, config, runs, proxy, scratch)
        build = row if expr == "build" else build
        label = "all gates" if " or " in expr else expr
        print(f"| {label} | {row.spread()} | {statistics.median(row.calls):.0f} | {row.load} | "
              f"{row.runs[-1].summary} |", flush=True)
    if build is not None:
        print("\nImage builds inside the build gate (BLD-01 evidence, `--no-cache`), median over the runs:\n")
        per: dict[str, list[float]] = {}
        walls = []
        for run in build.runs:
            for m in run.measured("BLD-01"):
                walls.append(float(m.get("wall_time_s", 0.0)))
                for service, b in (m.get("builds") or {}).items():
                    per.setdefault(service, []).append(float(b.get("seconds", 0.0)))
        for service, secs in sorted(per.items()):
            print(f"- {service}: {statistics.median(secs):.1f} s")
        if walls:
            print(f"- all builds (wall, in parallel where configured): {statistics.median(walls):.1f} s")


def running_containers(instance: str) -> int:
    client = docker.from_env()
    return len(client.containers.list(filters={"label": f"com.docker.stack.namespace={instance}"}))


def stats_rounds(row: Row) -> tuple[float, float]:
    """(slowest stats round over the whole stack, window) from PRF-06's evidence."""
    rounds, windows = [], []
    for run in row.runs:
        for m in run.measured("PRF-06")[:1]:
            rounds += [float(s) for s in m.get("round_seconds") or []]
            windows.append(float(m.get("window_s") or 0.0))
    return (max(rounds) if rounds else float("nan")), row.median_of(windows)


def scaling_table(testbed: Testbed, scales: list[int], runs: int, proxy: CountingProxy,
                  scratch: Path) -> dict[tuple[str, int], Row]:
    print(f"\n## Scaling: security and performance gates vs running containers ({runs} runs each)\n")
    print("| gate | containers | median wall (min–max) | ratio to first | API calls | calls/container "
          "| control time | load (1 min) | last run |")
    print("|---|---|---|---|---|---|---|---|---|")
    results: dict[tuple[str, int], Row] = {}
    base: dict[str, float] = {}
    try:
        for total in scales:
            testbed.up(scale=max(0, total - 5))
            count = running_containers(testbed.instance)
            config = testbed.config_path
            for gate in ("security", "performance"):
                row = measure(gate, config, runs, proxy, scratch)
                results[(gate, total)] = row
                base.setdefault(gate, row.median)
                calls = statistics.median(row.calls)
                if gate == "security":
                    detail = f"SEC-04 {row.median_of([r.control_seconds('SEC-04') for r in row.runs]):.2f} s"
                else:
                    slowest, window = stats_rounds(row)
                    detail = f"stats: slowest round {slowest:.2f} s, window {window:.2f} s"
                print(f"| {gate} | {count} | {row.spread()} | {row.median / base[gate]:.2f}x | {calls:.0f} | "
                      f"{calls / count:.2f} | {detail} | {row.load} | {row.runs[-1].summary} |", flush=True)
    finally:
        testbed.up(scale=0)
    return results


def targets(results: dict[tuple[str, int], Row], scales: list[int], interval_s: float) -> None:
    print("\n## Targets\n")
    first, last = scales[0], scales[-1]

    def line(name: str, figure: str, met: bool | None) -> None:
        print(f"- {name}: {figure}: {'met' if met else 'NOT met' if met is not None else 'not measured'}")

    sec50 = results.get(("security", 50))
    if sec50:
        sec04 = sec50.median_of([r.control_seconds("SEC-04") for r in sec50.runs])
        line("SEC-04 over 50 containers < 1 s test time", f"{sec04:.2f} s", sec04 < SEC04_50_LIMIT_S)
        line("security gate on 50 containers < 5 s wall", f"{sec50.median:.2f} s", sec50.median < SECURITY_50_LIMIT_S)
    else:
        line("SEC-04 and security gate on 50 containers", "no 50-container run", None)
    for gate in ("security", "performance"):
        a, b = results.get((gate, first)), results.get((gate, last))
        if a and b and last > first:
            ratio = b.median / a.median
            line(f"{gate} growth {first} -> {last} containers <= 2x", f"{ratio:.2f}x", ratio <= GROWTH_LIMIT)
    slowest = [stats_rounds(results[("performance", s)])[0] for s in scales if ("performance", s) in results]
    if slowest:
        line(f"stats sampling one period for the whole stack (each round < the {interval_s:g} s interval)",
             ", ".join(f"{s:.2f} s" for s in slowest), all(s < interval_s for s in slowest))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scales", default="5,50,200")
    parser.add_argument("--only", choices=["gates", "scaling"])
    parser.add_argument("--instance", default="medianest")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    testbed = Testbed(instance=args.instance)
    testbed.up()
    print(f"host: {os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        proxy = CountingProxy(Path(tmp) / "docker.sock").start()
        try:
            if args.only in (None, "gates"):
                gates_table(testbed, args.runs, proxy, Path(tmp))
            if args.only in (None, "scaling"):
                results = scaling_table(testbed, scales, args.runs, proxy, Path(tmp))
                interval = tomllib.loads(testbed.config_path.read_text()).get("performance", {}).get(
                    "stats_interval_s", 1.0)
                targets(results, scales, float(interval))
        finally:
            proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

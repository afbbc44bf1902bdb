"""Benchmarks: wall time of each gate against the reference stack, and how the security and
performance gates scale with the number of running containers. Prints tables; asserts nothing.

    .venv/bin/python bench/run.py                 # both tables (5 runs per gate; 5/50/200 containers)
    .venv/bin/python bench/run.py --runs 3 --scales 5,50
    .venv/bin/python bench/run.py --only gates    # or: --only scaling

Docker API calls are counted by a proxy socket between nestgate and dockerd (bench/apiproxy.py),
not by nestgate itself.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from apiproxy import CountingProxy  # noqa: E402

from nestgate.testbed import Testbed  # noqa: E402

GATES = ["security", "build", "performance", "infra"]


def proxied_config(config: Path, proxy: CountingProxy) -> Path:
    """The same config with the engine reached through the counting proxy. Written beside the
    original so its relative paths (project dir, secret files, scan reports) mean the same."""
    data = tomllib.loads(config.read_text())
    data.setdefault("target", {})["docker_host"] = proxy.url
    out = config.with_name("nestgate.bench-proxied.toml")
    out.write_text(tomli_w.dumps(data))
    return out


def run_gate(expr: str, config: Path) -> tuple[float, int, str]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", expr, "-q", "-p", "no:randomly",
                           f"--target-config={config}"], cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    verdicts = [line.split()[:2] for line in proc.stdout.splitlines()
                if len(line.split()) > 1 and line.split()[0] in GATES and line.split()[1] in ("GO", "NO-GO")]
    summary = ", ".join(f"{gate} {verdict}" for gate, verdict in verdicts) or "no verdict line"
    return elapsed, proc.returncode, f"exit {proc.returncode}: {summary}"


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} s  (min {min(values):.2f}, max {max(values):.2f})"


def gates_table(testbed: Testbed, runs: int, proxy: CountingProxy) -> None:
    config = proxied_config(testbed.config_path, proxy)
    print(f"\n## Wall time per gate, {runs} runs, reference stack (clean)\n")
    print("| gate | median (spread) | API calls/run | last result |\n|---|---|---|---|")
    for expr in [*GATES, " or ".join(GATES)]:
        times, calls, last = [], [], ""
        for _ in range(runs):
            proxy.reset()
            elapsed, _, last = run_gate(expr, config)
            times.append(elapsed)
            calls.append(proxy.count)
        label = "all gates" if " or " in expr else expr
        print(f"| {label} | {spread(times)} | {statistics.median(calls):.0f} | {last} |", flush=True)


def scaling_table(testbed: Testbed, scales: list[int], runs: int, proxy: CountingProxy) -> None:
    print(f"\n## Scaling: security and performance gates vs running containers ({runs} runs each)\n")
    print("| gate | containers | median wall | ratio to first | API calls | calls/container | last run |")
    print("|---|---|---|---|---|---|---|")
    base: dict[str, float] = {}
    try:
        for total in scales:
            testbed.up(scale=max(0, total - 5))
            config = proxied_config(testbed.config_path, proxy)
            for gate in ("security", "performance"):
                times, calls = [], []
                for _ in range(runs):
                    proxy.reset()
                    elapsed, _, last = run_gate(gate, config)
                    times.append(elapsed)
                    calls.append(proxy.count)
                median = statistics.median(times)
                base.setdefault(gate, median)
                per = statistics.median(calls) / total
                print(f"| {gate} | {total} | {median:.2f} s | {median / base[gate]:.2f}x | "
                      f"{statistics.median(calls):.0f} | {per:.2f} | {last} |", flush=True)
    finally:
        testbed.up(scale=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scales", default="5,50,200")
    parser.add_argument("--only", choices=["gates", "scaling"])
    parser.add_argument("--instance", default="medianest")
    args = parser.parse_args()
    testbed = Testbed(instance=args.instance)
    testbed.up()
    with tempfile.TemporaryDirectory() as tmp:
        proxy = CountingProxy(Path(tmp) / "docker.sock").start()
        try:
            if args.only in (None, "gates"):
                gates_table(testbed, args.runs, proxy)
            if args.only in (None, "scaling"):
                scaling_table(testbed, [int(s) for s in args.scales.split(",")], args.runs, proxy)
        finally:
            proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

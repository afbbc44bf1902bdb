"""Benchmark row: the security and performance gates on a two-node swarm (the testbed instance's stack
spread by selftest.multinode.rig, the worker reached over ssh) against the same stack on one node
(the instance itself: same services). Timed from outside by farm-bench, A/B pair by pair.

    .venv/bin/python bench/multinode.py --instance h4 [--runs 3]

Target: the two-node run takes at most 1.3x the one-node run. Prints farm-bench's table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import tomli_w
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nestgate.testbed import Testbed  # noqa: E402
from selftest.multinode.conftest import TASKS  # noqa: E402
from selftest.multinode.rig import deploy, load_images, two_node_swarm, wait_running  # noqa: E402

EXPR = "security or performance"
RATIO_TARGET = 1.3


def gate_command(config: Path) -> str:
    return shlex.join([sys.executable, "-m", "pytest", "-m", EXPR, "-q", "-p", "no:randomly", "-p",
                       "no:cacheprovider", "--no-nestgate-report", f"--target-config={config}"])


def main() -> int:
    import tomllib

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default="medianest", help="testbed instance (up) whose stack both runs gate")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each (count)")
    args = ap.parse_args()
    tb = Testbed(args.instance)
    compose = tb.compose_path
    secrets = {n: tb.secret_file(n).read_bytes() for n in (yaml.safe_load(compose.read_text()).get("secrets") or {})}
    with two_node_swarm(f"ngb{os.getpid() % 1000}") as rig:
        load_images(sorted(set(tb.state.images.values())), [rig.manager.url, rig.worker.url])
        deploy(rig, compose, tb.instance, secrets, Path(tempfile.mkdtemp()))
        wait_running(rig, tb.instance, TASKS)
        data = tomllib.loads(tb.config_path.read_text())
        data["target"].update(docker_host=rig.manager.url, base_url=f"http://{rig.worker_addr}:{tb.state.port}",
                              nodes={rig.worker_id: {"host": rig.sshd.spec(),
                                                     "identity_file": str(rig.sshd.identity_file),
                                                     "known_hosts_file": str(rig.sshd.known_hosts)}})
        two = tb.config_path.with_name(f"bench-multinode-{os.getpid()}.toml")
        two.write_text(tomli_w.dumps(data))
        try:
            print(f"## Two-node swarm vs one node: `pytest -m \"{EXPR}\"`, {args.runs} runs each, A/B paired\n")
            proc = subprocess.run(["farm-bench", "-n", str(args.runs), "--timeout", "3000",
                                   "--vs", gate_command(tb.config_path), "--", *shlex.split(gate_command(two))],
                                  cwd=ROOT, text=True, capture_output=True, check=False)
            print(proc.stdout + proc.stderr)
            print(f"target: A/B (two-node / one-node) median at most {RATIO_TARGET}x\n")
            # Where A's time goes, and what it failed: one more run, its slowest tests and failures.
            one = subprocess.run([*shlex.split(gate_command(two)), "--durations=12", "-rf"], cwd=ROOT, text=True,
                                 capture_output=True, check=False)
            print("\n".join(ln for ln in one.stdout.splitlines()
                            if ln.startswith(("FAILED", "security", "performance")) or "s call" in ln
                            or "s setup" in ln))
        finally:
            two.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Image builds under throwaway tags: through the engine's BuildKit (a Docker CLI that drives it), else
the engine's legacy builder (POST /build) where nothing offers BuildKit (nestgate.probes.buildkit says
which and why).

Read-only toward the target: an image is built under a tag of its own, never the tag the running
stack uses, and removed afterwards by that tag alone (which only untags an image shared with
another tag). Builds run in a thread pool; each carries its own deadline.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors
import requests
import urllib3.exceptions

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.buildkit import Builder
from nestgate.probes.engine import Engine
from nestgate.probes.readers.build_stream import BuildOutcome, read_progress, read_stream
from nestgate.progress import step

# Compose build keys the legacy builder can honour; any other (ssh, secrets, platforms,
# additional_contexts, dockerfile_inline, ...) needs BuildKit.
# BLD-01's rules (nestgate.rules.bld01_docker_build) judge each build section against these tables.
LEGACY_KEYS = {"context", "dockerfile", "args", "target", "network", "labels", "extra_hosts",
               "shm_size", "cache_from", "no_cache", "pull", "tags"}
# What BLD-01 hands `docker build` under BuildKit: the same keys (and `ssh`, which `--ssh` takes as is).
BUILDKIT_KEYS = LEGACY_KEYS | {"ssh"}
# On every throwaway image, so leftovers of an interrupted run can be found and pruned.
THROWAWAY_LABEL = "nestgate.build.throwaway"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildRequest:
    service: str
    tag: str
    context: Path
    spec: dict[str, Any] = field(repr=False)  # the service's resolved `build:` section


@dataclass(frozen=True)
class BuildFacts:
    service: str
    tag: str
    ok: bool
    seconds: float
    failure: str  # "" when ok: where and why, in the builder's words
    image_id: str = ""
    size_bytes: int = 0
    steps: int = 0
    leftover: str = ""  # a failed build's last committed layer (dangling, with its fresh parents)
    unavailable: bool = False  # no verdict: the build could not be run to its end (failure says why)
    # Where a failed build broke: the Dockerfile, the failing instruction, and the line the builder named
    dockerfile: str = ""
    instruction: str = ""
    dockerfile_line: int | None = None

    @property
    def built_ref(self) -> str:
        """What this build left on the engine: its tag, or the layer a failed build committed last."""
        return self.tag if self.ok else self.leftover


def _extra_hosts(value: Any) -> dict[str, str] | None:
    if not value:
        return None
    if isinstance(value, dict):  # Compose v2: {"host": ["ip"]} or {"host": "ip"}
        return {h: (ips[0] if isinstance(ips, list) else str(ips)) for h, ips in value.items()}
    return dict(str(item).split(":", 1) for item in value)  # ["host:ip"]


def _build_kwargs(req: BuildRequest, no_cache: bool) -> dict[str, Any]:
    spec = req.spec
    args = {k: str(v) for k, v in (spec.get("args") or {}).items() if v is not None}
    return dict(
        path=str(req.context), dockerfile=spec.get("dockerfile") or "Dockerfile", tag=req.tag,
        nocache=no_cache or bool(spec.get("no_cache")), rm=True, forcerm=True, pull=False,
        buildargs=args, target=spec.get("target") or None, network_mode=spec.get("network") or None,
        labels={**{str(k): str(v) for k, v in (spec.get("labels") or {}).items()}, THROWAWAY_LABEL: "true"},
        extra_hosts=_extra_hosts(spec.get("extra_hosts")), shmsize=spec.get("shm_size") or None,
        decode=True,
    )


def _stream(api: Any, kwargs: dict[str, Any], deadline: float, timeout_s: float) -> Iterator[dict]:
    too_long = f"docker build of {kwargs['tag']} took longer than {timeout_s:g} s"
    try:
        for chunk in api.build(timeout=max(1, int(deadline - time.monotonic())), **kwargs):
            yield chunk
            if time.monotonic() > deadline:
                raise EvidenceUnavailable(too_long)
    except (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError):  # silent until the deadline
        raise EvidenceUnavailable(too_long) from None


def step_detail(outcome: BuildOutcome) -> str:
    """Where a build is, for its heartbeat: "step 3/9" (the instruction itself may carry build args)."""
    if outcome.buildkit and outcome.step:
        return f"step {outcome.step.split(']')[0].split()[-1].lstrip('[')}"
    return f"step {outcome.step.split(' : ')[0]}" if outcome.step else "sending the context"


def cli_argv(builder: Builder, engine: Engine, req: BuildRequest, no_cache: bool) -> list[str]:
    """`docker build` with BuildKit's plain progress: the same build section, flag for flag."""
    kw = _build_kwargs(req, no_cache)
    endpoint = engine.endpoint
    argv = [builder.cli, *(["-H", endpoint.url] if endpoint and endpoint.source == "target.docker_host" else []),
            "build", "--progress=plain", "--pull=false" if not req.spec.get("pull") else "--pull",
            "-t", kw["tag"], "-f", str(req.context / kw["dockerfile"])]
    argv += ["--no-cache"] if kw["nocache"] else []
    argv += [f"--build-arg={k}={v}" for k, v in kw["buildargs"].items()]
    argv += [f"--label={k}={v}" for k, v in kw["labels"].items()]
    argv += [f"--add-host={h}:{ip}" for h, ip in (kw["extra_hosts"] or {}).items()]
    argv += [f"--cache-from={c}" for c in req.spec.get("cache_from") or []]
    argv += [f"--ssh={s}" for s in _ssh(req.spec.get("ssh"))]
    for flag, value in (("--target", kw["target"]), ("--network", kw["network_mode"]), ("--shm-size", kw["shmsize"])):
        argv += [f"{flag}={value}"] if value else []
    return [*argv, str(req.context)]


def _ssh(value: Any) -> list[str]:
    if isinstance(value, dict):  # Compose: {"default": ""} or {"id": "path"}
        return [f"{k}={v}" if v else str(k) for k, v in value.items()]
    return [str(v) for v in value or []]


def _run_cli(argv: list[str], outcome: BuildOutcome, deadline: float, timeout_s: float, tag: str) -> None:
    """Run the CLI build, folding its progress into `outcome` as it comes; killed at the deadline (the
    engine then cancels the build with its session)."""
    env = {**os.environ, "DOCKER_BUILDKIT": "1", "BUILDKIT_PROGRESS": "plain"}
    try:
        proc = subprocess.Popen(argv, env=env, text=True, errors="replace", start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        raise EvidenceUnavailable(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    late = threading.Event()

    def kill() -> None:
        late.set()
        os.killpg(proc.pid, signal.SIGKILL)
    timer = threading.Timer(max(0.0, deadline - time.monotonic()), kill)
    timer.start()
    try:
        assert proc.stdout is not None
        read_progress(proc.stdout, outcome)
        proc.wait()
    except BaseException:  # an interrupt: leave nothing of the group running
        kill()
        proc.wait()
        raise
    finally:
        timer.cancel()
    if late.is_set():
        raise EvidenceUnavailable(f"docker build of {tag} took longer than {timeout_s:g} s")
    if proc.returncode != 0 and not outcome.error:
        outcome.error = f"{argv[0]} build exited with status {proc.returncode}"
        outcome.image_id = ""


def build_one(engine: Engine, req: BuildRequest, no_cache: bool, timeout_s: float,
              builder: Builder | None = None) -> BuildFacts:
    if not req.context.is_dir():
        raise EvidenceUnavailable(f"service {req.service}: build context {req.context} is not a directory")
    started = time.monotonic()
    deadline = started + timeout_s
    kwargs = _build_kwargs(req, no_cache)
    outcome = BuildOutcome()
    unavailable = ""
    with step(logger, f"building {req.tag} (service {req.service})") as building:
        building.detail = lambda: step_detail(outcome)  # read_stream fills `outcome` as the stream comes
        try:
            if builder is not None and builder.buildkit:
                _run_cli(cli_argv(builder, engine, req, no_cache), outcome, deadline, timeout_s, req.tag)
            else:
                engine.call(f"build {req.tag}",
                            lambda api: read_stream(_stream(api, kwargs, deadline, timeout_s), outcome))
        except docker.errors.APIError as exc:  # refused before the first step (Dockerfile missing, parse error)
            outcome.error = " ".join(str(exc.explanation or exc).split())
        except docker.errors.DockerException as exc:  # e.g. the context cannot be read or tarred
            unavailable = f"service {req.service}: cannot send build context {req.context}: {exc}"
        except EvidenceUnavailable as exc:  # too slow, or the engine went away mid-build
            unavailable = f"service {req.service}: {exc}"
        failed = "no verdict (unavailable)" if unavailable else f"failed at {step_detail(outcome)}"
        building.result = "built" if not unavailable and outcome.ok else failed
    seconds = time.monotonic() - started
    if unavailable or not outcome.ok:
        return BuildFacts(req.service, req.tag, False, seconds, unavailable or outcome.failure(),
                          steps=outcome.steps, leftover=outcome.new_layers[-1] if outcome.new_layers else "",
                          unavailable=bool(unavailable), instruction=outcome.instruction if outcome.step else "",
                          dockerfile=str(req.context / kwargs["dockerfile"]), dockerfile_line=outcome.dockerfile_line)
    try:
        image = engine.call(f"image inspect {req.tag}", lambda api: api.inspect_image(req.tag))
    except docker.errors.APIError as exc:
        raise EvidenceUnavailable(f"service {req.service}: built image {req.tag} cannot be inspected: "
                                  f"{exc.explanation}") from None
    return BuildFacts(req.service, req.tag, True, seconds, "", image_id=str(image.get("Id", "")),
                      size_bytes=int(image.get("Size") or 0), steps=outcome.steps)


def build_all(engine: Engine, reqs: list[BuildRequest], no_cache: bool, timeout_s: float,
              parallel: int, builder: Builder | None = None) -> list[BuildFacts]:
    if not reqs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(reqs)))) as pool:
        return list(pool.map(lambda r: build_one(engine, r, no_cache, timeout_s, builder), reqs))


def remove_built(engine: Engine, ref: str) -> str:
    """Remove a throwaway tag or a failed build's last layer, with the untagged parents only it
    held (the engine stops at a tagged image or one with other children); "" or why it could not."""
    try:
        engine.call(f"image rm {ref}", lambda api: api.remove_image(ref, force=False, noprune=False))
    except docker.errors.NotFound:
        return ""
    except docker.errors.APIError as exc:
        return " ".join(str(exc.explanation or exc).split())
    return ""


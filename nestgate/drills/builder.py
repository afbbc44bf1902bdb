"""Image builds through the Docker engine's legacy builder (POST /build), under throwaway tags.

Read-only toward the target: an image is built under a tag of its own, never the tag the running
stack uses, and removed afterwards by that tag alone (which only untags an image shared with
another tag). Builds run in a thread pool; each carries its own deadline.
"""

from __future__ import annotations

import logging
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
from nestgate.probes.engine import Engine
from nestgate.probes.readers.build_stream import BuildOutcome, read_stream
from nestgate.progress import step

# Compose build keys the legacy builder can honour; any other (ssh, secrets, platforms,
# additional_contexts, dockerfile_inline, ...) needs BuildKit, which this engine does not offer.
# BLD-01's rules (nestgate.rules.bld01_docker_build) judge each build section against this table.
LEGACY_KEYS = {"context", "dockerfile", "args", "target", "network", "labels", "extra_hosts",
               "shm_size", "cache_from", "no_cache", "pull", "tags"}
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
    return f"step {outcome.step.split(' : ')[0]}" if outcome.step else "sending the context"


def build_one(engine: Engine, req: BuildRequest, no_cache: bool, timeout_s: float) -> BuildFacts:
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
                          unavailable=bool(unavailable))
    try:
        image = engine.call(f"image inspect {req.tag}", lambda api: api.inspect_image(req.tag))
    except docker.errors.APIError as exc:
        raise EvidenceUnavailable(f"service {req.service}: built image {req.tag} cannot be inspected: "
                                  f"{exc.explanation}") from None
    return BuildFacts(req.service, req.tag, True, seconds, "", image_id=str(image.get("Id", "")),
                      size_bytes=int(image.get("Size") or 0), steps=outcome.steps)


def build_all(engine: Engine, reqs: list[BuildRequest], no_cache: bool, timeout_s: float,
              parallel: int) -> list[BuildFacts]:
    if not reqs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(reqs)))) as pool:
        return list(pool.map(lambda r: build_one(engine, r, no_cache, timeout_s), reqs))


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


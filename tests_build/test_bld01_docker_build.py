"""BLD-01 — Docker build completes successfully (all services)
(`docker compose -f docker-compose.hardened.yml build --no-cache`).

Every service with a `build:` section is built the way the deploy builds it: through the engine's
BuildKit (a Docker CLI that drives it), the legacy builder only where nothing offers BuildKit (the
evidence names the builder that ran), with --no-cache when configured, under a throwaway tag; build
time and image size are recorded and the throwaway images removed unless configured to keep them.
"""

import os
import time

import pytest

from nestgate.config.build import BACKSTOP_S
from nestgate.drills.builder import BUILDKIT_KEYS, LEGACY_KEYS, BuildRequest, build_all, remove_built
from nestgate.errors import EvidenceUnavailable
from nestgate.probes.buildkit import builder
from nestgate.rules.bld01_docker_build import build_findings, build_section_findings

# The config's own timeouts bound this control (images.timeout_s, command_timeout_s); the
# suite-wide pytest-timeout (300 s) would cut a real MediaNest build short, so it only backstops.
pytestmark = [pytest.mark.build, pytest.mark.declared, pytest.mark.timeout(BACKSTOP_S)]


@pytest.mark.control("BLD-01")
def test_every_service_with_a_build_section_builds(target_config, declared, engine, evidence):
    settings = target_config.model.build.images
    stack = target_config.model.target.stack
    built = {name: svc.spec["build"] for name, svc in declared.services.items() if svc.has_build}
    evidence.source(f"{' + '.join(map(str, target_config.compose_paths))} via `compose config` (build sections)")
    evidence.limit(every_build_section="builds", no_cache=settings.no_cache)
    engine.version()  # an engine that does not answer: evidence unavailable, not a failed build
    using = builder()
    evidence.require(build_section_findings(built, BUILDKIT_KEYS if using.buildkit else LEGACY_KEYS, using.buildkit))

    run_id = f"{int(time.time())}-{os.getpid()}"
    requests = [BuildRequest(name, f"{settings.tag_prefix}/{stack}-{name}:{run_id}",
                             target_config.resolve(str(build.get("context") or ".")), build)
                for name, build in sorted(built.items())]
    how = f"`docker build` on {engine.url}" if using.buildkit else f"POST /build on {engine.url}"
    evidence.source(f"{how}: {using.describe} ({'no cache' if settings.no_cache else 'cache'})")
    started = time.monotonic()
    results = build_all(engine, requests, settings.no_cache, settings.timeout_s, settings.parallel, using)
    wall_s = time.monotonic() - started
    cleanup = {} if settings.keep else {r.built_ref: remove_built(engine, r.built_ref) for r in results if r.built_ref}
    evidence.measure(
        builder=using.kind,
        wall_time_s=round(wall_s, 1),
        builds={r.service: {"ok": r.ok, "seconds": round(r.seconds, 1), "steps": r.steps,
                            "image_size_mb": round(r.size_bytes / 1e6, 1), "image_id": r.image_id[:19],
                            "tag": r.tag, "kept": settings.keep, **({"failure": r.failure} if r.failure else {})}
                for r in results},
        removed_afterwards=sorted(ref for ref, why in cleanup.items() if not why),
        cleanup_problems={ref: why for ref, why in cleanup.items() if why},
    )
    unavailable = [r.failure for r in results if r.unavailable]
    if unavailable:
        raise EvidenceUnavailable("; ".join(unavailable))
    found = evidence.judge(build_findings(results))
    assert not found, found.message

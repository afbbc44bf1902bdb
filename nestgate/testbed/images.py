"""Local images with no registry: a Debian rootfs imported once, service images FROM it.

Every tag is a content hash of its inputs, so an unchanged re-run finds its images and builds
nothing; changed inputs get new tags and old ones stay until pruned (images are shared between
instances and `down` keeps them).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from docker.errors import APIError, BuildError, ImageNotFound

from nestgate.progress import step
from nestgate.testbed.errors import TestbedError
from nestgate.testbed.hashing import hash_files, read_tree
from nestgate.testbed.run import BUILD_TIMEOUT_S, client, docker_cli

ASSETS = Path(__file__).parent / "assets"
REPO = "nestgate-testbed"
SUITE = "bookworm"
LABEL = "nestgate.testbed.image"
ROOTFS_TIMEOUT_S = 900
INFRA_SERVICES = ("postgres", "redis", "nginx")
logger = logging.getLogger(__name__)


def packages() -> list[str]:
    lines = (ASSETS / "base" / "packages.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def mmdebstrap_argv() -> list[str]:
    hook = ASSETS / "base" / "customize.sh"
    exclude = ["/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*", "/usr/share/info/*"]
    argv = ["mmdebstrap", "--variant=essential", "--include=" + ",".join(packages())]
    argv += [f"--dpkgopt=path-exclude={p}" for p in exclude]
    argv += [f"--customize-hook={hook} \"$1\"", SUITE, "-"]
    return argv


def base_tag() -> str:
    # The hook's absolute path differs between checkouts: hash its content (in the tree), not its path.
    options = [a for a in mmdebstrap_argv() if not a.startswith("--customize-hook=")]
    # A salt forces a cold build under new tags (for measuring; old images are left alone).
    if os.environ.get("NESTGATE_TESTBED_IMAGE_SALT"):
        options.append(os.environ["NESTGATE_TESTBED_IMAGE_SALT"])
    return f"{REPO}/base:{hash_files(read_tree(ASSETS / 'base'), *options)}"


def image_exists(tag: str) -> bool:
    try:
        client().images.get(tag)
    except ImageNotFound:
        return False
    return True


@dataclass
class BuildLog:
    """What was built and how long it took, for `up`'s summary and the report numbers."""

    built: dict[str, float]

    def note(self, tag: str, seconds: float) -> None:
        self.built[tag] = round(seconds, 1)


def ensure_base(log: BuildLog) -> str:
    """Import the Debian rootfs (mmdebstrap | docker import) unless its tag exists."""
    tag = base_tag()
    if image_exists(tag):
        logger.info("base image %s: present, not rebuilt", tag)
        return tag
    start = time.monotonic()
    changes = [f"LABEL {LABEL}=base", "ENV LANG=C.UTF-8", 'CMD ["/bin/sh"]']
    import_argv = [docker_cli(), "import"] + [x for c in changes for x in ("--change", c)] + ["-", tag]
    with tempfile.TemporaryFile() as errs, step(logger, f"building the base image {tag} (mmdebstrap | docker import)"):
        strap = subprocess.Popen(mmdebstrap_argv(), stdout=subprocess.PIPE, stderr=errs)
        importer = subprocess.Popen(import_argv, stdin=strap.stdout, stdout=subprocess.DEVNULL, stderr=errs)
        assert strap.stdout is not None
        strap.stdout.close()  # the importer owns the pipe now
        try:
            rc_import = importer.wait(timeout=ROOTFS_TIMEOUT_S)
            rc_strap = strap.wait(timeout=60)
        except subprocess.TimeoutExpired:
            strap.kill()
            importer.kill()
            raise TestbedError(f"building the base rootfs took over {ROOTFS_TIMEOUT_S} s") from None
        if rc_strap or rc_import:
            errs.seek(0)
            tail = errs.read().decode(errors="replace").strip().splitlines()[-3:]
            raise TestbedError(f"base rootfs failed (mmdebstrap {rc_strap}, import {rc_import}): {' / '.join(tail)}")
    log.note(tag, time.monotonic() - start)
    return tag


def build(context: Path, tag: str, log: BuildLog, buildargs: dict[str, str] | None = None) -> str:
    """Build with the engine's classic builder (no BuildKit, no registry access)."""
    if image_exists(tag):
        logger.info("image %s: present, not rebuilt", tag)
        return tag
    start = time.monotonic()
    try:
        # The SDK returns once the build has finished: the heartbeat is all there is meanwhile.
        with step(logger, f"building {tag}"):
            _, stream = client(BUILD_TIMEOUT_S).images.build(
                path=str(context), tag=tag, rm=True, forcerm=True, pull=False, network_mode="none",
                buildargs=buildargs or {}, labels={LABEL: tag.split("/")[-1].split(":")[0]},
                timeout=BUILD_TIMEOUT_S,
            )
            for _chunk in stream:
                pass
    except BuildError as exc:
        raise TestbedError(f"docker build of {tag} failed: {exc.msg}") from None
    except APIError as exc:
        raise TestbedError(f"docker build of {tag} failed: {exc.explanation}") from None
    log.note(tag, time.monotonic() - start)
    return tag


def infra_tag(name: str, base: str) -> str:
    files = read_tree(ASSETS / "images" / name)
    return f"{REPO}/{name}:{hash_files(files, base)}"


def ensure_infra(base: str, log: BuildLog) -> dict[str, str]:
    """postgres, redis and nginx: what an operator would pull, built here from the base."""
    tags = {}
    for name in INFRA_SERVICES:
        tag = infra_tag(name, base)
        build(ASSETS / "images" / name, tag, log, {"BASE_IMAGE": base})
        tags[name] = tag
    return tags


def image_size_mb(tag: str) -> float:
    return round(client().images.get(tag).attrs["Size"] / 1e6, 1)


def describe(tags: dict[str, str]) -> str:
    return json.dumps({k: {"tag": v, "size_mb": image_size_mb(v)} for k, v in tags.items()}, indent=2)

"""BuildKit in the reference project's app Dockerfile: a step only BuildKit can build, and one BuildKit
cannot (source-tree patches only; the running stack keeps its image, built from the pristine tree).

`BUILDKIT_CACHE` is not a fault: BLD-01 builds it and passes (selftest/controls/test_bld_selftest.py),
which proves BLD-01 builds the way the deploy builds (the legacy builder refuses `RUN --mount`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

DOCKERFILE = "Dockerfile"
# A cache mount: BuildKit only (the legacy builder: "the --mount option requires BuildKit").
BUILDKIT_CACHE = ("RUN --mount=type=cache,target=/var/cache/medianest-build "
                  "cp -r /srv/app/medianest_app /var/cache/medianest-build/ && "
                  "test -f /var/cache/medianest-build/medianest_app/server.py\n")
# A build secret nobody passes to the build: BuildKit stops at this step.
SECRET_ID = "npmrc"
BUILDKIT_BROKEN = f"RUN --mount=type=secret,id={SECRET_ID},required=true test -s /run/secrets/{SECRET_ID}\n"


def insert_before_user(line: str) -> Callable[[Testbed], None]:
    """A tree hook: `line` goes into the app Dockerfile after the COPY of the app, before USER (as root)."""
    def hook(tb: Testbed) -> None:
        path = tb.project_dir / DOCKERFILE
        lines = path.read_text().splitlines(keepends=True)
        if line not in lines:
            lines.insert(next(i for i, ln in enumerate(lines) if ln.startswith("USER ")), line)
            path.write_text("".join(lines))
    return hook


def restore(tb: Testbed) -> None:
    tb.restore_tree_file(DOCKERFILE)


FAULTS = [
    Fault("buildkit-broken", "BLD-01", "the app Dockerfile needs a build secret nobody passes (BuildKit fails)",
          f"source tree: `{BUILDKIT_BROKEN.strip()}` before the app's USER line; BuildKit fails the step "
          f"(`secret {SECRET_ID} not found`). The running stack keeps its image (built from the pristine tree).",
          tree_apply=insert_before_user(BUILDKIT_BROKEN), tree_remove=restore),
]

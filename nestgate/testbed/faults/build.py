"""Build-gate faults: patches of the instance's source tree only (no Docker change)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from nestgate.testbed import frontend
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

TYPE_ERROR_FILE = "backend/src/release-notes.ts"
BROKEN_COPY = "COPY app/requirements.lock /srv/app/requirements.lock\n"


def _add_type_error(tb: Testbed) -> None:
    (tb.project_dir / TYPE_ERROR_FILE).write_text(
        "// Release notes count shown on the admin page.\nexport const releaseCount: number = \"three\";\n")


def _drop_script(tb: Testbed) -> None:
    path = tb.project_dir / "package.json"
    data = json.loads(path.read_text())
    data["scripts"].pop("test:critical-path", None)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _break_dockerfile(tb: Testbed) -> None:
    path = tb.project_dir / "Dockerfile"
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if ln.startswith("COPY app/"))
    lines.insert(at, BROKEN_COPY)
    path.write_text("".join(lines))


FAULTS = [
    Fault("bundle-too-big", "PRF-01", "frontend/.next grows past 10 MB",
          "source tree: a 9 MB static/chunks/vendor-media-player-*.js is added (total ~11 MB "
          "without cache/).",
          tree_apply=lambda tb: frontend.write_oversized_chunk(tb.project_dir / "frontend"),
          tree_remove=lambda tb: frontend.oversized_chunk_path(tb.project_dir / "frontend").unlink(
              missing_ok=True)),
    Fault("type-error", "BLD-03", "backend has a TypeScript type error",
          f"source tree: {TYPE_ERROR_FILE} assigns a string to a number (TS2322). The critical-path "
          "tests run compiled shared code, so BLD-04 still passes.",
          tree_apply=_add_type_error,
          tree_remove=lambda tb: (tb.project_dir / TYPE_ERROR_FILE).unlink(missing_ok=True)),
    Fault("missing-npm-script", "BLD-04", "the root package.json lacks test:critical-path",
          "source tree: the `test:critical-path` script is removed from the root package.json.",
          tree_apply=_drop_script, tree_remove=lambda tb: tb.restore_tree_file("package.json")),
    Fault("broken-dockerfile", "BLD-01", "the app Dockerfile COPYs a file that does not exist",
          f"source tree: `{BROKEN_COPY.strip()}` before the app COPY; `docker build` fails. The "
          "running stack keeps its image (built from the pristine tree).",
          tree_apply=_break_dockerfile, tree_remove=lambda tb: tb.restore_tree_file("Dockerfile")),
]

"""Build-gate faults: patches of the instance's source tree only (no Docker change)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from nestgate.testbed import frontend
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

TYPE_ERROR_FILE = "backend/src/release-notes.ts"
BROKEN_COPY = "COPY app/requirements.lock /srv/app/requirements.lock\n"
SHARED_LINK = "backend/node_modules/@medianest/shared"
CRITICAL_TEST_FILE = "backend/tests/critical-path/auth-flow.test.mjs"
FAILING_TEST = "the password policy accepts a long passphrase"
# A test written ahead of the code: the shared policy still wants three character classes.
FAILING_TEST_SOURCE = f"""
test("{FAILING_TEST}", () => {{
  assert.equal(passwordMeetsPolicy("correct horse battery staple"), true);
}});
"""
# A service renamed in one place only: Compose refuses a depends_on on a service that does not exist.
COMPOSE_REJECTED = "    depends_on: [database]\n"
# Compose's long depends_on syntax: Compose accepts it, the docker CLI's v3 loader (stack deploy) does not.
STACK_REJECTED = "    depends_on:\n      postgres:\n        condition: service_healthy\n"


def _add_type_error(tb: Testbed) -> None:
    (tb.project_dir / TYPE_ERROR_FILE).write_text(
        "// Release notes count shown on the admin page.\nexport const releaseCount: number = \"three\";\n")


def _drop_script(tb: Testbed) -> None:
    path = tb.project_dir / "package.json"
    data = json.loads(path.read_text())
    data["scripts"].pop("test:critical-path", None)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _add_failing_test(tb: Testbed) -> None:
    path = tb.project_dir / CRITICAL_TEST_FILE
    if FAILING_TEST not in path.read_text():
        path.write_text(path.read_text() + FAILING_TEST_SOURCE)


def _break_dockerfile(tb: Testbed) -> None:
    path = tb.project_dir / "Dockerfile"
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if ln.startswith("COPY app/"))
    lines.insert(at, BROKEN_COPY)
    path.write_text("".join(lines))


def _copy_shared(tb: Testbed) -> None:
    # What `npm install --install-links` leaves behind: a copy, which goes stale on the next shared build.
    link = tb.project_dir / SHARED_LINK
    if link.is_symlink():
        link.unlink()
        shutil.copytree(tb.project_dir / "shared", link, symlinks=True)


def _relink_shared(tb: Testbed) -> None:
    link = tb.project_dir / SHARED_LINK
    if not link.is_symlink():
        shutil.rmtree(link, ignore_errors=True)
        link.symlink_to(os.path.relpath(tb.project_dir / "shared", link.parent))


def _edit_app_service(line: str) -> Callable[[Testbed], None]:
    """A post-deploy hook: the compose file on disk gets `line` under services.app. The running
    stack keeps the spec deployed from the clean file; the next deploy renders the file afresh."""
    def hook(tb: Testbed) -> None:
        lines = tb.compose_path.read_text().splitlines(keepends=True)
        lines.insert(lines.index("  app:\n") + 1, line)
        tb.compose_path.write_text("".join(lines))
    return hook


READS_THE_DECLARED_MODEL = (
    "reads the declared model, which Compose refuses to build from this file: it fails closed (evidence "
    "unavailable) with Compose's own message, the root cause BLD-06 reports")

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
    Fault("critical-test-fails", "BLD-04", "a critical-path test fails (the npm script is defined)",
          f"source tree: {CRITICAL_TEST_FILE} gains the test {FAILING_TEST!r}, asserting that a "
          "four-word lowercase passphrase meets the password policy; the shared policy wants three "
          "character classes, so `npm run test:critical-path` runs 8 tests, 1 fails, and exits 1. "
          "Test files are not type-checked nor in any image, so only BLD-04 sees it.",
          tree_apply=_add_failing_test, tree_remove=lambda tb: tb.restore_tree_file(CRITICAL_TEST_FILE)),
    Fault("broken-dockerfile", "BLD-01", "the app Dockerfile COPYs a file that does not exist",
          f"source tree: `{BROKEN_COPY.strip()}` before the app COPY; `docker build` fails. The "
          "running stack keeps its image (built from the pristine tree).",
          tree_apply=_break_dockerfile, tree_remove=lambda tb: tb.restore_tree_file("Dockerfile")),
    Fault("shared-stale-copy", "BLD-02", "backend resolves @medianest/shared to a stale copy",
          f"source tree: {SHARED_LINK} becomes a copy of shared/ instead of npm's link to it, as "
          "`npm install --install-links` leaves it. Node resolves the package outside shared/dist; "
          "the copy has the same content, so type-check and critical-path tests still pass.",
          tree_apply=_copy_shared, tree_remove=_relink_shared),
    Fault("compose-rejected", "BLD-06", "Compose rejects the compose file (undefined service)",
          f"compose file on disk (after the deploy): `{COMPOSE_REJECTED.strip()}` under services.app. "
          "Every control that needs the declared model fails closed with Compose's message (evidence "
          "unavailable); BLD-06 is the one whose finding it is. The running stack is unchanged.",
          post_apply=_edit_app_service(COMPOSE_REJECTED),
          also=dict.fromkeys(("SEC-01", "SEC-02", "SEC-04", "SEC-05", "BLD-01", "BLD-05", "PRF-02", "PRF-03",
                              "INF-02", "INF-06", "INF-08"), READS_THE_DECLARED_MODEL)),
    Fault("stack-rejected", "BLD-06", "docker stack deploy rejects the compose file; Compose accepts it",
          "compose file on disk (after the deploy): a long-syntax depends_on with `condition: "
          "service_healthy` under services.app. Compose accepts it; the docker CLI's stack loader "
          "fails (`services.app.depends_on must be a list`). The running stack is unchanged.",
          post_apply=_edit_app_service(STACK_REJECTED)),
]

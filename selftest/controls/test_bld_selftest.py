"""The build gate (BLD-01..06) against the real reference stack and its source tree.

GO on the clean stack with evidence; settings and failure modes that need no fault (a tighter
limit, a hanging command, no stack up) through derived configs. Each seeded build fault is proven
in the exclusivity matrix (selftest/matrix/): alone on the stack, all four gates, exact failing tests.
"""

import time
import tomllib

import docker
import pytest

from nestgate.catalog import controls_of
from nestgate.drills.builder import THROWAWAY_LABEL
from nestgate.gate.locations import Location, Locator, failures
from nestgate.testbed.faults.buildkit import BUILDKIT_BROKEN, BUILDKIT_CACHE, insert_before_user, restore
from selftest.conftest import derive_config
from selftest.gaterun import run_gates

BLD_IDS = [c.id for c in controls_of("build")]
GATE = ["-m", "build"]

def _failures(run, control: str) -> str:
    return "\n".join(o.message for o in run.by_control(control) if o.outcome != "passed")


@pytest.fixture(scope="module")
def clean_run(testbed):
    return run_gates(GATE, testbed.config_path)


@pytest.fixture
def derived(testbed, tmp_path):
    """Write the testbed's config with overrides (project_dir made absolute: the file moves)."""
    base = tomllib.loads(testbed.config_path.read_text())

    def make(**sections: dict):
        sections.setdefault("target", {})["project_dir"] = str(testbed.project_dir)
        return derive_config(base, tmp_path, **sections)
    return make


def test_gate_is_go_on_the_clean_stack(clean_run):
    clean_run.assert_go("build")


@pytest.mark.parametrize("control", BLD_IDS, ids=lambda c: c.lower().replace("-", ""))
def test_each_control_ran_and_passed_with_evidence(clean_run, control):
    clean_run.assert_passed_with_evidence(control)


def test_clean_evidence_shows_what_was_measured(clean_run):
    by = {r.nodeid.rsplit("::", 1)[-1]: r.evidence["measured"] for c in BLD_IDS for r in clean_run.by_control(c)}
    builds = by["test_every_service_with_a_build_section_builds[BLD-01]"]
    assert builds["builder"] == "buildkit"  # Debian's docker CLI 20.10 drives the engine's BuildKit
    assert set(builds["builds"]) == {"app", "monitor"}
    assert all(b["ok"] and b["seconds"] > 0 and b["image_size_mb"] > 0 for b in builds["builds"].values())
    assert len(builds["removed_afterwards"]) == 2 and not builds["cleanup_problems"]
    shared = by["test_shared_package_resolves_to_its_built_output[BLD-02[backend]]"]
    assert shared["require"]["path"].endswith("/shared/dist/index.js") and shared["import"]["exists"]
    assert by["test_typecheck_commands_pass_with_no_errors[BLD-03]"]["typescript_errors"] == 0
    tests = by["test_critical_path_tests_pass[BLD-04]"]
    assert tests["tests"] >= 1 and tests["failed"] == 0
    for service in ("app", "postgres", "redis", "nginx", "monitor"):
        [timing] = by[f"test_containers_become_healthy_within_the_limit[BLD-05[{service}]]"]["containers"].values()
        assert timing["status"] == "healthy" and 0 < timing["healthy_after_s"] <= 30 and timing["source"]
    compose = by["test_compose_accepts_the_compose_files[BLD-06]"]
    assert "services.app.build: ignored: stack deploy never builds, the image must exist first" in compose[
        "ignored_by_stack_deploy"]
    assert compose["rejected_by_stack_deploy"] == []


def test_no_throwaway_image_is_left_behind(clean_run, testbed):
    assert clean_run.returncode == 0
    # This instance's throwaway builds only: the matrix's stack builds its own beside this one.
    left = [i for i in docker.from_env().images.list(all=True, filters={"label": THROWAWAY_LABEL})
            if not i.tags or any(t.startswith(f"nestgate-build/{testbed.instance}-") for t in i.tags)]
    assert left == [], [i.tags for i in left]


def test_a_tighter_limit_fails_both_sides_with_the_measured_times(derived):
    run = run_gates([*GATE, "--nestgate-controls=BLD-05"], derived(build={"healthy_within_s": 2.0}))
    message = _failures(run, "BLD-05")
    assert run.failed_controls() == {"BLD-05"}
    assert "service app: healthcheck interval is 3 s: its first probe runs 3 s after the start, not within " \
           "the 2 s limit (compose file)" in message
    assert "service monitor: container" in message and "s after its start (limit 2 s; from " in message


def test_no_stack_hanging_command_unbuilt_output_and_nested_missing_script(derived):
    """Runtime side with no stack up fails naming the service; a command that hangs fails with its
    timeout; a shared package whose output dir was never built, and a script a script calls."""
    run = run_gates([*GATE, "-k", "not BLD-01"], derived(
        target={"stack": "nobody-deployed-this"},
        build={"typecheck_commands": [["sleep", "30"]], "command_timeout_s": 3.0,
               "shared": {"built_output": "build"},
               "critical_path_command": ["npm", "--prefix", "backend", "run", "test:critical-paths"]}))
    assert run.failed_controls() == {"BLD-02", "BLD-03", "BLD-04", "BLD-05"}, run.output
    assert "require and import: resolved to shared/dist/index.js, outside the built output shared/build" in \
        _failures(run, "BLD-02")
    assert "BLD-03: evidence unavailable: command timed out after 3 s: sleep 30" in _failures(run, "BLD-03")
    assert "npm script 'test:critical-paths' is not defined in" in _failures(run, "BLD-04")
    assert "backend/package.json (defined: build, test:critical-path, type-check)" in _failures(run, "BLD-04")
    runtime = [o for o in run.by_control("BLD-05") if o.outcome != "passed"]
    assert len(runtime) == 5 and all("no running container in stack nobody-deployed-this" in o.message
                                     for o in runtime)
    assert all(o.outcome == "passed" for o in run.by_control("BLD-06"))
    assert "Traceback" not in run.output


def test_a_build_that_hangs_fails_with_its_timeout_and_leaves_nothing(testbed, tmp_path):
    """A Compose project of its own (not swarm): one service whose build sleeps past the timeout."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(f"FROM {testbed.state.images['base']}\nRUN sleep 60\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  slow:\n    image: nestgate-selftest/slow:1\n    build:\n      context: ./svc\n"
        "      network: none\n    healthcheck:\n      test: [CMD, 'true']\n      interval: 2s\n")
    config = derive_config({}, tmp_path, target={"orchestrator": "compose", "stack": "bld-selftest-slow",
                                                 "compose_files": ["docker-compose.yml"], "services": ["slow"]},
                           build={"images": {"timeout_s": 3.0}})
    run = run_gates([*GATE, "--nestgate-controls=BLD-01,BLD-06"], config)
    [build] = run.by_control("BLD-01")
    assert "BLD-01: evidence unavailable: service slow: docker build of nestgate-build/bld-selftest-slow-slow:" in \
        build.message and "took longer than 3 s" in build.message
    assert [o.outcome for o in run.by_control("BLD-06")] == ["passed"]  # compose target: no stack loader
    assert "Traceback" not in run.output
    api = docker.from_env().api
    assert api.images(filters={"reference": "nestgate-build/bld-selftest-slow-*"}) == []
    deadline = time.monotonic() + 15  # the engine cancels the abandoned build and removes its container
    while [c for c in api.containers(all=True) if "sleep 60" in c["Command"]] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [c["Id"][:12] for c in api.containers(all=True) if "sleep 60" in c["Command"]]


def test_a_dockerfile_that_needs_buildkit_builds_and_one_broken_under_buildkit_fails_at_its_line(testbed):
    """The app Dockerfile gains a cache mount (the legacy builder refuses `RUN --mount`): BLD-01 builds it
    and passes. Then a build secret nobody passes: BLD-01 fails naming the service and BuildKit's error,
    and the finding locates the Dockerfile line of that RUN."""
    try:
        insert_before_user(BUILDKIT_CACHE)(testbed)
        run = run_gates([*GATE, "--nestgate-controls=BLD-01"], testbed.config_path)
        [built] = run.by_control("BLD-01")
        assert built.outcome == "passed", built.message
        measured = built.evidence["measured"]
        assert measured["builder"] == "buildkit" and measured["builds"]["app"]["ok"]
        assert any("BuildKit via " in source for source in built.evidence["sources"])

        restore(testbed)
        insert_before_user(BUILDKIT_BROKEN)(testbed)
        run = run_gates([*GATE, "--nestgate-controls=BLD-01"], testbed.config_path)
        [broken] = run.by_control("BLD-01")
        assert broken.outcome == "failed"
        assert ("BLD-01: service app: docker build failed at [4/4] RUN --mount=type=secret,id=npmrc,required=true "
                "test -s /run/secrets/npmrc: secret npmrc not found: not found") in broken.message
        record = {**broken.evidence, "nodeid": broken.nodeid, "outcome": "failed", "message": broken.message}
        [located] = failures([record], {broken.nodeid: "declared"}, Locator([testbed.compose_path]))
        lines = (testbed.project_dir / "Dockerfile").read_text().splitlines(keepends=True)
        assert located.location == Location(testbed.project_dir / "Dockerfile", lines.index(BUILDKIT_BROKEN) + 1, 1)
    finally:
        restore(testbed)


def test_where_no_cli_drives_buildkit_the_legacy_builder_runs_and_the_evidence_says_why(testbed):
    run = run_gates([*GATE, "--nestgate-controls=BLD-01"], testbed.config_path,
                    env={"NESTGATE_DOCKER_CLI": "/nonexistent/docker"})
    [built] = run.by_control("BLD-01")
    assert built.outcome == "passed", built.message
    assert built.evidence["measured"]["builder"] == "legacy"
    assert any("legacy builder (POST /build): no CLI drives BuildKit (/nonexistent/docker: command not found: "
               "/nonexistent/docker)" in source for source in built.evidence["sources"])

"""Pure logic of the build gate: builder stream, tsc diagnostics, npm output, swarm options, shared
package resolution."""

from pathlib import Path

import pytest

from nestgate.probes.node import Resolution
from nestgate.probes.readers.build_stream import read_stream
from nestgate.probes.readers.npm_output import NpmScript, missing_script, npm_script, runner_summary
from nestgate.probes.readers.tsc_output import parse_errors
from nestgate.rules.bld02_shared_package import missing_consumer_finding, resolution_findings
from nestgate.rules.bld06_compose_config import REJECTED, OptionUse, option_uses, swarm_findings, swarm_uses


# -- legacy builder stream ----------------------------------------------------------------
def _stream(*lines):
    return [{"stream": line + "\n"} for line in lines]


def test_a_successful_build_yields_its_image_and_step_count():
    chunks = _stream("Step 1/2 : FROM base", " ---> 55c2bb79eaad", "Step 2/2 : COPY app/ /srv/",
                     " ---> 0f1e2d3c4b5a", "Successfully built 0f1e2d3c4b5a", "Successfully tagged x-app:1")
    out = read_stream([*chunks, {"aux": {"ID": "sha256:0f1e"}}])
    assert out.ok and out.steps == 2 and out.image_id == "sha256:0f1e" and out.error == ""


def test_a_failed_step_names_the_step_and_the_builders_error_line():
    chunks = _stream("Step 1/3 : FROM base", " ---> 55c2bb79eaad", "Step 2/3 : RUN make release",
                     " ---> Running in 3f2a", "/bin/sh: 1: make: not found")
    chunks.append({"errorDetail": {"code": 127, "message": "The command '/bin/sh -c make release' returned a "
                                   "non-zero code: 127"}, "error": "The command ... 127"})
    out = read_stream(chunks)
    assert not out.ok
    assert out.failure() == ("at Step 2/3 : RUN make release: The command '/bin/sh -c make release' returned a "
                             "non-zero code: 127 (output: /bin/sh: 1: make: not found)")


def test_only_layers_this_build_committed_are_its_leftovers():
    chunks = _stream("Step 1/4 : FROM base", " ---> 55c2bb79eaad", "Step 2/4 : RUN useradd app", " ---> Running in 9a",
                     "Removing intermediate container 9a", " ---> 7829cccdf561", "Step 3/4 : ENV A=1",
                     " ---> Using cache", " ---> 36cdfa368eac", "Step 4/4 : COPY app/ /srv/", " ---> 4d80c337612e")
    assert read_stream(chunks).new_layers == ["7829cccdf561", "4d80c337612e"]


def test_an_error_before_any_step_and_a_build_without_image():
    assert read_stream([{"error": "Cannot locate specified Dockerfile: Dockerfile"}]).failure() == (
        "before the first step: Cannot locate specified Dockerfile: Dockerfile")
    assert read_stream(_stream("Step 1/1 : FROM base")).failure() == "at Step 1/1 : FROM base: no image was produced"


# -- tsc ----------------------------------------------------------------------------------
def test_tsc_plain_pretty_and_global_errors_are_counted_summaries_are_not():
    output = "\n".join([
        "src/release-notes.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'.",
        "\x1b[96msrc/index.ts\x1b[0m:\x1b[93m7\x1b[0m:\x1b[93m3\x1b[0m - \x1b[91merror\x1b[0m"
        "\x1b[90m TS2304: \x1b[0mCannot find name 'foo'.",
        "error TS5058: The specified path does not exist: 'tsconfig.json'.",
        "Found 3 errors in 2 files.",
        "src/a.ts(1,1): warning: not a diagnostic tsc prints",
    ])
    errors = parse_errors(output)
    assert [e.code for e in errors] == ["TS2322", "TS2304", "TS5058"]
    assert str(errors[0]) == ("src/release-notes.ts(2,14): error TS2322: "
                              "Type 'string' is not assignable to type 'number'.")
    assert (errors[1].file, errors[1].line, errors[1].column) == ("src/index.ts", 7, 3)
    assert errors[2].file == "" and str(errors[2]).startswith("error TS5058: The specified path")


def test_tsc_errors_name_the_npm_package_that_printed_them():
    output = ("> medianest@1.0.0 typecheck\n> npm --prefix shared run type-check && npm --prefix backend run "
              "type-check\n\n> @medianest/shared@1.0.0 type-check\n> tsc -p . --noEmit\n\n"
              "> @medianest/backend@1.0.0 type-check\n> tsc -p . --noEmit\n\n"
              "src/release-notes.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'.\n")
    [error] = parse_errors(output)
    assert str(error) == ("@medianest/backend: src/release-notes.ts(2,14): error TS2322: "
                          "Type 'string' is not assignable to type 'number'.")


def test_clean_tsc_output_has_no_errors():
    assert parse_errors("> medianest@1.0.0 typecheck\n> tsc -p . --noEmit\n") == []


# -- npm ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "expected"), [
    (["npm", "run", "typecheck"], NpmScript("typecheck", ".")),
    (["/usr/bin/npm", "run-script", "test:critical-path", "--", "--grep"], NpmScript("test:critical-path", ".")),
    (["npm", "--prefix", "backend", "run", "type-check"], NpmScript("type-check", "backend")),
    (["npm", "--prefix=shared", "--silent", "run", "build"], NpmScript("build", "shared")),
    (["npm", "test"], NpmScript("test", ".")),
    (["npm", "run"], None),
    (["npm", "run", "-w", "backend", "test"], None),
    (["npx", "tsc", "--noEmit"], None),
    (["node", "--test"], None),
])
def test_which_script_an_npm_command_runs(argv, expected):
    assert npm_script(argv) == expected


def test_npms_missing_script_error_in_current_and_old_formats():
    assert missing_script('> a\n> npm --prefix sub run nope\n\nnpm error Missing script: "nope"\nnpm error\n') == "nope"
    assert missing_script('npm ERR! Missing script: "test:critical-path"\n') == "test:critical-path"
    assert missing_script("npm ERR! missing script: lint\n") == "lint"  # npm 6
    assert missing_script("# tests 7\n# pass 7\n") is None


def test_node_test_tap_summary_and_failing_names():
    tap = ("TAP version 13\n# Subtest: passes\nok 1 - passes\n# Subtest: logout revokes the token\n"
           "not ok 2 - logout revokes the token\n  ---\n  duration_ms: 1.6\n  ...\n1..2\n"
           "# tests 2\n# suites 0\n# pass 1\n# fail 1\n# cancelled 0\n")
    s = runner_summary(tap)
    assert (s.tests, s.passed, s.failed, s.failing) == (2, 1, 1, ["logout revokes the token"])


@pytest.mark.parametrize(("line", "counts"), [
    ("ℹ tests 7", (7, None, None)),
    ("Tests:       1 failed, 6 passed, 7 total", (7, 6, 1)),
    (" Tests  1 failed | 6 passed (7)", (7, 6, 1)),
    ("      Tests  6 passed (6)", (6, 6, 0)),
])
def test_spec_jest_and_vitest_summaries(line, counts):
    s = runner_summary(f"noise\n{line}\nmore noise")
    assert (s.tests, s.passed, s.failed) == counts and s.known


def test_no_summary_is_unknown():
    assert not runner_summary("> medianest@1.0.0 test\n> echo ok\nok\n").known


# -- what stack deploy does with compose options --------------------------------------------
def test_options_stack_deploy_ignores_or_rejects_are_found_per_service():
    services = {
        "app": {"build": {"context": "/src"}, "restart": "always", "privileged": False, "image": "app",
                "depends_on": {"db": {"condition": "service_healthy"}}, "security_opt": ["no-new-privileges:true"]},
        "db": {"mem_limit": "256m", "container_name": "medianest-postgres", "expose": [], "image": "pg"},
    }
    uses = swarm_uses(services)
    assert [(u.service, u.option, u.fails) for u in uses] == [
        ("app", "security_opt", True), ("app", "restart", True), ("app", "depends_on condition", True),
        ("app", "build", False), ("db", "container_name", True)]
    assert str(uses[2]) == ("services.app.depends_on: ignored: swarm has no start order, the condition is never "
                            "waited for")
    assert [str(u) for u in option_uses(services, REJECTED)] == [
        "services.db.mem_limit: set resource limits using deploy.resources"]
    assert swarm_uses({"app": {"image": "app", "privileged": False, "expose": []}}) == []
    # Compose prints a list-form depends_on as service_started: ignored, noted, not failed; no image: fails.
    plain = swarm_uses({"w": {"build": {"context": "."}, "depends_on": {"db": {"condition": "service_started"}}}})
    assert [(u.option, u.fails) for u in plain] == [("depends_on", False), ("build without image", True)]
    [finding] = swarm_findings("c.yml", plain)
    assert str(finding) == ("docker stack deploy would not do what c.yml says: services.w.build: stack deploy never "
                            "builds and the service names no image to run")
    assert OptionUse("a", "expose", "x") == OptionUse("a", "expose", "x", False)


# -- shared package resolution -------------------------------------------------------------
SUBJECT = "@medianest/shared from consumer backend"


def test_shared_package_resolving_to_its_built_output_has_no_findings(tmp_path: Path):
    dist = tmp_path / "shared" / "dist"
    good = [Resolution("require", dist / "index.js", exists=True), Resolution("import", dist / "index.js",
                                                                              exists=True)]
    assert resolution_findings("@medianest/shared", "backend", good, dist, tmp_path) == []


def test_a_stale_copy_is_one_finding_naming_both_loaders(tmp_path: Path):
    dist = tmp_path / "shared" / "dist"
    stale = tmp_path / "backend" / "node_modules" / "@medianest" / "shared" / "dist" / "index.js"
    [found] = resolution_findings("@medianest/shared", "backend", [Resolution("require", stale, exists=True),
                                                                   Resolution("import", stale, exists=True)],
                                  dist, tmp_path)
    assert (found.subject, found.property, found.measured, found.expected) == (
        SUBJECT, "require and import resolution", "backend/node_modules/@medianest/shared/dist/index.js",
        "an existing file inside shared/dist")
    assert str(found) == (f"{SUBJECT}: require and import: resolved to "
                          "backend/node_modules/@medianest/shared/dist/index.js, outside the built output shared/dist")


def test_an_unbuilt_output_and_an_unresolved_package_are_separate_findings(tmp_path: Path):
    dist = tmp_path / "shared" / "dist"
    found = resolution_findings("@medianest/shared", "backend",
                                [Resolution("import", dist / "main.mjs", exists=False),
                                 Resolution("require", None, error="Cannot find module '@medianest/shared'")],
                                dist, tmp_path)
    assert [(f.property, f.measured) for f in found] == [("import resolution", "shared/dist/main.mjs"),
                                                         ("require resolution", None)]
    assert [f.sentence for f in found] == [
        "import: resolved to shared/dist/main.mjs, which does not exist (not built?)",
        "require: not resolved (Cannot find module '@medianest/shared')"]


def test_a_missing_consumer_directory_is_named():
    found = missing_consumer_finding("backend", Path("/src/backend"))
    assert (found.subject, found.property, found.measured) == ("consumer backend", "directory", "/src/backend")
    assert str(found) == "consumer backend: directory /src/backend does not exist"

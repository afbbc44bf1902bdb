"""BLD-01, BLD-03, BLD-04 and BLD-06 rules: findings from facts (build sections and results,
command results, package.json scripts), each with its subject, property, measured and expected value."""

from pathlib import Path

from nestgate.drills.builder import LEGACY_KEYS, BuildFacts
from nestgate.probes.command import CommandResult
from nestgate.probes.node import PackageFacts
from nestgate.probes.readers.npm_output import runner_summary
from nestgate.probes.readers.tsc_output import parse_errors
from nestgate.rules.bld01_docker_build import build_findings, build_section_findings, unsupported_keys
from nestgate.rules.bld03_typescript import configured_findings, typecheck_findings
from nestgate.rules.bld04_critical_path import critical_path_findings, undefined_script_findings
from nestgate.rules.bld06_compose_config import OptionUse, compose_findings, stack_findings
from nestgate.rules.findings import message


def _ran(argv: list[str], returncode: int, stdout: str = "", stderr: str = "") -> CommandResult:
    return CommandResult(tuple(argv), "/src", returncode, stdout, stderr, 1.0)


# -- BLD-01 ---------------------------------------------------------------------------------
def test_buildkit_only_keys_are_those_that_say_something():
    build = {"context": "/src/app", "dockerfile": "Dockerfile", "ssh": ["default"], "secrets": ["npmrc"],
             "platforms": [], "additional_contexts": {}, "dockerfile_inline": None}
    assert unsupported_keys(build, LEGACY_KEYS) == ["secrets", "ssh"]
    assert unsupported_keys({"context": ".", "args": {"A": "1"}, "target": "prod"}, LEGACY_KEYS) == []


def test_build_sections_the_legacy_builder_can_build_have_no_findings():
    assert build_section_findings({"app": {"context": "/src/app"}, "monitor": {"context": "/src/m"}},
                                  LEGACY_KEYS) == []


def test_nothing_to_build_is_a_finding():
    [found] = build_section_findings({}, LEGACY_KEYS)
    assert (found.property, found.measured, found.expected) == ("services with a build section", 0, "at least 1")
    assert str(found) == "no service has a build: section: there is nothing to build (every image is pulled)"


def test_buildkit_only_options_are_named_per_service():
    found = build_section_findings({"app": {"context": ".", "ssh": ["default"], "secrets": ["npmrc"]},
                                    "nginx": {"context": "."}, "monitor": {"context": ".", "platforms": ["arm64"]}},
                                   LEGACY_KEYS)
    assert [(f.property, f.measured) for f in found] == [("services.app.build", ["secrets", "ssh"]),
                                                         ("services.monitor.build", ["platforms"])]
    assert message(found) == ("build options the engine's legacy builder cannot honour (BuildKit only): "
                              "app: secrets, ssh; monitor: platforms")


def test_under_buildkit_only_keys_not_handed_to_docker_build_are_named():
    found = build_section_findings({"app": {"context": ".", "ssh": ["default"], "secrets": ["npmrc"]}},
                                   LEGACY_KEYS | {"ssh"}, buildkit=True)
    assert [(f.property, f.measured) for f in found] == [("services.app.build", ["secrets"])]
    assert message(found) == "build options BLD-01 does not hand to `docker build`: app: secrets"


def test_each_failed_build_is_named_with_the_builders_words():
    ok = BuildFacts("monitor", "nestgate-build/s-monitor:1", True, 3.0, "")
    broken = BuildFacts("app", "nestgate-build/s-app:1", False, 2.0,
                        "at Step 4/9 : COPY app/requirements.lock /srv/: file not found in build context",
                        dockerfile="/src/Dockerfile", instruction="COPY app/requirements.lock /srv/")
    assert build_findings([ok]) == []
    [found] = build_findings([ok, broken])
    assert (found.subject, found.property) == ("service app", "docker build")
    assert found.measured == {"result": "failed", "dockerfile": "/src/Dockerfile",
                              "instruction": "COPY app/requirements.lock /srv/", "line": None}
    assert str(found) == ("service app: docker build failed at Step 4/9 : COPY app/requirements.lock /srv/: "
                          "file not found in build context")


# -- BLD-03 ---------------------------------------------------------------------------------
TS_ERROR = "src/release-notes.ts({n},14): error TS2322: Type 'string' is not assignable to type 'number'."


def test_no_typecheck_command_configured_is_a_finding():
    assert configured_findings([["npm", "run", "typecheck"]]) == []
    [found] = configured_findings([])
    assert (found.property, found.measured) == ("build.typecheck_commands", [])
    assert str(found) == "no type-check command configured: build.typecheck_commands is empty"


def test_typescript_errors_block_whatever_the_exit_status():
    argv = ["npm", "run", "typecheck"]
    assert typecheck_findings(argv, _ran(argv, 0, "> tsc -p . --noEmit\n"), []) == []
    output = "\n".join(TS_ERROR.format(n=n) for n in range(1, 5))
    [found] = typecheck_findings(argv, _ran(argv, 0, output), parse_errors(output))
    assert (found.property, found.measured, found.expected) == ("typescript_errors", 4, 0)
    assert str(found).startswith("`npm run typecheck` reports 4 TypeScript error(s) (exit status 0): "
                                 "src/release-notes.ts(1,14): error TS2322")
    assert found.sentence.count("error TS2322") == 3 and found.sentence.endswith(" ...")


def test_a_failed_typecheck_without_errors_says_why():
    argv = ["npm", "run", "typecheck"]
    [nested] = typecheck_findings(argv, _ran(argv, 1, "", 'npm error Missing script: "type-check"\n'), [])
    assert (nested.property, nested.measured, nested.expected) == ("exit_status", 1, 0)
    assert str(nested) == ("`npm run typecheck` exited 1 with no TypeScript error: it calls npm script "
                           "'type-check', which is not defined")
    [other] = typecheck_findings(argv, _ran(argv, 2, "", "sh: 1: tsc: not found\n"), [])
    assert str(other) == "`npm run typecheck` exited 2 with no TypeScript error: sh: 1: tsc: not found"


# -- BLD-03/BLD-04: an npm script that does not exist ---------------------------------------
def test_an_undefined_npm_script_is_named_with_the_scripts_that_are():
    package = PackageFacts(Path("/src/backend/package.json"), "@medianest/backend",
                           {"type-check": "tsc", "build": "tsc -b"})
    argv = ["npm", "--prefix", "backend", "run", "test:critical-paths"]
    [found] = undefined_script_findings(argv, package)
    assert (found.subject, found.property, found.measured) == (
        "`npm --prefix backend run test:critical-paths`", "npm script", "test:critical-paths")
    assert found.sentence == ("npm script 'test:critical-paths' is not defined in /src/backend/package.json "
                              "(defined: build, type-check)")
    assert undefined_script_findings(["npm", "--prefix", "backend", "run", "build"], package) == []
    assert undefined_script_findings(["npx", "tsc", "--noEmit"], None) == []  # runs no package script
    assert "(defined: none)" in undefined_script_findings(["npm", "test"], PackageFacts(Path("p"), "x"))[0].sentence


# -- BLD-04 ---------------------------------------------------------------------------------
CRITICAL = ["npm", "run", "test:critical-path"]
TAP_PASS = "# tests 7\n# pass 7\n# fail 0\n"
TAP_FAIL = "not ok 3 - logout revokes the token\n# tests 7\n# pass 6\n# fail 1\n"


def _critical(returncode: int, stdout: str, stderr: str = ""):
    return critical_path_findings(CRITICAL, _ran(CRITICAL, returncode, stdout, stderr),
                                  runner_summary(stdout + "\n" + stderr))


def test_critical_path_tests_that_ran_and_passed_have_no_findings():
    assert _critical(0, TAP_PASS) == []
    assert _critical(0, "done\n") == []  # no summary printed and exit 0: nothing says a test failed


def test_the_first_cause_of_a_failed_critical_path_run():
    subject = "`npm run test:critical-path`"
    [nested] = _critical(1, "", 'npm ERR! Missing script: "test:auth"\n')
    assert (nested.subject, nested.property, nested.measured) == (subject, "npm script", "test:auth")
    assert str(nested) == f"{subject}: calls npm script 'test:auth', which is not defined"
    [exited] = _critical(1, TAP_FAIL, "npm error code 1\n")
    assert (exited.property, exited.measured, exited.expected) == ("exit_status", 1, 0)
    assert str(exited) == f"{subject}: exited 1, 1 of 7 test(s) failed: logout revokes the token"
    [silent] = _critical(2, "", "boom\n")
    assert silent.sentence == "exited 2, no test summary printed (last line: boom)"
    [reported] = _critical(0, TAP_FAIL)
    assert (reported.property, reported.measured) == ("failed_tests", 1)
    assert reported.sentence == "exited 0 but reports 1 of 7 test(s) failed: logout revokes the token"
    [none] = _critical(0, "# tests 0\n# pass 0\n# fail 0\n")
    assert (none.property, none.measured, none.expected) == ("tests_run", 0, ">= 1")
    assert str(none) == f"{subject}: exited 0 but ran no tests"


# -- BLD-06 ---------------------------------------------------------------------------------
def test_compose_and_stack_loader_rejections_quote_the_tool():
    files = "/srv/medianest/docker-compose.yml"
    assert compose_findings(files, _ran(["docker", "compose"], 0)) == []
    [compose] = compose_findings(files, _ran(["docker", "compose"], 15, "", 'service "app" depends on undefined '
                                                                        'service "database": invalid compose project'))
    assert (compose.property, compose.measured, compose.expected) == ("compose_config_exit_status", 15, 0)
    assert str(compose) == (f"Compose rejects {files}: service \"app\" depends on undefined service \"database\": "
                            "invalid compose project")
    loader = _ran(["docker", "stack", "config"], 1, "", "services.app.depends_on must be a list")
    assert stack_findings(files, _ran(["docker", "stack", "config"], 0), []) == []
    [stack] = stack_findings(files, loader, [OptionUse("db", "mem_limit", "set resource limits using "
                                                                        "deploy.resources")])
    assert (stack.property, stack.measured) == ("stack_config_exit_status", 1)
    assert str(stack) == (f"docker stack deploy would reject {files}: services.app.depends_on must be a list "
                          "(services.db.mem_limit: set resource limits using deploy.resources)")
    assert stack_findings(files, loader, [])[0].sentence == "services.app.depends_on must be a list"

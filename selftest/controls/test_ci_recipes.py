"""The CI recipes in docs/ci/, run the way their runners run them, against the reference stack.

Each file is parsed (PyYAML); its shell steps (the `run:` steps of the GitHub job, the `script:` and
`after_script:` of the GitLab job) run in order with bash, with the variables the runner sets. Only runner
plumbing is not run: GitHub's `uses:` actions (checkout, setup-python and the uploads, whose paths are
checked instead) and GitLab's artifact upload (its paths checked likewise); the test stands in for them
with an empty checkout and the base Python on PATH. The recipe installs nestgate for real: a `git clone`
of a snapshot of this working tree, a venv of its own and `pip install` (so the shared .venv is never
touched). A user edits three variables (where nestgate lives, its ref, the target config): those are the
test's; everything else, the gate selection and the stable bundle path included, is the recipe's own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from nestgate.gate.bundle import verify_bundle
from selftest.gaterun import ROOT

RECIPES = ROOT / "docs" / "ci"
REF = "ci-recipe-selftest"
STEP_TIMEOUT_S = 400  # the install step downloads nestgate's dependencies from the package index
BUNDLE_FILES = {"report.html", "junit.xml", "findings.sarif", "manifest.json", "SHA256SUMS"}
FAULT = "scan-critical"  # SEC-01: a fixable CRITICAL CVE in the Trivy report, no waiver (reports only)
# Workflow expressions the test resolves; any other `${{ ... }}` in a value it needs fails the test.
_EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass
class StepRun:
    name: str
    returncode: int | None  # None: not run (an earlier step failed and its condition says skip)
    output: str


@dataclass
class JobRun:
    recipe: str
    workspace: Path
    env: dict[str, str]
    steps: list[StepRun] = field(default_factory=list)
    summary: str = ""
    job: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(s.returncode not in (0, None) for s in self.steps)

    @property
    def output(self) -> str:
        return "\n".join(f"--- {s.name}: exit {s.returncode}\n{s.output}" for s in self.steps)

    @property
    def bundle(self) -> Path:
        return self.workspace / self.env["NESTGATE_BUNDLE"]

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


# -- the runners' side ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nestgate_repo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A git repository of this working tree as it is now (committed or not), on branch REF: the
    recipe clones it as it would clone nestgate's."""
    repo = tmp_path_factory.mktemp("nestgate-remote") / "nestgate"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".testbed", "reports", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache"))
    git = ["git", "-C", str(repo), "-c", "user.name=selftest", "-c", "user.email=selftest@invalid"]
    for args in (["init", "-q", "-b", REF], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run([*git, *args], check=True, capture_output=True, timeout=120)
    return repo.as_uri()


def _runner_env(extra: dict[str, str]) -> dict[str, str]:
    """A runner's environment: this machine's, less what the self-test's own pytest and venv put there,
    with the base interpreter on PATH (what setup-python, or the shell runner's python3, gives)."""
    drop = ("NESTGATE_", "PYTEST_", "GITHUB_", "GITLAB_", "CI_", "RUNNER_")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(drop) and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CI")}
    own_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != own_bin]
    env["PATH"] = os.pathsep.join([str(Path(sys._base_executable).parent), *path])
    return {**env, "CI": "true", **extra}


def _bash(script: str, cwd: Path, env: dict[str, str], *flags: str) -> tuple[int, str]:
    try:
        proc = subprocess.run(["bash", "--noprofile", "--norc", *flags, "-c", script], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:  # a failed step that says why, not a hung self-test
        said = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return -1, f"{said}\n(step still running after {STEP_TIMEOUT_S} s: stopped)"
    return proc.returncode, proc.stdout + proc.stderr


def _edited(variables: dict[str, Any], config: Path, repo: str) -> dict[str, str]:
    """The recipe's variables with the three a user edits set to this machine's values."""
    edits = {"NESTGATE_REPO": repo, "NESTGATE_REF": REF, "NESTGATE_CONFIG": str(config)}
    missing = sorted(set(edits) - set(variables))
    assert not missing, f"the recipe does not declare {missing}"
    return {**{k: str(v) for k, v in variables.items()}, **edits}


def _expression(text: str, context: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        assert m.group(1) in context, f"expression the self-test cannot resolve: {m.group(0)}"
        return context[m.group(1)]

    return _EXPR.sub(one, text)


def run_github(recipe: Path, tmp: Path, config: Path, repo: str) -> JobRun:
    workflow = yaml.safe_load(recipe.read_text())
    [job] = workflow["jobs"].values()
    assert job.get("defaults", {}).get("run", {}).get("shell") == "bash", "run steps must say shell: bash"
    workspace, temp = tmp / "work" / "medianest", tmp / "runner-temp"
    for d in (workspace, temp):
        d.mkdir(parents=True)
    summary = tmp / "step_summary.md"
    summary.write_text("")
    runner = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(temp),
              "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ENV": str(tmp / "github_env"),
              "GITHUB_PATH": str(tmp / "github_path"), "GITHUB_OUTPUT": str(tmp / "github_output"),
              "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1", "RUNNER_OS": "Linux"}
    context = {"github.workspace": str(workspace), "runner.temp": str(temp), "github.run_id": "4242",
               "github.run_attempt": "1"}
    job_env = _edited({**workflow.get("env", {}), **job.get("env", {})}, config, repo)
    context |= {f"env.{k}": _expression(v, context) for k, v in job_env.items()}
    run = JobRun("github", workspace, {k: _expression(v, context) for k, v in job_env.items()}, job=job)
    for i, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {i + 1}"
        if "uses" in step:
            continue  # runner plumbing: stood in for (checkout, Python) or checked below (the uploads)
        condition = str(step.get("if", "")).strip()
        if condition:
            assert condition in ("${{ !cancelled() }}", "${{ always() }}"), f"{name}: unknown if: {condition}"
        elif run.failed:
            run.steps.append(StepRun(name, None, "skipped: an earlier step failed"))
            continue
        assert "${{" not in step["run"], f"{name}: an expression inside run: (use the env variable)"
        env = _runner_env({**runner, **run.env, **{k: _expression(str(v), context)
                                                   for k, v in step.get("env", {}).items()}})
        code, out = _bash(step["run"], workspace / step.get("working-directory", "."), env, "-eo", "pipefail")
        run.steps.append(StepRun(step.get("id") or name, code, out))
    run.summary = summary.read_text()
    return run


def run_gitlab(recipe: Path, tmp: Path, config: Path, repo: str) -> JobRun:
    pipeline = yaml.safe_load(recipe.read_text())
    [(name, job)] = [(k, v) for k, v in pipeline.items() if isinstance(v, dict) and "script" in v]
    builds = tmp / "builds"
    project = builds / "group" / "medianest"
    project.mkdir(parents=True)
    runner = {"GITLAB_CI": "true", "CI_PROJECT_DIR": str(project), "CI_BUILDS_DIR": str(builds),
              "CI_JOB_ID": "4242", "CI_JOB_NAME": name, "CI_PIPELINE_ID": "77", "CI_SERVER": "yes"}
    variables = _edited({**pipeline.get("variables", {}), **job.get("variables", {})}, config, repo)

    def expand(value: str) -> str:  # GitLab expands $VAR and ${VAR} of variables inside variables
        def one(m: re.Match[str]) -> str:
            key = m.group(1) or m.group(2)
            assert key in runner, f"variable the self-test does not set: {m.group(0)} in {value}"
            return runner[key]

        return _VAR.sub(one, value)

    run = JobRun("gitlab", project, {k: expand(v) for k, v in variables.items()}, job=job)
    env = _runner_env({**runner, **run.env})
    for part in ("before_script", "script", "after_script"):
        lines = job.get(part, [])
        if not lines:
            continue
        # the shell executor runs a part as one bash script that stops at the first failing line
        code, out = _bash("\n".join(lines), project, env, "-eo", "pipefail")
        run.steps.append(StepRun(part, code, out))
        if part == "before_script" and code:
            break
    return run


RUNNERS = {"github": ("github-actions.yml", run_github), "gitlab": ("gitlab-ci.yml", run_gitlab)}


def _job(recipe: str, tmp: Path, testbed: Any, repo: str) -> JobRun:
    file, runner = RUNNERS[recipe]
    return runner(RECIPES / file, tmp, testbed.config_path, repo)


@pytest.fixture(scope="module")
def clean_jobs(testbed: Any, nestgate_repo: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, JobRun]:
    return {r: _job(r, tmp_path_factory.mktemp(f"{r}-clean"), testbed, nestgate_repo) for r in RUNNERS}


@pytest.fixture(scope="module")
def fault_jobs(testbed: Any, nestgate_repo: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, JobRun]:
    with testbed.fault(FAULT):
        return {r: _job(r, tmp_path_factory.mktemp(f"{r}-fault"), testbed, nestgate_repo) for r in RUNNERS}


# -- what the jobs must do ---------------------------------------------------------------------------
def _gate_exit(run: JobRun) -> int | None:
    return run.step("gate" if run.recipe == "github" else "script").returncode


@pytest.mark.parametrize("recipe", RUNNERS)
def test_job_passes_on_the_clean_stack(clean_jobs, recipe):
    run = clean_jobs[recipe]
    assert run.steps and all(s.returncode == 0 for s in run.steps), run.output
    assert re.search(r"^security\s+GO\s", run.output, re.MULTILINE), run.output
    assert re.search(r"^nestgate \d+\.\d+", run.output, re.MULTILINE), run.output  # the job's venv answers
    if recipe == "github":  # installed into the job's venv, not linked to this working tree
        [installed] = (run.workspace.parents[1] / "runner-temp").glob("nestgate-venv/lib/python*/site-packages")
        assert (installed / "nestgate" / "__init__.py").is_file() and not list(installed.glob("__editable__*"))


@pytest.mark.parametrize("recipe", RUNNERS)
def test_bundle_is_at_the_stable_path_the_recipe_names(clean_jobs, recipe):
    run = clean_jobs[recipe]
    bundle = run.bundle
    assert not Path(run.env["NESTGATE_BUNDLE"]).is_absolute()  # in the checkout, where uploads look
    assert bundle.is_dir(), run.output
    assert {p.name for p in bundle.iterdir()} >= BUNDLE_FILES, sorted(p.name for p in bundle.iterdir())
    verify_bundle(bundle)
    assert f"nestgate evidence: {bundle} (manifest verified)" in run.output
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert "findings.sarif" in manifest["files"] and "junit.xml" in manifest["files"]
    assert ("gl-code-quality-report.json" in manifest["files"]) == (recipe == "gitlab")


def test_github_uploads_and_reports_point_at_the_bundle(clean_jobs):
    run = clean_jobs["github"]
    uses = {s["uses"].split("@")[0]: s for s in run.job["steps"] if "uses" in s}
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact", "mikepenz/action-junit-report",
            "github/codeql-action/upload-sarif"} <= set(uses), sorted(uses)
    context = {"env.NESTGATE_BUNDLE": run.env["NESTGATE_BUNDLE"], "env.NESTGATE_GATES": run.env["NESTGATE_GATES"],
               "github.run_id": "4242", "github.run_attempt": "1"}
    paths = {"actions/upload-artifact": "path", "mikepenz/action-junit-report": "report_paths",
             "github/codeql-action/upload-sarif": "sarif_file"}
    for action, key in paths.items():
        step = uses[action]
        assert str(step.get("if")) == "${{ !cancelled() }}", f"{action} must run on NO-GO too"
        target = run.workspace / _expression(step["with"][key], context)
        assert target.exists(), f"{action} {key}: {target} does not exist"
    assert (run.workspace / _expression(uses["actions/upload-artifact"]["with"]["path"], context)) == run.bundle


def test_github_job_summary_gets_the_verdict(clean_jobs):
    summary = clean_jobs["github"].summary
    assert summary.startswith("## nestgate: GO\n"), summary
    assert "| security (Security Validation (CRITICAL)) | GO |" in summary, summary


def test_gitlab_artifacts_and_reports_point_at_the_bundle(clean_jobs):
    run = clean_jobs["gitlab"]
    artifacts = run.job["artifacts"]
    assert artifacts["when"] == "always"  # the evidence of a NO-GO is kept too
    assert artifacts["paths"] == [run.env["NESTGATE_BUNDLE"] + "/"]
    reports = artifacts["reports"]
    assert set(reports) == {"junit", "codequality"}
    for kind, rel in reports.items():
        assert (run.workspace / rel).is_file(), f"artifacts:reports:{kind}: {rel} missing\n{run.output}"
        assert (run.workspace / rel).parent == run.bundle
    assert json.loads((run.bundle / "gl-code-quality-report.json").read_text()) == []  # clean: no issues
    assert not Path(run.env["NESTGATE_HOME"]).exists()  # after_script cleaned up outside the project


@pytest.mark.parametrize("recipe", RUNNERS)
def test_a_seeded_fault_fails_the_job_at_the_gate(fault_jobs, recipe):
    run = fault_jobs[recipe]
    assert _gate_exit(run) == 1 and run.failed, run.output  # pytest's: tests failed, NO-GO
    assert re.search(r"^security\s+NO-GO\s", run.output, re.MULTILINE), run.output
    assert "SEC-01" in run.output
    verify_bundle(run.bundle)  # the NO-GO's evidence is kept, at the same path
    if recipe == "github":
        assert run.step("Verify the evidence bundle").returncode == 0, run.output  # ran despite the failure
        assert any(line.startswith("::error") and "title=SEC-01::" in line for line in run.output.splitlines()), \
            run.output
        assert run.summary.startswith("## nestgate: NO-GO\n"), run.summary
    else:  # the job's status is the gate's, not the bundle check's: that one passed
        assert f"nestgate verify: {run.bundle}: verified" in run.output, run.output
        issues = json.loads((run.bundle / "gl-code-quality-report.json").read_text())
        assert {i["check_name"] for i in issues} == {"SEC-01"}, issues

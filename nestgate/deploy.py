"""`nestgate deploy`: run the gates, deploy only on a full pass, check after, roll back on failure.

    nestgate deploy --gate security --gate build [--post-gate infra|INF-04 ...]
                    [--rollback "docker service rollback ..." [--rollback-drill]]
                    -- docker stack deploy -c ... medianest

0. The deploy manifest is recorded (nestgate.gate.deploy_manifest): compose and env file hashes, the
   resolved model's hash, the image ID of every image, the secrets' and networks' creation times.
   DEPLOY_CMD must deploy exactly the judged compose files to the target stack
   (nestgate.gate.deploy_command), unless --opaque-command says it cannot be read (recorded).
1. The selected gates run in a pytest subprocess that writes its evidence bundle; nestgate chooses
   its plugins, options and environment (nestgate.gate.invocation). DEPLOY_CMD runs only when that
   run fully passed (see nestgate.gate.run_check): every control of each selected gate ran on each of
   its sides for every subject, no failure, no error, no unwaived skip, the coverage asked for
   (whole gates unless --side/--control), pytest exit 0, the bundle written and its hashes verified.
2. The manifest is recorded again: any difference refuses the deploy, naming what changed. Then
   DEPLOY_CMD runs as given (no shell).
3. The post-deploy gate (default: the infra health controls INF-04 and INF-06), and every running
   task on the image ID judged for its service, is retried until it passes or --post-gate-deadline
   runs out (a stack needs a moment to converge).
4. If it fails, --rollback runs (through `sh -c`); the rollback time is measured from its start
   until the post-deploy gate passes again, against [infra].rollback_limit_s (5 minutes), and
   recorded as INF-08 evidence in rollback.json (kind "rollback").
5. --rollback-drill: when the post-deploy gate passed, a deliberate rollback drill: --rollback runs,
   timed the same way until the post-deploy gate passes again with some task on an image other than
   the one judged (restored, to the previous release). Then the deploy rolls forward: DEPLOY_CMD runs
   again (the manifest checked first) and the post-deploy gate must pass on the judged images.
   Recorded in rollback.json (kind "drill"); INF-08 counts such a drill as the rollback procedure
   tested ([infra.rollback].drill_max_age_days, drill_reports).

Everything lands in reports/<timestamp>-deploy-<gates>/: gate/, post-gate-N/, rollback-check-N/
(a drill: drill-check-N/, drill-forward-check-N/) bundles, deploy-manifest.json, deploy.json (every
step), rollback.json (INF-08), manifest.json (SHA-256 of each file), SHA256SUMS (the same for
`sha256sum -c`, manifest.json included) and, with --sign-key, SHA256SUMS.sig (`nestgate verify`).

Exit codes:
    0   deployed: gates passed, DEPLOY_CMD succeeded, the post-deploy gate passed (and with --rollback-drill,
        the drill restored the stack within the limit and rolled forward)
    2   usage error, nothing ran: bad arguments, a bad target config or waiver file, an extra pytest
        argument that could change what runs, PYTEST_*/PYTHON* environment that would change the gate
    10  gate refused, or DEPLOY_CMD is not the deploy that was gated: DEPLOY_CMD was not run
    11  deploy failed: DEPLOY_CMD exited non-zero, could not start or timed out (no rollback)
    12  post-deploy gate failed and the rollback restored it within the limit
    13  post-deploy gate failed and the rollback failed (command failed, or not restored in time)
    14  post-deploy gate failed and no --rollback was given
    15  deployed, but the rollback drill failed: not restored within the limit, or the roll forward did not
        pass (rollback.json and deploy.json say which; the stack may run the previous release)
    130 interrupted (SIGINT/SIGTERM): whatever had not started does not run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nestgate import deploy_integrity
from nestgate.catalog import CONTROLS, GATES
from nestgate.config import LoadedConfig, config_path, load_config
from nestgate.drills import rollback_drill
from nestgate.errors import NestgateError
from nestgate.gate import deploy_manifest
from nestgate.gate.bundle import (
    BundleError,
    check_sign_key,
    create_bundle_dir,
    read_json,
    sha256_file,
    sign_sums,
    write_tree_manifest,
)
from nestgate.gate.deploy_command import Opaque, command_problems, parse
from nestgate.gate.evidence import Evidence
from nestgate.gate.invocation import Invocation, check_extra_args, gate_argv, gate_environment
from nestgate.gate.options import WAIVERS_ENV
from nestgate.gate.run_check import gate_run_problems, gate_run_summary
from nestgate.gate.waivers import load_waivers
from nestgate.paths import project_dir, suites_root
from nestgate.probes.rollback_record import DEPLOY_RECORDS
from nestgate.progress import configure_cli_logging
from nestgate.progress import step as progress_step
from nestgate.redact import REDACTOR, install_log_scrubber, register_config_secrets

DEPLOYED, USAGE, REFUSED, DEPLOY_FAILED, ROLLED_BACK, ROLLBACK_FAILED, NO_ROLLBACK, DRILL_FAILED, INTERRUPTED = (
    0, 2, 10, 11, 12, 13, 14, 15, 130)
DEFAULT_POST_GATE = ["INF-04", "INF-06"]
LOG = logging.getLogger(__name__)
GRACE_S = 30  # after forwarding SIGINT, how long a child gets to write its report


class Interrupted(Exception):
    pass


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


@dataclass
class Step:
    name: str
    argv: list[str]
    returncode: int | None = None
    duration_s: float = 0.0
    bundle: str | None = None
    problems: list[str] = field(default_factory=list)
    coverage: dict[str, str] = field(default_factory=dict)  # gate -> "full" or the coverage mode
    waivers_used: list[dict[str, Any]] = field(default_factory=list)


def _say(text: str) -> None:
    print(f"nestgate deploy: {REDACTOR.scrub(text)}", flush=True)


def run_child(argv: list[str], cwd: Path, timeout_s: float, env: dict[str, str] | None = None) -> tuple[int, float]:
    """Run a child in its own session; SIGINT to us is forwarded, a timeout kills its group."""
    started = time.monotonic()
    try:
        # The child gets SIGINT's default action even where ours was inherited as ignored (a job started
        # with `&` by a non-interactive shell): the SIGINT we forward must end it with its report.
        proc = subprocess.Popen(argv, cwd=cwd, start_new_session=True, env=env, preexec_fn=_default_sigint)
    except OSError as exc:
        _say(f"cannot start {argv[0]}: {exc.strerror or exc}")
        return 127, 0.0
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _say(f"{argv[0]} still running after {timeout_s:g} s: killed")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return -signal.SIGKILL, time.monotonic() - started
    except (KeyboardInterrupt, Interrupted):
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        raise Interrupted(f"interrupted while running {argv[0]}") from None
    return proc.returncode, time.monotonic() - started


@dataclass
class Selection:
    gates: list[str]
    controls: list[str]
    side: str | None = None  # declared or runtime: a side-only run, asked for explicitly

    @classmethod
    def parse(cls, words: list[str]) -> Selection:
        controls = [w for w in words if w in CONTROLS]
        gates = [g for g in GATES if g in words or any(CONTROLS[c].gate == g for c in controls)]
        return cls(gates, controls)

    @property
    def mark_expression(self) -> str:
        gates = " or ".join(self.gates)
        return f"({gates}) and {self.side}" if self.side else gates

    def pytest_args(self) -> list[str]:
        args = ["-m", self.mark_expression]
        return [*args, f"--nestgate-controls={','.join(self.controls)}"] if self.controls else args


class Deploy:
    def __init__(self, args: argparse.Namespace, cfg: LoadedConfig, folder: Path, invocation: Invocation) -> None:
        self.args = args
        self.cfg = cfg
        self.folder = folder
        self.invocation = invocation
        self.steps: list[Step] = []
        self.rollback: dict[str, Any] | None = None
        self.started = dt.datetime.now(dt.UTC)
        self.manifest: dict[str, Any] | None = None  # what the gate judges, by identity
        self.binding: list[str] = []  # why the deploy is not the one gated (command, manifest)
        self.signoff: dict[str, Any] | None = None  # the --require-signoff check and what it found
        self.drill_moved: list[str] = []  # a drill's rollback: the tasks it put on another image
        self.integrity_before: deploy_integrity.Snapshot | None = None  # INF-09: the tables before the deploy

    def gate(self, name: str, selection: Selection) -> bool:
        bundle = self.folder / name
        argv = gate_argv(*selection.pytest_args(), f"--target-config={self.cfg.path}", f"--nestgate-bundle={bundle}")
        if self.manifest is not None:  # the bundle's manifest names the deployment it judged
            argv.append(f"--nestgate-deploy-manifest={deploy_manifest.digest(self.manifest)}")
        if self.args.waivers:
            argv.append(f"--waivers={Path(self.args.waivers).resolve()}")
        argv += [f"--numprocesses={self.args.numprocesses}"] if self.args.numprocesses else []
        argv += self.args.pytest_arg
        step = Step(name, argv, bundle=str(bundle))
        self.steps.append(step)
        _say(f"{name}: {' '.join(selection.pytest_args())}")
        step.returncode, step.duration_s = run_child(argv, self.args.suite, self.args.gate_timeout, self.invocation.env)
        step.problems = gate_run_problems(bundle, step.returncode, selection.gates, selection.controls,
                                          selection.mark_expression)
        step.coverage, step.waivers_used = gate_run_summary(bundle)
        for problem in step.problems:
            _say(f"{name}: {problem}")
        for w in step.waivers_used:
            _say(f"{name}: waiver {w.get('id')} (owner {w.get('owner')}, expires {w.get('expires')}) waived "
                 f"{w.get('waived')}")
        partial = [f"{g}: {c}" for g, c in step.coverage.items() if c != "full"]
        verdict = "PASSED" if not step.problems else "NOT PASSED"
        _say(f"{name}: {verdict}{' (' + '; '.join(partial) + ')' if partial else ''} (evidence {bundle})")
        return not step.problems

    def command(self, name: str, argv: list[str], timeout_s: float) -> bool:
        step = Step(name, argv)
        self.steps.append(step)
        _say(f"{name}: {' '.join(argv)}")
        # A deploy or rollback command may print nothing for minutes: heartbeats on stderr say it still runs.
        with progress_step(LOG, f"{name} command"):
            step.returncode, step.duration_s = run_child(argv, Path.cwd(), timeout_s)
        if step.returncode != 0:
            step.problems.append(f"exit status {step.returncode}")
        _say(f"{name}: exit status {step.returncode} after {step.duration_s:.1f} s")
        return step.returncode == 0

    def post_gate(self, label: str, deadline: float, judged_images: bool = True, rolled_back: bool = False) -> bool:
        """Retry the post-deploy gate until it passes or the deadline (monotonic) passes. After a
        deploy it also needs every running task on the image the gate judged (not after a rollback,
        which restores the release before); after a drill's rollback, a task on another image."""
        selection = Selection.parse(self.args.post_gate or DEFAULT_POST_GATE)
        attempt = 0
        while True:
            attempt += 1
            if (self.gate(f"{label}-{attempt}", selection)
                    and (not judged_images or (self.images_judged() and self.integrity_kept()))
                    and (not rolled_back or self.release_changed())):
                return True
            if time.monotonic() + self.args.post_gate_interval > deadline:
                return False
            time.sleep(self.args.post_gate_interval)

    def do_rollback(self) -> bool:
        """The post-deploy gate failed: roll back, timed until it passes again (kind "rollback")."""
        steps = rollback_drill.RollbackSteps(
            f"sh -c {self.args.rollback!r} after a failed post-deploy gate",
            lambda limit: self.command("rollback", ["sh", "-c", self.args.rollback], limit),
            lambda deadline: self.post_gate("rollback-check", deadline, judged_images=False))
        return self._record_rollback(rollback_drill.run(steps, self.cfg.model.infra.rollback_limit_s, "rollback"))

    def do_drill(self) -> bool:
        """The post-deploy gate passed: rehearse the rollback, timed as a real one, then roll forward."""
        steps = rollback_drill.RollbackSteps(
            f"sh -c {self.args.rollback!r} (drill, after a passing post-deploy gate)",
            lambda limit: self.command("drill-rollback", ["sh", "-c", self.args.rollback], limit),
            lambda deadline: self.post_gate("drill-check", deadline, judged_images=False, rolled_back=True),
            self.roll_forward)
        return self._record_rollback(rollback_drill.run(steps, self.cfg.model.infra.rollback_limit_s, "drill"))

    def roll_forward(self) -> bool:
        """DEPLOY_CMD again, only while what it deploys is still what was gated; then the post-deploy gate."""
        if not self.still_what_was_gated():
            return False
        return (self.command("drill-forward", self.args.command, self.args.deploy_timeout)
                and self.post_gate("drill-forward-check", time.monotonic() + self.args.post_gate_deadline))

    def _record_rollback(self, outcome: rollback_drill.Outcome) -> bool:
        """rollback.json: INF-08 evidence (as the KPI report reads it) around the drill record."""
        r = outcome.record
        ev = Evidence(control_id="INF-08", target=self.cfg.model.target.stack)
        ev.source(f"nestgate deploy --rollback {self.args.rollback!r}, then the post-deploy gate until it passed")
        ev.measure(rollback_s=r.seconds, rollback_command_s=outcome.command_s, rollback_command_ok=outcome.command_ok,
                   restored=r.restored, deploy_folder=str(self.folder))
        if r.kind == "drill":
            ev.measure(rolled_forward=r.rolled_forward, tasks_on_previous_release=self.drill_moved)
        ev.limit(rollback_limit_s=r.limit_s)
        self.rollback = {**ev.to_dict(), "passed": outcome.passed, **rollback_drill.record_fields(r)}
        _write_json(self.folder / "rollback.json", REDACTOR.scrub_any(self.rollback))
        what = "rollback drill" if r.kind == "drill" else "rollback"
        forward = "" if r.rolled_forward is None else "; rolled forward" if r.rolled_forward else "; NOT rolled forward"
        _say(f"{what}: {'restored' if r.restored else 'NOT restored'} after {r.seconds:.1f} s "
             f"(limit {r.limit_s:g} s){forward}; INF-08 evidence in {self.folder / 'rollback.json'}")
        return outcome.passed if r.kind == "drill" else r.restored

    def finish(self, code: int, outcome: str) -> int:
        record = {"format": "nestgate-deploy/1", "started": self.started.isoformat(timespec="seconds"),
                  "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "exit_code": code, "outcome": outcome, "deploy_command": self.args.command,
                  "side": self.args.side, "controls": self.args.control, "waivers": self.waivers_record(),
                  "gate_invocation": self.invocation.record, "opaque_command": self.args.opaque_command,
                  "deploy_manifest": self.manifest,
                  "deploy_manifest_sha256": deploy_manifest.digest(self.manifest) if self.manifest else None,
                  "binding_problems": self.binding, "signoff": self.signoff,
                  "notes": next((p.name for p in sorted(self.folder.glob("notes*")) if p.is_file()), None),
                  "steps": [vars(s) for s in self.steps], "rollback": self.rollback}
        _write_json(self.folder / "deploy.json", REDACTOR.scrub_any(record))
        write_tree_manifest(self.folder, "nestgate-deploy/1")
        if self.args.sign_key:  # checked at start-up, so this fails only if the key changed meanwhile
            try:
                sign_sums(self.folder, self.args.sign_key)
            except BundleError as exc:
                _say(f"evidence NOT signed: {exc}")
        _say(f"{outcome} (exit {code}); record {self.folder / 'deploy.json'}")
        return code

    def require_signoff(self) -> None:
        """Each required role has validly signed the completion record; refused (NestgateError) otherwise."""
        from nestgate.completion.signoff import signoff_problems

        roles = [r.strip() for r in self.args.require_signoff.split(",") if r.strip()]
        problems = signoff_problems(self.args.signoff_record, roles, self.args.allowed_signers)
        self.signoff = {"roles": roles, "record": str(self.args.signoff_record.resolve()), "problems": problems}
        for problem in problems:
            _say(f"sign-off: {problem}")
        if problems:
            raise NestgateError(f"sign-off required from {', '.join(roles)}: {len(problems)} problem(s), first: "
                                f"{problems[0]}")
        _say(f"sign-off: {', '.join(roles)} signed {self.args.signoff_record}")

    def waivers_record(self) -> dict[str, Any]:
        used = [w for s in self.steps for w in s.waivers_used]
        return {"file": str(Path(self.args.waivers).resolve()) if self.args.waivers else None,
                "from": self.args.waivers_from, "used": used}

    # -- the binding between what was gated and what gets deployed -------------------------
    def record_manifest(self) -> None:
        """What the gates will judge, by identity. When it cannot be read the gates still run (their
        evidence says why), and the deploy is refused after them."""
        try:
            self.manifest = deploy_manifest.record(self.cfg)
        except NestgateError as exc:
            self.binding.append(f"the deploy manifest could not be recorded: {exc}")
            _say(self.binding[-1])
            return
        _write_json(self.folder / "deploy-manifest.json", REDACTOR.scrub_any(self.manifest))
        _say(f"deploy manifest {deploy_manifest.digest(self.manifest)[:12]}: {len(self.manifest['compose_files'])} "
             f"compose file(s), {len(self.manifest['images'])} image(s), {len(self.manifest['secrets'])} secret(s), "
             f"{len(self.manifest['networks'])} network(s)")

    def command_is_gated(self) -> bool:
        """The deploy command deploys the judged compose files to the target stack (or is opaque, by consent)."""
        assert self.manifest is not None
        if self.args.opaque_command:
            _say("deploy command not checked against the gated files: --opaque-command (recorded)")
            return True
        try:
            command = parse(self.args.command)
        except Opaque as exc:
            self.binding.append(f"deploy command cannot be checked: {exc} (give --opaque-command to deploy it "
                                "unchecked, recorded)")
        else:
            base = Path(command.cwd) if command.cwd else Path.cwd()
            named = [(base / f).resolve() for f in command.files if f != "-"]
            hashes = {str(p): sha256_file(p) for p in named if p.is_file()}
            self.binding += command_problems(command, Path.cwd(), self.manifest["compose_files"],
                                             self.cfg.model.target.stack, hashes)
        return self._report_binding()

    def still_what_was_gated(self) -> bool:
        """Recompute the manifest just before the deploy: anything changed refuses it."""
        if self.manifest is not None:
            try:
                self.binding += deploy_manifest.differences(self.manifest, deploy_manifest.record(self.cfg))
            except NestgateError as exc:
                self.binding.append(f"the deploy manifest could not be recorded again: {exc}")
        return self._report_binding()

    def images_judged(self) -> bool:
        assert self.manifest is not None
        problems = deploy_manifest.running_image_problems(self.cfg, self.manifest)
        self.steps[-1].problems += problems
        for problem in problems:
            _say(f"{self.steps[-1].name}: {problem}")
        return not problems

    def release_changed(self) -> bool:
        """A drill's rollback took effect: some running task runs an image other than the one judged
        (the previous release). A rollback command that changed nothing rehearsed nothing."""
        assert self.manifest is not None
        self.drill_moved = [p for p in deploy_manifest.running_image_problems(self.cfg, self.manifest)
                            if " runs image " in p]
        if not self.drill_moved:
            self.steps[-1].problems.append("every running task still runs the image the gate judged: "
                                           "the rollback changed nothing (yet)")
            _say(f"{self.steps[-1].name}: {self.steps[-1].problems[-1]}")
        return bool(self.drill_moved)

    # -- INF-09 before/after (nestgate/deploy_integrity.py), when the post-deploy gate runs INF-09 ----------
    def integrity_snapshot(self) -> bool:
        """Before DEPLOY_CMD: every table's rows and checksum; unreadable refuses (no comparison after)."""
        selection = Selection.parse(self.args.post_gate or DEFAULT_POST_GATE)
        if not deploy_integrity.selected(selection.gates, selection.controls):
            return True
        step = Step("integrity-before", [])
        self.steps.append(step)
        try:
            self.integrity_before = deploy_integrity.integrity_snapshot(self.cfg, self.folder)
        except NestgateError as exc:
            step.problems.append(f"the tables could not be read before the deploy: {exc}")
            _say(f"INF-09: {step.problems[-1]}")
            return False
        _say(f"INF-09: {len(self.integrity_before)} table(s) snapshotted before the deploy "
             f"({self.folder / deploy_integrity.BEFORE})")
        return True

    def integrity_kept(self) -> bool:
        """After DEPLOY_CMD: no table lost rows since the snapshot (INF-09 evidence per check)."""
        if self.integrity_before is None:
            return True
        step = self.steps[-1]
        problems = deploy_integrity.integrity_after(self.cfg, self.folder, self.integrity_before, step.name)
        step.problems += problems
        for problem in problems:
            _say(f"{step.name}: {problem}")
        return not problems
    # -- end INF-09 ------------------------------------------------------------------------------------------

    def _report_binding(self) -> bool:
        for problem in self.binding:
            _say(f"not the deploy that was gated: {problem}")
        return not self.binding

    def run(self) -> int:
        self.record_manifest()
        if self.manifest is not None and not self.command_is_gated():
            return self.finish(REFUSED, "deploy refused: DEPLOY_CMD is not the deploy that was gated")
        if not self.gate("gate", Selection(self.args.gate, self.args.control, self.args.side)):
            return self.finish(REFUSED, "gate refused: DEPLOY_CMD not run")
        if not self.still_what_was_gated():
            why = "changed after the gate judged it" if self.manifest else "could not be recorded"
            return self.finish(REFUSED, f"deploy refused: what would be deployed {why}")
        if not self.integrity_snapshot():
            return self.finish(REFUSED, "deploy refused: INF-09 could not snapshot the tables before the deploy")
        if not self.command("deploy", self.args.command, self.args.deploy_timeout):
            return self.finish(DEPLOY_FAILED, "deploy failed")
        if self.post_gate("post-gate", time.monotonic() + self.args.post_gate_deadline):
            if not self.args.rollback_drill:
                return self.finish(DEPLOYED, "deployed")
            if self.do_drill():
                return self.finish(DEPLOYED, "deployed; rollback drill restored the stack and rolled forward")
            return self.finish(DRILL_FAILED, "deployed, but the rollback drill FAILED")
        if not self.args.rollback:
            return self.finish(NO_ROLLBACK, "post-deploy gate failed; no --rollback given")
        if self.do_rollback():
            return self.finish(ROLLED_BACK, "post-deploy gate failed; rolled back")
        return self.finish(ROLLBACK_FAILED, "post-deploy gate failed; ROLLBACK FAILED")


def read_notes(path: Path) -> str:
    """The deployment notes: a readable, non-empty UTF-8 text file (a user error otherwise)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise NestgateError(f"--notes {path}: cannot read it as UTF-8 text ({why})") from None
    if not text.strip():
        raise NestgateError(f"--notes {path}: empty; deployment notes must say something")
    return text


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def latest_rollback_drill(reports: Path) -> dict[str, Any] | None:
    """The newest rollback drill's INF-08 evidence under `reports`, for the INF-08 control."""
    drills = sorted(reports.glob(DEPLOY_RECORDS))
    return read_json(drills[-1]) if drills else None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nestgate deploy", description=__doc__.split("\n\n")[0],
                                epilog=__doc__[__doc__.index("Exit codes:"):],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gate", action="append", required=True, choices=list(GATES), help="gate to pass first")
    p.add_argument("--control", action="append", default=[], choices=list(CONTROLS), metavar="ID",
                   help="run only these controls of the selected gates (partial coverage, recorded)")
    p.add_argument("--side", choices=["declared", "runtime"],
                   help="run only this side of the gates (partial coverage, recorded): e.g. declared before the "
                   "stack exists")
    p.add_argument("--post-gate", action="append", default=[], metavar="GATE|ID",
                   help=f"post-deploy gate or control (default: {', '.join(DEFAULT_POST_GATE)})")
    p.add_argument("--rollback", metavar="CMD", help="shell command that rolls the deploy back")
    p.add_argument("--rollback-drill", action="store_true",
                   help="after a passing post-deploy gate, rehearse --rollback: timed until the post-deploy gate "
                   "passes again, then roll forward (DEPLOY_CMD again); recorded for INF-08 in rollback.json")
    p.add_argument("--opaque-command", action="store_true",
                   help="run a DEPLOY_CMD nestgate cannot read (not docker stack deploy / docker compose up) "
                   "without checking it deploys the gated files (recorded)")
    p.add_argument("--target-config", metavar="PATH",
                   help="target config TOML (default: $NESTGATE_CONFIG, else nestgate.toml in --suite if given, else "
                   "in the project directory: the checkout, or the working directory of an installed nestgate)")
    p.add_argument("--waivers", metavar="PATH", help="waiver file (TOML [[waiver]] entries; default: "
                   f"${WAIVERS_ENV})")
    p.add_argument("--sign-key", metavar="KEY", help="OpenSSH private key (or public key with ssh-agent): sign the "
                   "deploy folder's SHA256SUMS with ssh-keygen -Y sign -n nestgate (see nestgate verify)")
    p.add_argument("--suite", type=Path, default=None, metavar="DIR",
                   help="directory holding the tests_<gate>/ suites (default: nestgate's own, installed or checkout)")
    p.add_argument("--reports", type=Path, metavar="DIR", help="parent of the deploy folder (default: reports/ in "
                   "--suite if given, else in the project directory)")
    p.add_argument("-n", "--numprocesses", metavar="N", help="pytest-xdist workers for each gate run: a count "
                   "or auto")
    p.add_argument("--pytest-arg", action="append", default=[], metavar="ARG",
                   help="extra pytest argument that changes only what is shown (-v, --tb=short, ...)")
    p.add_argument("--gate-timeout", type=float, default=3600.0, metavar="SECONDS",
                   help="seconds each gate run (pytest subprocess) may take before it is stopped (default: 3600)")
    p.add_argument("--deploy-timeout", type=float, default=3600.0, metavar="SECONDS",
                   help="seconds DEPLOY_CMD (each run, roll forward included) may take before it is stopped "
                   "(default: 3600)")
    p.add_argument("--post-gate-deadline", type=float, default=120.0, metavar="SECONDS",
                   help="seconds the post-deploy gate is retried while the stack converges (default: 120)")
    p.add_argument("--post-gate-interval", type=float, default=5.0, metavar="SECONDS",
                   help="seconds between post-deploy gate attempts (default: 5)")
    p.add_argument("--require-signoff", default="", metavar="ROLES",
                   help="comma-separated roles (deployment-lead, security-lead, operations-lead, product-manager) "
                   "that must have signed --signoff-record (nestgate signoff), each by a key --allowed-signers lists "
                   "for that role; refused (exit 10) otherwise, before anything runs")
    p.add_argument("--allowed-signers", type=Path, metavar="FILE", help="OpenSSH allowed-signers file for "
                   "--require-signoff: each key line's principals are the roles it may sign for")
    p.add_argument("--signoff-record", type=Path, metavar="DIR", help="the signed completion record "
                   "(nestgate complete) that --require-signoff checks")
    p.add_argument("--notes", type=Path, metavar="FILE",
                   help="deployment notes (text): kept in the deploy folder as notes<suffix>, hashed with the rest; "
                   "the completion record's \"deployment notes\" box (nestgate complete) reads them there")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress lines on stderr (heartbeats while a command runs), only warnings")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- DEPLOY_CMD ...")
    return p


def main(argv: list[str]) -> int:
    p = parser()
    args = p.parse_args(argv)
    args.command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not args.command:
        p.error("give the deploy command after --")
    if args.require_signoff and not (args.allowed_signers and args.signoff_record):
        p.error("--require-signoff needs --allowed-signers FILE and --signoff-record DIR")
    if args.rollback_drill and not args.rollback:
        p.error("--rollback-drill needs --rollback CMD (the rollback it rehearses)")
    bad_post = [w for w in args.post_gate if w not in GATES and w not in CONTROLS]
    if bad_post:
        p.error(f"--post-gate: not a gate or control ID: {', '.join(bad_post)}")
    outside = [c for c in args.control if CONTROLS[c].gate not in args.gate]
    if outside:
        p.error(f"--control: {', '.join(outside)} not in the selected gates ({', '.join(args.gate)})")
    # --suite is also where nestgate.toml and reports/ are by default; without it, the project directory is
    args.home = args.suite.resolve() if args.suite else project_dir()
    args.suite = args.suite.resolve() if args.suite else suites_root()
    args.waivers_from = "--waivers" if args.waivers else None
    if not args.waivers and os.environ.get(WAIVERS_ENV):
        args.waivers, args.waivers_from = os.environ[WAIVERS_ENV], f"${WAIVERS_ENV}"
    try:  # the user's input: any problem is a usage error (exit 2) and nothing runs
        cfg = load_config(config_path(args.target_config, args.home))
        register_config_secrets(cfg.model, cfg.resolve)
        REDACTOR.add_secret_env()
        install_log_scrubber()
        configure_cli_logging(quiet=args.quiet)
        invocation = gate_environment(os.environ)
        check_extra_args(args.pytest_arg)
        if args.sign_key:
            args.sign_key = check_sign_key(args.sign_key)
        args.notes_text = read_notes(args.notes) if args.notes else None
        if args.waivers:
            load_waivers(Path(args.waivers), max_days=cfg.model.waivers.max_days)  # refuse before anything runs
    except NestgateError as exc:
        _say(f"usage error, nothing ran: {exc}")
        return USAGE
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited as ignored
    deploy = None
    try:
        folder = create_bundle_dir((args.reports or args.home / "reports").resolve(), "deploy-" + "-".join(args.gate))
        deploy = Deploy(args, cfg, folder, invocation)
        if args.require_signoff:
            deploy.require_signoff()
        if args.notes_text is not None:  # redacted like every other file of the folder
            (folder / f"notes{args.notes.suffix or '.txt'}").write_text(REDACTOR.scrub(args.notes_text),
                                                                        encoding="utf-8")
        return deploy.run()
    except NestgateError as exc:
        _say(f"gate refused: {exc}")
        return deploy.finish(REFUSED, f"gate refused: {exc}") if deploy else REFUSED
    except (KeyboardInterrupt, Interrupted) as exc:
        _say(f"interrupted ({exc or 'SIGINT'}); nothing further runs")
        return deploy.finish(INTERRUPTED, f"interrupted: {exc or 'SIGINT'}") if deploy else INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)

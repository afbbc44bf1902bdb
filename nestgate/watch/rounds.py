"""One controls round: the watch's controls as a `python -m pytest` subprocess with its own evidence
bundle under <evidence_dir>/rounds/, read back from the verified bundle into the history.

The round runs beside the sampler (the loop polls it), so a slow round never delays a sample.
A round that crashes, times out, is interrupted, writes no verified bundle or selects nothing is
recorded as failed with the reason; each selected control without a record gets an "error" row.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from nestgate.catalog import CONTROLS, GATES
from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError
from nestgate.gate.bundle import create_bundle_dir, verify_bundle
from nestgate.gate.invocation import gate_argv, gate_environment
from nestgate.gate.run_check import exit_meaning, gate_run_problems
from nestgate.paths import suites_root
from nestgate.probes.readers.timestamps import parse_time
from nestgate.redact import REDACTOR
from nestgate.watch.history import History, Result

GRACE_S = 20.0  # after SIGINT, how long an interrupted round gets to write its report
OUTPUT_TAIL = 2000  # bytes of pytest's output quoted when a round fails without a bundle


@dataclass(frozen=True)
class Selection:
    controls: list[str]
    marker: str = ""  # extra -m expression, ANDed with the controls' gates

    @property
    def gates(self) -> list[str]:
        return [g for g in GATES if any(CONTROLS[c].gate == g for c in self.controls)]

    @property
    def mark_expression(self) -> str:
        gates = " or ".join(self.gates)
        return f"({gates}) and ({self.marker})" if self.marker.strip() else gates

    def pytest_args(self) -> list[str]:
        return ["-m", self.mark_expression, f"--nestgate-controls={','.join(self.controls)}"]

    def describe(self) -> str:
        return f"{','.join(self.controls)} -m {self.mark_expression!r}"


def selection_for(cfg: LoadedConfig, marker: str | None = None) -> Selection:
    watch = cfg.model.watch
    return Selection(list(watch.controls), watch.marker if marker is None else marker)


class Round:
    """A started round. poll() until it returns the verdict; abort() on shutdown."""

    def __init__(self, history: History, cfg: LoadedConfig, selection: Selection, started: float,
                 suite: Path | None = None) -> None:
        self.history = history
        self.selection = selection
        self.timeout_s = cfg.model.watch.round_timeout_s
        self.started = started
        self._t0 = time.monotonic()
        self.run_id = history.start_run(started, selection.describe())
        self.proc: subprocess.Popen[bytes] | None = None
        self.verdict: str | None = None
        self.bundle: Path | None = None
        self.output: Path | None = None
        self._out: IO[bytes] | None = None
        try:
            self.bundle = create_bundle_dir(cfg.resolve(cfg.model.watch.evidence_dir) / "rounds", f"run{self.run_id}")
            self.output = self.bundle.with_name(self.bundle.name + ".log")
            self._out = self.output.open("wb")
            argv = gate_argv("-q", *selection.pytest_args(), f"--target-config={cfg.path}",
                             f"--nestgate-bundle={self.bundle}")
            env = gate_environment(os.environ).env  # refuses what would change the round (checked at start too)
            # the suites' folder: its pytest settings select tests_<gate>/ (checkout or installed)
            self.proc = subprocess.Popen(argv, cwd=suite or suites_root(), stdin=subprocess.DEVNULL, stdout=self._out,
                                         stderr=subprocess.STDOUT, start_new_session=True, env=env)
        except (NestgateError, OSError) as exc:
            self._finish(None, f"round not started: {exc}")

    @property
    def done(self) -> bool:
        return self.verdict is not None

    def poll(self) -> str | None:
        """The verdict once the round has finished (and is recorded); None while it runs."""
        if self.done or self.proc is None:
            return self.verdict
        code = self.proc.poll()
        if code is None:
            if time.monotonic() - self._t0 <= self.timeout_s:
                return None
            self._kill()
            return self._finish(self.proc.returncode, f"timed out after {self.timeout_s:g} s (killed)")
        return self._finish(code, None)

    def abort(self, why: str) -> str:
        """Stop a running round (SIGINT, then SIGKILL after a grace) and record it as failed."""
        if self.done or self.proc is None:
            return self.verdict or ""
        if self.proc.poll() is None:
            self._signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                self._kill()
        return self._finish(self.proc.returncode, f"interrupted: {why}")

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def _kill(self) -> None:
        assert self.proc is not None
        self._signal(signal.SIGKILL)
        self.proc.wait()

    def _finish(self, code: int | None, failure: str | None) -> str:
        if self._out is not None:
            self._out.close()
        finished = time.time()
        problems = [failure] if failure else []
        records: list[dict] = []
        if self.bundle is not None and code is not None:
            problems += gate_run_problems(self.bundle, code, self.selection.gates, self.selection.controls,
                                          self.selection.mark_expression)
            try:
                records = verify_bundle(self.bundle)["controls"]
            except NestgateError:
                records = []  # gate_run_problems named why
            if not records and not failure:
                problems.append(f"pytest exit status {code} ({exit_meaning(code)}): {self._output_tail()}")
        record_results(self.history, self.run_id, records, self.selection.controls, finished,
                       "; ".join(problems) or "no record")
        verdict = "GO" if not problems else REDACTOR.scrub("NO-GO: " + "; ".join(dict.fromkeys(problems)))[:2000]
        self.history.finish_run(self.run_id, finished, code if code is not None else -1, verdict)
        self.verdict = verdict
        return verdict

    def _output_tail(self) -> str:
        try:
            raw = self.output.read_bytes()[-OUTPUT_TAIL:] if self.output else b""
        except OSError:
            return "no output"
        lines = [ln for ln in raw.decode("utf-8", "replace").splitlines() if ln.strip()]
        return REDACTOR.scrub(" | ".join(lines[-3:])) or "no output"

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.history.results(self.started):
            if r.run_id == self.run_id:
                out[r.outcome] = out.get(r.outcome, 0) + 1
        return out


def record_results(history: History, run_id: int, records: list[dict], controls: list[str], now: float,
                   missing_reason: str) -> None:
    """One results row per control test of the bundle; a selected control with none gets an error row."""
    for rec in records:
        stamp = parse_time(rec.get("timestamp"))
        history.add_result(Result(
            run_id=run_id, ts=stamp.timestamp() if stamp else now, control=str(rec.get("control_id", "")),
            test_id=str(rec.get("nodeid", "")), outcome=str(rec.get("outcome", "error")),
            duration_s=rec.get("duration_s"), message=REDACTOR.scrub(str(rec.get("message") or "")),
            evidence=REDACTOR.scrub_any({k: v for k, v in rec.items() if k not in ("message",)})))
    ran = {rec.get("control_id") for rec in records}
    for control in controls:
        if control not in ran:
            history.add_result(Result(run_id=run_id, ts=now, control=control, test_id=control, outcome="error",
                                      duration_s=None, message=REDACTOR.scrub(f"did not run: {missing_reason}"),
                                      evidence={}))

"""Progress as logging (issue 18): a line per step with its elapsed time, heartbeats while a step
waits (real time.sleep, real threads), the build heartbeat's "step N/M" from the real stream reader,
the CLI's stderr handler, and pytest's live log showing nestgate's lines in a stub gate run."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nestgate.drills.builder import step_detail
from nestgate.probes.readers.build_stream import BuildOutcome, read_stream
from nestgate.progress import step
from selftest.stub_controls import stub_tests

LOG = logging.getLogger("nestgate.selftest.progress")


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOG.name]


def test_a_slow_step_logs_its_start_heartbeats_and_its_end_with_elapsed_time(caplog):
    caplog.set_level(logging.INFO, logger="nestgate")
    with step(LOG, "building demo:1", interval=1) as s:
        s.detail = "step 2/5"
        time.sleep(2.5)
    lines = _messages(caplog)
    assert lines[0] == "building demo:1 ..."
    beats = [line for line in lines if line.startswith("still building demo:1: step 2/5, ")]
    assert len(beats) >= 2, lines
    assert [int(re.search(r", (\d+) s$", b)[1]) for b in beats][:2] == [1, 2], beats  # elapsed, rising
    assert re.fullmatch(r"building demo:1: done, 2\.\d s", lines[-1]), lines
    assert s._thread is not None and not s._thread.is_alive()  # the heartbeat stops with the step


def test_a_heartbeat_reads_a_changing_detail_and_survives_a_broken_one(caplog):
    caplog.set_level(logging.INFO, logger="nestgate")
    where = {"n": 0}
    with step(LOG, "waiting for stack x to converge", interval=0.4) as s:
        s.detail = lambda: f"app {where['n']}/2 healthy"
        time.sleep(0.6)
        where["n"] = 1
        time.sleep(0.6)
        s.detail = lambda: 1 / 0  # type: ignore[return-value,operator]
        time.sleep(0.6)
    beats = [m for m in _messages(caplog) if m.startswith("still ")]
    assert any("app 0/2 healthy" in b for b in beats) and any("app 1/2 healthy" in b for b in beats), beats
    assert any(re.fullmatch(r"still waiting for stack x to converge, \d+ s", b) for b in beats), beats


def test_a_failed_step_says_when_it_stopped_without_the_exception_text(caplog):
    caplog.set_level(logging.INFO, logger="nestgate")
    with pytest.raises(RuntimeError, match="hunter2"), step(LOG, "pg_dump of medianest", interval=None):
        raise RuntimeError("password=hunter2 rejected")
    lines = _messages(caplog)
    assert re.fullmatch(r"pg_dump of medianest: stopped after 0\.\d s \(RuntimeError\)", lines[-1]), lines
    assert "hunter2" not in caplog.text  # the exception carries its text; the log line does not


def test_no_heartbeat_when_the_step_prints_its_own_progress(caplog):
    caplog.set_level(logging.INFO, logger="nestgate")
    with step(LOG, "demo: the security gate run", interval=None) as s:
        s.note("pytest started")
        time.sleep(0.3)
    lines = _messages(caplog)
    assert lines[1] == "demo: the security gate run: pytest started (0 s)"
    assert not [m for m in lines if m.startswith("still ")] and len(lines) == 3, lines


def _slow_build_stream(pause: float) -> Iterator[dict[str, Any]]:
    """The legacy builder's JSON chunks, as slow as a real RUN step."""
    for n in (1, 2, 3):
        yield {"stream": f"Step {n}/3 : RUN --token-from-build-arg $API_TOKEN\n"}
        yield {"stream": f" ---> Running in {n:012x}\n"}
        time.sleep(pause)
        yield {"stream": f" ---> {n:064x}\n"}
    yield {"aux": {"ID": "sha256:" + "f" * 64}}
    yield {"stream": "Successfully built " + "f" * 12 + "\n"}


def test_a_build_heartbeat_says_which_step_from_the_stream_not_the_instruction(caplog):
    """What BLD-01's build_one does, with the real stream reader: the heartbeat reads the outcome
    the reader fills as chunks arrive."""
    caplog.set_level(logging.INFO, logger="nestgate")
    outcome = BuildOutcome()
    assert step_detail(outcome) == "sending the context"
    with step(LOG, "building app:throwaway (service app)", interval=0.5) as s:
        s.detail = lambda: step_detail(outcome)
        read_stream(_slow_build_stream(0.8), outcome)
    assert outcome.ok and step_detail(outcome) == "step 3/3"
    beats = [m for m in _messages(caplog) if m.startswith("still building app:throwaway")]
    assert len({b.split(": ")[1].split(",")[0] for b in beats}) >= 2, beats  # several steps seen
    assert all(re.search(r": step [123]/3, \d+ s$", b) for b in beats), beats
    assert "API_TOKEN" not in caplog.text  # the step number only, never the instruction


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


CLI_SNIPPET = """
import logging, sys, time
from nestgate.progress import configure_cli_logging, step
configure_cli_logging(quiet=len(sys.argv) > 1)
with step(logging.getLogger("nestgate.testbed.images"), "building nestgate-testbed/app:1", interval=0.4):
    time.sleep(1)
logging.getLogger("nestgate.testbed.stack").warning("stack x not converged")
logging.getLogger("other.library").info("not ours")
"""


def test_the_cli_handler_writes_prefixed_elapsed_lines_to_stderr():
    proc = _run_python(CLI_SNIPPET)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    lines = proc.stderr.splitlines()
    assert all(re.match(r"\[nestgate\] +\d+\.\ds ", line) for line in lines), lines
    assert lines[0].endswith(" building nestgate-testbed/app:1 ...")
    assert sum("still building nestgate-testbed/app:1, " in line for line in lines) >= 2, lines
    assert lines[-1].endswith(" stack x not converged") and "not ours" not in proc.stderr


def test_quiet_keeps_warnings_only():
    proc = subprocess.run([sys.executable, "-c", CLI_SNIPPET, "quiet"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [proc.stderr.splitlines()[0]] and "not converged" in proc.stderr, proc.stderr


def test_a_program_with_its_own_logging_setup_keeps_it():
    proc = _run_python("import logging, sys\n"
                       "logging.basicConfig(stream=sys.stdout, level=logging.INFO, format='app: %(message)s')\n"
                       "from nestgate.progress import configure_cli_logging\n"
                       "assert configure_cli_logging() is None\n"
                       "logging.getLogger('nestgate.demo').info('step')\n")
    assert proc.returncode == 0 and proc.stdout == "app: step\n" and proc.stderr == "", proc


@pytest.mark.parametrize("argv", [["nestgate.cli", "testbed", "--help"], ["nestgate.testbed.cli", "--help"],
                                  ["nestgate.testbed.cli", "-q", "up", "--help"]])
def test_testbed_help_still_exits_0(argv):
    proc = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "usage: nestgate testbed" in proc.stdout, proc.stderr
    assert "[nestgate]" not in proc.stderr


BLD01_WITH_PROGRESS = '''
import logging
import time

import pytest

from nestgate.drills import rollback_drill
from nestgate.drills.builder import step_detail
from nestgate.probes.readers.build_stream import BuildOutcome, read_stream
from nestgate.progress import step

LOG = logging.getLogger("nestgate.drills.builder")


def chunks():
    for n in (1, 2):
        yield {"stream": f"Step {n}/2 : RUN true\\n"}
        time.sleep(0.7)
    yield {"aux": {"ID": "sha256:" + "e" * 64}}


@pytest.mark.build
@pytest.mark.declared
@pytest.mark.control("BLD-01")
def test_build_with_progress(evidence):
    evidence.source("a stub build stream")
    outcome = BuildOutcome()
    with step(LOG, "building stub:1 (service app)", interval=0.5) as s:
        s.detail = lambda: step_detail(outcome)
        read_stream(chunks(), outcome)
    # the rollback drill's runner with steps of our own: no stack, its log lines all the same
    steps = rollback_drill.RollbackSteps("stub rollback", lambda limit: True, lambda deadline: True, lambda: True)
    outcome_drill = rollback_drill.run(steps, 30, "drill")
    evidence.measure(ok=outcome.ok, drill=outcome_drill.passed)
    assert outcome.ok and outcome_drill.passed
'''


def test_a_gate_run_with_live_logging_shows_nestgate_progress_lines(pytester):
    pytester.makefile(".toml", nestgate='[target]\nservices = ["app"]\n')
    pytester.mkdir("tests_build")
    (pytester.path / "tests_build" / "test_build_stubs.py").write_text(stub_tests("build", without=("BLD-01",)))
    (pytester.path / "tests_build" / "test_bld01_docker_build.py").write_text(BLD01_WITH_PROGRESS)
    result = pytester.runpytest_subprocess("-m", "build", "--no-nestgate-report", "--log-cli-level=INFO", "-p",
                                           "no:cacheprovider")
    out = result.stdout.str()
    assert result.ret == 0, out[-3000:]
    assert re.search(r"INFO +nestgate\.drills\.builder.*building stub:1 \(service app\) \.\.\.", out), out[-3000:]
    assert re.search(r"still building stub:1 \(service app\): step [12]/2, \d+ s", out), out[-3000:]
    assert re.search(r"building stub:1 \(service app\): done, 1\.\d s", out), out[-3000:]
    assert re.search(r"INFO +nestgate\.drills\.rollback_drill.*drill: restored after \d+\.\d s", out), out[-3000:]
    assert re.search(r"build +GO ", out), out[-3000:]

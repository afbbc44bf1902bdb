"""GO / NO-GO in colour on a terminal, through pytest's own markup (so --color and NO_COLOR apply);
the text of the verdict lines is the same either way. Real pytest sessions of a small stub gate."""

from __future__ import annotations

import re

import pytest

from selftest.stub_controls import stub_tests

ANSI = re.compile(r"\x1b\[[0-9;]*m")
GREEN, RED = "\x1b[32m", "\x1b[31m"


@pytest.fixture
def gate(pytester, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("PY_COLORS", raising=False)
    pytester.makefile(".toml", nestgate='[target]\nservices = ["app"]\n')
    pytester.mkdir("tests_security")
    pytester.mkdir("tests_build")
    (pytester.path / "tests_security" / "test_stubs.py").write_text(stub_tests("security"))
    (pytester.path / "tests_build" / "test_build_stubs.py").write_text(stub_tests("build", without=("BLD-01",)))
    return pytester


def _verdict_lines(result) -> list[str]:
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "nestgate verdict" in line)
    return [line for line in lines[start + 1:] if ANSI.sub("", line).startswith(("security ", "build "))]


def test_go_is_green_and_no_go_red_with_color_yes(gate):
    result = gate.runpytest("-m", "security or build", "--no-nestgate-report", "--color=yes")
    security, build = _verdict_lines(result)
    assert f"{GREEN}" in security and f"{RED}" not in security, repr(security)
    assert ANSI.sub("", security).startswith("security     GO "), repr(security)
    assert re.search(r"\x1b\[32m(\x1b\[1m)?GO\x1b\[0m", security), repr(security)  # only the word
    assert re.search(r"\x1b\[31m(\x1b\[1m)?NO-GO\x1b\[0m", build), repr(build)
    assert ANSI.sub("", build).startswith("build        NO-GO "), repr(build)


@pytest.mark.parametrize("env", [{"NO_COLOR": "1", "FORCE_COLOR": "1"}, {}], ids=["NO_COLOR", "not-a-tty"])
def test_no_colour_with_no_color_or_off_a_terminal(gate, monkeypatch, env):
    # FORCE_COLOR alone colours a pipe (pytest's rule), so NO_COLOR beside it is what turns colour off
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    plain = gate.runpytest_subprocess("-m", "security or build", "--no-nestgate-report", "--color=auto")
    assert "\x1b[" not in plain.stdout.str()
    security, build = _verdict_lines(plain)
    assert security.startswith("security     GO ") and build.startswith("build        NO-GO "), (security, build)
    coloured = gate.runpytest_subprocess("-m", "security or build", "--no-nestgate-report", "--color=yes")
    assert [ANSI.sub("", line) for line in _verdict_lines(coloured)] == [security, build]  # same text


def test_a_terminal_gets_colour_by_default(gate, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # what a terminal gets from --color=auto, without a pty
    security, build = _verdict_lines(gate.runpytest_subprocess("-m", "security or build", "--no-nestgate-report"))
    assert GREEN in security and RED in build, (security, build)

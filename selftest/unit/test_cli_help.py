"""Every command explains itself: `--help` at every level exits 0, every option has help text, and an
option taking a duration or a count names its unit. `--version` prints the installed version."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version

import pytest

from nestgate import cli, deploy
from nestgate.testbed import cli as testbed_cli
from nestgate.watch import cli as watch_cli

NUMERIC_METAVARS = {"SECONDS", "MINUTES", "N", "PORT"}  # the unit, said where the option is shown


def _parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    todo = [cli.parser(), testbed_cli.parser(), deploy.parser(), watch_cli.parser()]
    while todo:
        p = todo.pop()
        yield p.prog, p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += action.choices.values()


def _options() -> Iterator[tuple[str, argparse.Action]]:
    for prog, p in _parsers():
        for action in p._actions:
            if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                yield f"{prog} {'/'.join(action.option_strings) or action.dest}", action


def test_the_walk_sees_every_command():
    progs = {prog for prog, _ in _parsers()}
    assert {"nestgate controls", "nestgate kpi", "nestgate incident collect", "nestgate testbed up",
            "nestgate testbed fault", "nestgate deploy", "nestgate watch", "nestgate verify"} <= progs, progs


def test_every_option_and_argument_has_help():
    missing = [name for name, action in _options() if not (action.help or "").strip()]
    assert not missing, missing


def test_every_numeric_option_names_its_unit():
    numeric = [(name, a) for name, a in _options() if a.option_strings and a.type not in (None, str)
               and getattr(a.type, "__name__", "") not in ("Path", "PosixPath")]
    assert any(name.endswith("--gate-timeout") for name, _ in numeric)
    bad = [name for name, a in numeric if a.metavar not in NUMERIC_METAVARS]
    assert not bad, bad


@pytest.mark.parametrize(("command", "option"), [("controls", "--target-config"), ("kpi", "--target-config"),
                                                 ("deploy", "--gate-timeout"), ("deploy", "--post-gate-interval")])
def test_the_options_the_issue_names_say_what_they_take(command, option):
    help_text = dict(_options())
    action = help_text[f"nestgate {command} {option}"]
    said = f"{action.metavar} {action.help}"
    assert ("target config" in said) if option == "--target-config" else ("SECONDS" in said and "seconds" in said)


HELP_COMMANDS = ["", "testbed", "testbed up", "testbed down", "testbed status", "testbed faults", "testbed fault",
                 "deploy", "watch", "kpi", "incident", "incident collect", "verify", "demo", "controls",
                 "config-reference"]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: c or "nestgate")
def test_help_exits_0_at_every_level(command):
    proc = subprocess.run([sys.executable, "-m", "nestgate.cli", *command.split(), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: nestgate"), proc.stdout[:200]
    assert proc.stderr == ""


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_is_the_installed_package_version(flag):
    proc = subprocess.run([sys.executable, "-m", "nestgate.cli", flag], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"nestgate {version('nestgate')}\n"), proc.stderr

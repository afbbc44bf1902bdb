"""The plugin's command-line options, and the checks that stop a mistyped selection early."""

from __future__ import annotations

import re

import pytest

from nestgate.catalog import CONTROLS, GATES, SIDES

WAIVERS_ENV = "NESTGATE_WAIVERS"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("nestgate", "nestgate deployment gate")
    group.addoption("--target-config", default=None, metavar="PATH",
                    help="target config TOML; use the --target-config=PATH form (default: $NESTGATE_CONFIG, else "
                    "nestgate.toml in the root dir)")
    group.addoption("--waivers", default=None, metavar="PATH",
                    help=f"waiver file (TOML [[waiver]] entries); default ${WAIVERS_ENV}. Use the --waivers=PATH "
                    "form: with a space, pytest takes PATH for a test path when choosing the root dir (xdist)")
    group.addoption("--nestgate-report", default=None, metavar="DIR",
                    help="parent directory of the evidence bundle, which goes into DIR/<timestamp>-<gates>/ "
                    "(default: reports/ in the root dir)")
    group.addoption("--nestgate-bundle", default=None, metavar="DIR",
                    help="the evidence bundle's exact directory: created if missing, refused if not empty (a "
                    "stable path for CI; `nestgate deploy` uses it). Not with --nestgate-report")
    group.addoption("--no-nestgate-report", action="store_true", default=False,
                    help="do not write the evidence bundle")
    group.addoption("--nestgate-controls", default=None, metavar="IDS",
                    help="comma-separated control IDs: run only these controls' gate tests")
    group.addoption("--nestgate-deploy-manifest", default=None, metavar="SHA256",
                    help="the deploy manifest this run judges (set by `nestgate deploy`): recorded in the bundle")
    group.addoption("--nestgate-sign-key", default=None, metavar="KEY",
                    help="OpenSSH private key (or public key with ssh-agent): sign the bundle's SHA256SUMS with "
                    "ssh-keygen -Y sign -n nestgate, writing SHA256SUMS.sig (check with nestgate verify)")


def selected_controls(config: pytest.Config) -> set[str] | None:
    raw = config.getoption("nestgate_controls")
    if not raw:
        return None
    ids = {c.strip() for c in raw.split(",") if c.strip()}
    unknown = sorted(ids - set(CONTROLS))
    if unknown:
        raise pytest.UsageError(f"--nestgate-controls: not in the catalog: {', '.join(unknown)}")
    return ids


_MARK_WORD = re.compile(r"[A-Za-z_][\w.]*")
_MARK_KEYWORDS = {"and", "or", "not", "True", "False", "None"}


def check_mark_expression(config: pytest.Config) -> None:
    """`-m secuirty` must stop the run, not select nothing: whatever the user's ini says."""
    expr = config.getoption("markexpr", "") or ""
    without_args = re.sub(r"\([^)]*\)", "", expr)  # marker(kw=...) arguments are not marker names
    known = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    known |= {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings", "timeout"}
    unknown = sorted(set(_MARK_WORD.findall(without_args)) - _MARK_KEYWORDS - known)
    if unknown:
        raise pytest.UsageError(f"unknown marker(s) in -m {expr!r}: {', '.join(unknown)} "
                                f"(gates: {', '.join(GATES)}; sides: {', '.join(SIDES)})")


def check_controls_in_gates(controls: set[str] | None, markexpr: str) -> None:
    """`-m security --nestgate-controls=INF-04` selects nothing: say so instead of judging nothing."""
    from nestgate.gate.coverage import selected_sides

    if controls is None or not markexpr.strip():
        return
    gates = selected_sides(markexpr)
    outside = sorted(c for c in controls if CONTROLS[c].gate not in gates)
    if outside:
        raise pytest.UsageError(f"--nestgate-controls: {', '.join(outside)} not in the gates -m {markexpr!r} "
                                f"selects ({', '.join(gates) or 'none'})")

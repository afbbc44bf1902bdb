"""`nestgate watch`: post-deploy monitoring on the procedure's schedule (see nestgate.watch.loop).

    nestgate watch [--schedule 5m:2h,15m:22h] [-m EXPR] [--once] [--target-config PATH]
                   [--history PATH] [--sample-every SECONDS]

Exit codes:
    0    the schedule completed, or stopped by SIGTERM; with --once: the round passed
    1    --once: the controls round did not pass
    2    usage error: bad option, config, schedule or history (one line); nothing ran
    130  stopped by SIGINT
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from nestgate.catalog import GATES, SIDES
from nestgate.config import config_path, load_config
from nestgate.errors import ConfigError, NestgateError
from nestgate.gate.invocation import gate_environment
from nestgate.progress import configure_cli_logging
from nestgate.redact import REDACTOR, install_log_scrubber, register_config_secrets
from nestgate.watch.loop import Options, Watcher, phases_of

USAGE = 2


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def check_marker(expr: str) -> None:
    """-m names gate and side markers only: a typo would otherwise fail every round, not the start."""
    words = set(re.findall(r"[A-Za-z_][\w.]*", expr)) - {"and", "or", "not"}
    unknown = sorted(words - set(GATES) - set(SIDES))
    if unknown:
        raise ConfigError(f"-m {expr!r}: unknown marker(s) {', '.join(unknown)} "
                          f"(gates: {', '.join(GATES)}; sides: {', '.join(SIDES)})")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nestgate watch", description=__doc__.split("\n\n")[0],
                                epilog=__doc__[__doc__.index("Exit codes:"):],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--schedule", metavar="SPEC",
                   help="controls rounds, INTERVAL:DURATION[,...] (default: [watch].schedule, 5m:2h,15m:22h)")
    p.add_argument("-m", dest="marker", metavar="EXPR", help="extra -m expression for the controls rounds")
    p.add_argument("--once", action="store_true", help="one sample and one controls round, then exit")
    p.add_argument("--target-config", metavar="PATH", help="target config (default: $NESTGATE_CONFIG, ./nestgate.toml)")
    p.add_argument("--history", type=Path, metavar="PATH", help="history file (default: [watch].history)")
    p.add_argument("--sample-every", type=_positive, metavar="SECONDS",
                   help="seconds between samples (default: [watch].sample_every_s)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr, only warnings")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)  # argparse itself exits 2 on a bad option
    try:
        cfg = load_config(config_path(args.target_config, Path.cwd()))
        REDACTOR.add_secret_env()
        register_config_secrets(cfg.model, cfg.resolve)
        install_log_scrubber()
        configure_cli_logging(quiet=args.quiet)  # the drills and probes a round runs log their steps
        if args.schedule:
            phases_of(args.schedule, "--schedule")
        if args.marker:
            check_marker(args.marker)
        gate_environment(os.environ)  # PYTEST_ADDOPTS and the like would change every round: refuse now
        options = Options(schedule=args.schedule, marker=args.marker, once=args.once,
                          history=args.history.resolve() if args.history else None,
                          sample_every_s=args.sample_every)
        return Watcher(cfg, options).run()
    except NestgateError as exc:
        print(f"nestgate watch: {REDACTOR.scrub(str(exc))}", file=sys.stderr)
        return USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

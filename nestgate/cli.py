"""`nestgate`: the control table, the reference stack, the demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nestgate.errors import NestgateError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _controls(args: argparse.Namespace) -> int:
    from nestgate.gate.controls_table import implemented, markdown

    config = Path(args.target_config) if args.target_config else None
    print(markdown(implemented(PROJECT_ROOT, config), PROJECT_ROOT))
    return 0


def _config_reference(args: argparse.Namespace) -> int:
    from nestgate.config.reference import reference_markdown

    print(reference_markdown())
    return 0


def _testbed(args: argparse.Namespace) -> int:
    from nestgate.testbed.cli import main as testbed_main

    return testbed_main(args.rest)


def _demo(args: argparse.Namespace) -> int:
    from nestgate.demo import run_demo

    return run_demo(gates=args.gate or None)


def _deploy(args: argparse.Namespace) -> int:
    from nestgate.deploy import main as deploy_main

    return deploy_main(args.rest)


def _watch(args: argparse.Namespace) -> int:
    from nestgate.watch.cli import main as watch_main

    return watch_main(args.rest)


def _kpi(args: argparse.Namespace) -> int:
    from nestgate.watch.kpi_cmd import run

    return run(args.target_config, args.history, args.since, args.out, PROJECT_ROOT, args.reports)


def _incident(args: argparse.Namespace) -> int:
    from nestgate.watch.incident import run

    return run(args.target_config, args.since, args.out, PROJECT_ROOT, args.reports)


def _verify(args: argparse.Namespace) -> int:
    from nestgate.verify import run

    return run(args.dir, args.allowed_signers, args.identity)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nestgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("controls", help="print the control table: per ID its gate, checklist line, pass condition, "
                       "test file, rules module and tests")
    p.add_argument("--target-config", default=None)
    p.set_defaults(func=_controls)

    p = sub.add_parser("config-reference", help="print the target config reference (every key, type, default, "
                       "meaning) as Markdown")
    p.set_defaults(func=_config_reference)

    p = sub.add_parser("testbed", help="the reference stack: up | down | status | faults | fault", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_testbed)

    p = sub.add_parser("demo", help="bring up the reference stack and run the gates against it")
    p.add_argument("--gate", action="append", choices=["security", "build", "performance", "infra"])
    p.set_defaults(func=_demo)

    p = sub.add_parser("deploy", add_help=False,
                       help="run gates; deploy only if they fully pass; post-deploy gate; rollback")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_deploy)

    p = sub.add_parser("watch", add_help=False,
                       help="post-deploy watch: samples, controls rounds on a schedule, history (nestgate kpi)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_watch)

    p = sub.add_parser("kpi", help="KPIs from the watch history: table, HTML page with plots; exit 1 if any not met")
    p.add_argument("--target-config", default=None)
    p.add_argument("--history", default=None, help="history file (default: watch.history of the config)")
    p.add_argument("--since", default=None, help="duration back from now (24h) or ISO time (default: all history)")
    p.add_argument("--out", default=None, help="HTML page (default: <watch.evidence_dir>/kpi-<time>.html)")
    p.add_argument("--reports", type=Path, default=None, help="where nestgate deploy's rollback drills are")
    p.set_defaults(func=_kpi)

    p = sub.add_parser("incident", help="incident evidence: `collect` logs, inspect, last gate results (read only)")
    collect = p.add_subparsers(dest="action", required=True).add_parser(
        "collect", help="logs since a time, inspect of every container, last gate results, hashed; changes nothing")
    collect.add_argument("--since", default="1h", help="duration back from now (10m) or ISO time (default: 1h)")
    collect.add_argument("--out", default=None, help="bundle directory (default: <watch.evidence_dir>/incident-<time>)")
    collect.add_argument("--target-config", default=None)
    collect.add_argument("--reports", type=Path, default=None, help="gate report bundles (default: reports/)")
    collect.set_defaults(func=_incident)

    p = sub.add_parser("verify", help="check an evidence bundle (gate, deploy, incident, watch) against its SHA256SUMS "
                       "and manifest, and its signature; exit 1 naming each changed, missing or extra file")
    p.add_argument("dir", type=Path, metavar="DIR", help="the bundle folder")
    p.add_argument("--allowed-signers", type=Path, metavar="FILE",
                   help="OpenSSH allowed-signers file: SHA256SUMS.sig must be a good signature by a key in it")
    p.add_argument("--identity", metavar="NAME", help="the principal that must have signed (default: the one "
                   "FILE lists for the signing key)")
    p.set_defaults(func=_verify)

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["watch"]:  # its own parser (-m would otherwise be taken by this one)
        return _watch(argparse.Namespace(rest=argv[1:]))
    if argv[:1] == ["deploy"]:  # its own parser: options before and a command after `--`
        return _deploy(argparse.Namespace(rest=argv[1:]))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except NestgateError as exc:
        print(f"nestgate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nestgate: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`nestgate`: the control table, the reference stack, the demo."""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from nestgate.catalog import CONTROLS
from nestgate.errors import NestgateError
from nestgate.init.cli import register as register_init

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGET_CONFIG_HELP = ("target config TOML (default: $NESTGATE_CONFIG, else nestgate.toml in the project "
                      "directory)")


def package_version() -> str:
    try:
        return version("nestgate")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _controls(args: argparse.Namespace) -> int:
    from nestgate.config.load import DEFAULT_NAME, ENV_VAR
    from nestgate.gate.controls_table import as_json, implemented, markdown, status
    from nestgate.paths import project_dir, suites_root

    config = Path(args.target_config) if args.target_config else None
    root = suites_root()  # fails, naming where it looked, rather than list every control unimplemented
    if config is None and not os.environ.get(ENV_VAR) and (project_dir() / DEFAULT_NAME).is_file():
        config = project_dir() / DEFAULT_NAME  # installed: the working directory's, as `nestgate run` takes
    found = implemented(root, config)
    print(as_json(found, root) if args.json else markdown(found, root))
    # fail closed: a catalog control without its test or rules module is a gate that cannot be GO
    incomplete = [cid for cid in CONTROLS if status(found.get(cid)) != "implemented"]
    if incomplete:
        print(f"nestgate: {len(incomplete)} control(s) not fully implemented: {', '.join(incomplete)}",
              file=sys.stderr)
    return 1 if incomplete else 0


def _config_reference(args: argparse.Namespace) -> int:
    from nestgate.config.reference import reference_markdown

    print(reference_markdown())
    return 0


def _testbed(args: argparse.Namespace) -> int:
    from nestgate.testbed.cli import main as testbed_main

    return testbed_main(args.rest)


def _demo(args: argparse.Namespace) -> int:
    from nestgate.demo import run_demo
    from nestgate.progress import configure_cli_logging

    configure_cli_logging(quiet=args.quiet)
    return run_demo(gates=args.gate or None)


def _deploy(args: argparse.Namespace) -> int:
    from nestgate.deploy import main as deploy_main

    return deploy_main(args.rest)


def _run(args: argparse.Namespace) -> int:
    from nestgate.run_command import main as run_main

    return run_main(args.rest)


def _watch(args: argparse.Namespace) -> int:
    from nestgate.watch.cli import main as watch_main

    return watch_main(args.rest)


def _kpi(args: argparse.Namespace) -> int:
    from nestgate.paths import project_dir
    from nestgate.watch.kpi_cmd import run

    return run(args.target_config, args.history, args.since, args.out, project_dir(), args.reports, as_json=args.json)


def _incident(args: argparse.Namespace) -> int:
    from nestgate.paths import project_dir
    from nestgate.watch.incident import run

    return run(args.target_config, args.since, args.out, project_dir(), args.reports)


def _complete(args: argparse.Namespace) -> int:
    from nestgate.completion.command import run

    return run(args.dir, args.target_config, args.history, args.out, PROJECT_ROOT)


def _signoff(args: argparse.Namespace) -> int:
    from nestgate.completion.signoff import sign

    path = sign(args.dir, args.role, args.key, args.signer)
    print(f"signed for {args.role}: {path} (+ .sig); who signed what: {path.parent / 'index.html'}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from nestgate.watch.status_cmd import run

    return run(args.target_config, args.history, PROJECT_ROOT, args.eta, args.next_update, args.json)


def _verify(args: argparse.Namespace) -> int:
    from nestgate.verify import run

    return run(args.dir, args.allowed_signers, args.identity)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nestgate", description=__doc__)
    p.add_argument("-V", "--version", action="version", version=f"nestgate {package_version()}",
                   help="print nestgate's version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("controls", help="print the control table: per ID its gate, checklist line, pass condition, "
                       "test file, rules module and tests")
    c.add_argument("--target-config", default=None, metavar="PATH",
                   help=TARGET_CONFIG_HELP + "; it decides the subjects, so the test cases listed")
    c.add_argument("--json", action="store_true",
                   help="one JSON object per control (id, gate, checklist line, pass condition, sides, test node "
                   "IDs, status) instead of the Markdown table")
    c.set_defaults(func=_controls)

    c = sub.add_parser("config-reference", help="print the target config reference (every key, type, default, "
                       "meaning) as Markdown")
    c.set_defaults(func=_config_reference)

    sub.add_parser("testbed", help="the reference stack: up | down | status | faults | fault "
                   "(nestgate testbed --help)", add_help=False)

    c = sub.add_parser("demo", help="bring up the reference stack and run the gates against it")
    c.add_argument("--gate", action="append", choices=["security", "build", "performance", "infra"],
                   help="run only this gate (repeatable; default: every gate)")
    c.add_argument("-q", "--quiet", action="store_true",
                   help="no progress lines on stderr, only warnings (default: a line per step, elapsed time)")
    c.set_defaults(func=_demo)

    sub.add_parser("deploy", add_help=False, help="run gates; deploy only if they fully pass; post-deploy gate; "
                   "rollback (nestgate deploy --help)")
    sub.add_parser("run", add_help=False, help="run the gate suites with pytest from any directory, installed or "
                   "in a checkout: nestgate run -m security (nestgate run --help)")
    sub.add_parser("watch", add_help=False, help="post-deploy watch: samples, controls rounds on a schedule, "
                   "history (nestgate watch --help)")

    c = sub.add_parser("kpi", help="KPIs from the watch history: table, HTML page with plots; exit 1 if any not met")
    c.add_argument("--target-config", default=None, metavar="PATH",
                   help=TARGET_CONFIG_HELP + "; its [watch] section names the history and the KPI targets")
    c.add_argument("--history", default=None, metavar="PATH", help="history file (default: watch.history of the "
                   "config)")
    c.add_argument("--since", default=None, metavar="WHEN", help="duration back from now (24h, 90m) or ISO time "
                   "(default: all history)")
    c.add_argument("--out", default=None, metavar="PATH", help="HTML page (default: "
                   "<watch.evidence_dir>/kpi-<time>.html)")
    c.add_argument("--reports", type=Path, default=None, metavar="DIR",
                   help="where nestgate deploy's rollback drills are (default: reports/)")
    c.add_argument("--json", action="store_true",
                   help="print the KPI data the page is built from as JSON instead of the table (the page is "
                   "still written)")
    c.set_defaults(func=_kpi)

    c = sub.add_parser("incident", help="incident evidence: `collect` logs, inspect, last gate results (read only)")
    collect = c.add_subparsers(dest="action", required=True, metavar="ACTION").add_parser(
        "collect", help="logs since a time, inspect of every container, last gate results, hashed; changes nothing")
    collect.add_argument("--since", default="1h", metavar="WHEN",
                         help="duration back from now (10m, 2h) or ISO time (default: 1h)")
    collect.add_argument("--out", default=None, metavar="DIR",
                         help="bundle directory (default: <watch.evidence_dir>/incident-<time>)")
    collect.add_argument("--target-config", default=None, metavar="PATH", help=TARGET_CONFIG_HELP)
    collect.add_argument("--reports", type=Path, default=None, metavar="DIR",
                         help="gate report bundles (default: reports/)")
    collect.set_defaults(func=_incident)

    c = sub.add_parser("complete", help="the Deployment Completion Checklist (Final Validation) from evidence only: "
                       "each box proven by a verified bundle, deploy record, watch history or config; exit 1 unless "
                       "every box is proven")
    c.add_argument("dir", type=Path, nargs="+", metavar="DIR", help="deploy folders and gate bundles to cite (each "
                   "is verified first; one that does not verify is refused)")
    c.add_argument("--target-config", default=None, metavar="PATH",
                   help=TARGET_CONFIG_HELP + "; its [watch] section names the history")
    c.add_argument("--history", default=None, metavar="PATH", help="watch history (default: watch.history of the "
                   "config)")
    c.add_argument("--out", default=None, metavar="DIR", help="record folder, new or empty (default: "
                   "completion-<time>/ beside the first DIR)")
    c.set_defaults(func=_complete)

    c = sub.add_parser("signoff", help="sign a complete completion record for one role (ssh-keygen -Y sign, "
                       "namespace nestgate-signoff): signoffs/<role>.json and .sig in the record")
    c.add_argument("dir", type=Path, metavar="DIR", help="the completion record folder (nestgate complete)")
    c.add_argument("--role", required=True, metavar="ROLE", help="deployment-lead, security-lead, operations-lead "
                   "or product-manager")
    c.add_argument("--key", required=True, type=Path, metavar="KEY", help="OpenSSH private key (or public key with "
                   "ssh-agent)")
    c.add_argument("--signer", default=None, metavar="NAME", help="who signs, as shown on the sign-off page "
                   "(default: the login name)")
    c.set_defaults(func=_signoff)

    c = sub.add_parser("status", help="the Status Update Template (OPERATIONAL/DEGRADED/OUTAGE, impact, duration, "
                       "actions taken) from the watch history; exit 1 unless OPERATIONAL")
    c.add_argument("--target-config", default=None, metavar="PATH",
                   help=TARGET_CONFIG_HELP + "; its [watch] section names the history")
    c.add_argument("--history", default=None, metavar="PATH", help="history file (default: watch.history of the "
                   "config)")
    c.add_argument("--eta", default="unknown", metavar="TEXT", help="estimated resolution time, as the operator "
                   "states it (default: unknown; nestgate does not guess one)")
    c.add_argument("--next-update", type=float, default=30.0, metavar="MINUTES",
                   help="minutes until the next update, from the latest sample (default: 30)")
    c.add_argument("--json", action="store_true", help="the same fields as JSON")
    c.set_defaults(func=_status)

    c = sub.add_parser("verify", help="check an evidence bundle (gate, deploy, incident, watch) against its SHA256SUMS "
                       "and manifest, and its signature; exit 1 naming each changed, missing or extra file")
    c.add_argument("dir", type=Path, metavar="DIR", help="the bundle folder")
    c.add_argument("--allowed-signers", type=Path, metavar="FILE",
                   help="OpenSSH allowed-signers file: SHA256SUMS.sig must be a good signature by a key in it")
    c.add_argument("--identity", metavar="NAME", help="the principal that must have signed (default: the one "
                   "FILE lists for the signing key)")
    c.set_defaults(func=_verify)
    register_init(sub)  # nestgate init: nestgate/init/cli.py
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Their own parsers: `watch -m`, `deploy ... -- CMD` and `testbed --help` would otherwise be
    # taken (or refused) by this one.
    own = {"testbed": _testbed, "deploy": _deploy, "watch": _watch, "run": _run}
    if argv[:1] and argv[0] in own:
        func = own[argv[0]]
        args = argparse.Namespace(rest=argv[1:])
    else:
        args = parser().parse_args(argv)
        func = args.func
    try:
        return int(func(args))
    except NestgateError as exc:
        print(f"nestgate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nestgate: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

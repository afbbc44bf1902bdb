"""`nestgate testbed ...`: up, down, status, faults, fault apply|remove (see the package docstring)."""

from __future__ import annotations

import argparse
import sys

from nestgate.progress import configure_cli_logging
from nestgate.testbed import faults as registry
from nestgate.testbed.errors import TestbedError
from nestgate.testbed.paths import DEFAULT_INSTANCE
from nestgate.testbed.testbed import Testbed


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nestgate testbed", description="The MediaNest reference stack.")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress lines on stderr, only warnings (default: a line per step, elapsed time)")
    sub = p.add_subparsers(dest="command", required=True)

    def with_instance(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--instance", default=DEFAULT_INSTANCE, help="instance name (default: medianest)")
        return sp

    up = with_instance(sub.add_parser("up", help="build, deploy and converge; apply exactly the given faults"))
    up.add_argument("--port", type=int, metavar="PORT",
                    help="published nginx port (default 8080 for the default instance)")
    up.add_argument("--fault", action="append", default=[], metavar="NAME", help="seeded fault (repeatable)")
    up.add_argument("--scale", type=int, default=0, metavar="N",
                    help="number of extra idle hardened containers (default: 0)")
    with_instance(sub.add_parser("down", help="remove everything this instance created (images stay)"))
    with_instance(sub.add_parser("status", help="services, health and applied faults"))
    sub.add_parser("faults", help="list the seeded faults and the control each breaks")
    fault = sub.add_parser("fault", help="apply or remove one fault on a running instance")
    fault.add_argument("action", choices=["apply", "remove"], help="apply the fault, or remove it")
    fault.add_argument("name", help="the fault's name (nestgate testbed faults lists them)")
    with_instance(fault)
    return p


def run(args: argparse.Namespace) -> int:
    if args.command == "faults":
        for f in registry.ALL.values():
            print(f.describe())
        return 0
    tb = Testbed(args.instance)
    if args.command == "up":
        if args.scale < 0:
            raise TestbedError("--scale must be 0 or more")
        result = tb.up(faults=args.fault, scale=args.scale, port=args.port)
        for tag, seconds in result.built.items():
            print(f"built {tag} in {seconds} s")
        print(f"up in {result.seconds} s")
        print("\n".join(tb.status().lines()))
    elif args.command == "down":
        counts = tb.down()
        print("removed " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    elif args.command == "status":
        print("\n".join(tb.status().lines()))
    elif args.command == "fault":
        if args.action == "apply":
            tb.apply_fault(args.name)
        else:
            tb.remove_fault(args.name)
        print(f"{args.action} {args.name}: done")
        print("faults: " + (", ".join(tb.state.faults) or "none"))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_cli_logging(quiet=args.quiet)
    try:
        return run(args)
    except TestbedError as exc:
        print(f"nestgate testbed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nestgate testbed: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`nestgate init [PROJECT_DIR] [--out FILE] [--force]`: write a target config tailored to a checkout."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nestgate.errors import NestgateError

DEFAULT_OUT = "nestgate.toml"


class OutExists(NestgateError):
    """The output file is there and --force was not given."""


def register(sub: argparse._SubParsersAction) -> None:
    """The `init` subcommand on nestgate's parser (its one registration line in nestgate/cli.py)."""
    c = sub.add_parser("init", help="read a checkout (read only) and write a nestgate.toml tailored to it, "
                       "printing each guess and why")
    c.add_argument("project_dir", nargs="?", default=".", metavar="PROJECT_DIR",
                   help="the checkout to read (default: the current directory)")
    c.add_argument("--out", default=DEFAULT_OUT, metavar="FILE",
                   help=f"the config to write (default: {DEFAULT_OUT} in the current directory); project_dir "
                   "is written relative to its folder")
    c.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    c.set_defaults(func=run)


def write_config(project: Path, out: Path, force: bool = False) -> list[str]:
    """Read the checkout, write the config (checked by the strict loader first), return the guess lines."""
    from nestgate.config.load import load_config
    from nestgate.config.target import Target
    from nestgate.init.discovery import read_checkout
    from nestgate.init.plan import build_plan
    from nestgate.init.writer import render

    project, out = project.resolve(), out.resolve()
    if out.exists() and not force:
        raise OutExists(f"{out} exists: not overwritten (pass --force to replace it)")
    checkout = read_checkout(project)
    relative = Path(os.path.relpath(project, out.parent)).as_posix()
    plan = build_plan(checkout, relative, set(Target.model_fields), project.name)
    text = render(plan, str(project))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.init-tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_config(tmp)  # what init writes must load under the strict config, or nothing is written
    except NestgateError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return plan.lines()


def run(args: argparse.Namespace) -> int:
    lines = write_config(Path(args.project_dir), Path(args.out), force=args.force)
    for line in lines:
        print(line)
    print(f"nestgate init: wrote {Path(args.out).resolve()}; fill in the TODO lines, then run "
          f"`pytest --target-config={args.out}`", file=sys.stderr)
    return 0

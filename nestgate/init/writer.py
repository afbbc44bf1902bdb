"""Pure: the plan as TOML text, each key under a comment saying why (TODO where init cannot know)."""

from __future__ import annotations

from nestgate.config.reference import toml_value
from nestgate.init.guesses import Plan

HEADER = ("nestgate target config written by `nestgate init` for {project}.",
          "Each value was guessed from the checkout; the comment above it says why. Review them.",
          "TODO marks what init cannot know: fill those in (left as they are, their checks fail closed).",
          "Keys not written keep nestgate's MediaNest defaults: `nestgate config-reference` lists them all.")


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a line break inside a comment would end it


def render(plan: Plan, project: str) -> str:
    lines = [f"# {_one_line(h.format(project=project))}" for h in HEADER]
    if plan.notes:
        lines += ["#", "# What init found besides:"] + [f"#   {_one_line(n)}" for n in plan.notes]
    for section, entries in plan.sections.items():
        lines += ["", f"[{section}]"]
        for e in entries:
            lines.append(f"# {'TODO: ' if e.todo else ''}{_one_line(e.why)}")
            if e.value is not None:
                lines.append(f"{e.key} = {toml_value(e.value)}")
    return "\n".join(lines) + "\n"

"""Failure messages stay one short line: at most CAP characters, long lists end "and N more".

A failure message is read in a terminal, a CI annotation and a JUnit view; the full list belongs in
the control's evidence (record it with `evidence.measure(...)` before judging). Every rule and gate
path that builds a message from a list or from foreign text (a tool's stderr, a quoted command) goes
through these helpers, so one cap holds everywhere:

    listed(names)                 -> "A, B, C and 22 more"
    listed(lines, sep="; ")       -> "x; y and 3 more"
    capped(stderr)                -> one line, cut with "... (+N chars)"
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CAP = 300  # a whole failure line, "SEC-04: " prefix included
BODY_CAP = CAP - 12  # the text after the control ID prefix the gate adds ("BLD-06: ")
_SPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Newlines and runs of blanks become one space: a quoted multi-line command stays on one line."""
    return _SPACE.sub(" ", str(text)).strip()


def capped(text: str, limit: int = BODY_CAP) -> str:
    """`text` on one line, cut to at most `limit` characters with "... (+N chars)" when longer."""
    line = one_line(text)
    if len(line) <= limit:
        return line
    # The suffix's own length depends on N; size it for the worst case so the result never exceeds limit.
    suffix_len = len(f"... (+{len(line)} chars)")
    keep = max(limit - suffix_len, 0)
    return f"{line[:keep].rstrip()}... (+{len(line) - keep} chars)"


def listed(items: Iterable[str], sep: str = ", ", limit: int = BODY_CAP, more: str = "more") -> str:
    """Join `items` (each made one line) within `limit` characters: the leading items that fit, then
    " and N more" (N counts the items left out; `more` names them, e.g. "more variables"). A first
    item longer than the limit is itself cut by `capped`."""
    parts = [one_line(i) for i in items]
    whole = sep.join(parts)
    if len(whole) <= limit:
        return whole
    if len(parts) == 1:
        return capped(whole, limit)
    kept: list[str] = []
    for index, part in enumerate(parts):
        tail = f" and {len(parts) - index - 1} {more}"
        if len(sep.join([*kept, part])) + len(tail) > limit:
            break
        kept.append(part)
    if not kept:
        tail = f" and {len(parts) - 1} {more}"
        kept = [capped(parts[0], max(limit - len(tail), 0))]
    return sep.join(kept) + f" and {len(parts) - len(kept)} {more}"

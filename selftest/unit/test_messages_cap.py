"""The one cap on failure messages (nestgate.rules.messages) and Findings' use of it."""

from __future__ import annotations

from nestgate.rules.findings import Finding, message
from nestgate.rules.messages import BODY_CAP, CAP, capped, listed, one_line


def test_short_lists_and_text_are_unchanged() -> None:
    assert listed(["A", "B", "C"]) == "A, B, C"
    assert capped("exited 15") == "exited 15"


def test_long_list_keeps_leading_items_and_counts_the_rest() -> None:
    names = [f"VARIABLE_NUMBER_{i:02d}" for i in range(25)]
    line = listed(names, more="more variables")
    assert len(line) <= BODY_CAP
    kept = line.split(" and ")[0].split(", ")
    assert kept == names[:len(kept)]
    assert line.endswith(f" and {25 - len(kept)} more variables")


def test_multi_line_text_becomes_one_capped_line() -> None:
    command = "sh -c '\n  set -e\n" + "  echo step\n" * 200 + "'"
    line = capped(command)
    assert "\n" not in line and len(line) <= BODY_CAP
    assert line.endswith(f"(+{len(one_line(command)) - len(line.split('...')[0])} chars)")


def test_an_overlong_first_item_is_cut_not_dropped() -> None:
    line = listed(["x" * 1000, "y"])
    assert line.startswith("xxx") and line.endswith(" and 1 more") and len(line) <= BODY_CAP
    assert len(listed(["z" * 1000])) <= BODY_CAP


def test_findings_message_is_capped_and_grouped() -> None:
    few = [Finding("service app", "user", "root", "non-root"), Finding("service app", "init", False, True),
           Finding("service redis", "user", "root", "non-root")]
    assert message(few) == ("service app: user is 'root', expected non-root; init is False, expected True; "
                            "service redis: user is 'root', expected non-root")
    many = [Finding(f"service s{i}", "npm script", f"script-{i} " * 20, "present") for i in range(40)]
    line = message(many)
    assert len(line) <= BODY_CAP and line.startswith("service s0: ") and line.endswith("more findings")
    assert len("BLD-04: " + line) <= CAP

"""Waiver files: valid entries load; expired ones waive nothing; malformed files name the line."""

import datetime as dt

import pytest

from nestgate.gate.waivers import WaiverError, active_waiver, load_waivers

GOOD = """
[[waiver]]
id = "CVE-2024-0001"
justification = "not reachable: the parser is unused"
owner = "sec@example.org"
expires = 2030-01-01

[[waiver]]
id = "SEC-05"
justification = "migration window"
owner = "ops@example.org"
expires = 2020-01-01
"""


def test_active_and_expired(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(GOOD)
    waivers = load_waivers(path)
    today = dt.date(2026, 11, 26)
    assert active_waiver(waivers, "CVE-2024-0001", today).owner == "sec@example.org"
    assert active_waiver(waivers, "SEC-05", today) is None  # expired
    assert active_waiver(waivers, "SEC-04", today) is None
    assert waivers[1].line == 8


@pytest.mark.parametrize(("text", "message"), [
    ('[[waiver]]\nid = "X"\nowner = "o"\nexpires = 2030-01-01\n', "line 1: waiver 1: justification: required key"),
    (GOOD + '\n[[waiver]]\nid = "Y"\njustification = "j"\nowner = "o"\nexpires = "soon"\n',
     "line 14: waiver 3: expires: Input should be a valid date"),
    ('[[waiver]]\nid = "X"\njustification = "j"\nowner = "o"\nexpires = 2030-01-01\nbogus = 1\n',
     "line 1: waiver 1: bogus: unknown key"),
    ("[[waiver]\n", "not valid TOML"),
])
def test_malformed_names_the_line(tmp_path, text, message):
    path = tmp_path / "w.toml"
    path.write_text(text)
    with pytest.raises(WaiverError, match=message):
        load_waivers(path)


def test_missing_file(tmp_path):
    with pytest.raises(WaiverError, match="cannot read waiver file"):
        load_waivers(tmp_path / "absent.toml")

"""Waiver files: valid entries load; expired ones waive nothing; every malformed or unacceptable
entry (blank owner or justification, an id that is neither a control nor a finding ID of a known
shape, an expiry beyond waivers.max_days) stops the load naming the file and the line."""

import datetime as dt

import pytest
from pydantic import ValidationError

from nestgate.config import load_config
from nestgate.config.waivers import Waivers
from nestgate.gate.waivers import WaiverError, active_waiver, load_waivers
from nestgate.probes.readers.scan_reports import is_finding_id

TODAY = dt.date(2026, 11, 26)
GOOD = """
[[waiver]]
id = "CVE-2024-0001"
justification = "not reachable: the parser is unused"
owner = "sec@example.org"
expires = 2027-01-01

[[waiver]]
id = "SEC-05"
justification = "migration window"
owner = "ops@example.org"
expires = 2020-01-01
"""


def _entry(wid: str = "CVE-2024-45490", justification: str = "no exploit path", owner: str = "sec@example.org",
           expires: str = "2027-01-01") -> str:
    return f'[[waiver]]\nid = "{wid}"\njustification = "{justification}"\nowner = "{owner}"\nexpires = {expires}\n'


def _load(tmp_path, text: str, **kw):
    path = tmp_path / "w.toml"
    path.write_text(text)
    return load_waivers(path, today=TODAY, **kw)


def _rejects(tmp_path, text: str, **kw) -> str:
    with pytest.raises(WaiverError) as err:
        _load(tmp_path, text, **kw)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'w.toml'}: ") and "\n" not in message
    return message


def test_active_and_expired(tmp_path):
    waivers = _load(tmp_path, GOOD)
    assert active_waiver(waivers, "CVE-2024-0001", TODAY).owner == "sec@example.org"
    assert active_waiver(waivers, "SEC-05", TODAY) is None  # expired: accepted, waives nothing
    assert active_waiver(waivers, "SEC-04", TODAY) is None
    assert waivers[1].line == 8


@pytest.mark.parametrize(("text", "message"), [
    ('[[waiver]]\nid = "SEC-01"\nowner = "o"\nexpires = 2027-01-01\n', "line 1: waiver 1: justification: required key"),
    (GOOD + '\n[[waiver]]\nid = "SEC-02"\njustification = "j"\nowner = "o"\nexpires = "soon"\n',
     "line 14: waiver 3: expires: Input should be a valid date"),
    (_entry() + "bogus = 1\n", "line 1: waiver 1: bogus: unknown key"),
    ("[[waiver]\n", "not valid TOML"),
])
def test_malformed_names_the_line(tmp_path, text, message):
    assert message in _rejects(tmp_path, text)


@pytest.mark.parametrize("field", ["owner", "justification"])
@pytest.mark.parametrize("blank", ["", " ", "  \t "])
def test_blank_owner_or_justification_is_refused(tmp_path, field, blank):
    text = _entry("SEC-02") + "\n" + _entry(**{field: blank})
    assert f"line 7: waiver 2: {field}: is blank" in _rejects(tmp_path, text)


def test_owner_and_justification_are_kept_stripped(tmp_path):
    [w] = _load(tmp_path, _entry(owner="  sec@example.org ", justification=" ticket SEC-9 "))
    assert (w.owner, w.justification) == ("sec@example.org", "ticket SEC-9")


@pytest.mark.parametrize("wid,says", [
    ("*", "'*' is neither a control ID of the catalog (e.g. SEC-01) nor a finding ID of a known shape (CVE-YYYY"),
    ("security", "'security' is neither a control ID"),
    ("sec-01", "'sec-01' is not a control ID: control IDs are upper case: SEC-01"),
    ("SEC-99", "'SEC-99' is not a control ID: it names no control in the catalog"),
    ("SEC-1", "'SEC-1' is neither a control ID"),
    (" SEC-01", "' SEC-01' is neither a control ID"),
    ("cve-2024-45490", "'cve-2024-45490' is neither"),
    ("CVE-2024-123", "'CVE-2024-123' is neither"),  # a CVE number has at least four digits
    ("CVE-2024-45490-libexpat1", "'CVE-2024-45490-libexpat1' is neither"),
    ("", "'' is neither"),
])
def test_unknown_ids_are_refused_naming_the_line(tmp_path, wid, says):
    message = _rejects(tmp_path, _entry("SEC-02") + "\n" + _entry(wid))
    assert f"line 7: waiver 2: id: {says}" in message


@pytest.mark.parametrize("wid", [
    "SEC-01", "INF-08", "CVE-2024-45490", "CVE-2021-1234567", "GHSA-jf85-cpcp-j695", "PYSEC-2021-19",
    "GO-2022-0969", "RUSTSEC-2021-0078", "OSV-2020-111", "MAL-2024-1", "GSD-2021-1000123", "DSA-5343-1", "DLA-3321",
    "DEBIAN-CVE-2023-1234", "TEMP-0841856-B18BAF", "USN-6189-1", "UBUNTU-CVE-2023-2650", "RHSA-2023:1405",
    "RHBA-2023:0001", "ALSA-2023:1234", "RLSA-2023:1234", "ELSA-2023-12345", "ALAS-2023-1730", "ALAS2-2023-2071",
    "ALAS2023-2023-123", "SUSE-SU-2023:1234-1", "openSUSE-SU-2023:0123-1", "SNYK-JS-LODASH-567746",
    "CGA-2x3v-4g5w-6h7j", "BIT-nginx-2023-44487",
])
def test_control_and_finding_ids_of_known_shapes_load(tmp_path, wid):
    [w] = _load(tmp_path, _entry(wid))
    assert w.id == wid


@pytest.mark.parametrize("text", ["GHSA-1", "CVE-1", "GHSA-JF85-CPCP-J695", "USN-1", "RHSA-2023-1405", "X"])
def test_not_a_finding_id(text):
    assert not is_finding_id(text)


def test_expiry_at_most_max_days_ahead(tmp_path):
    latest = TODAY + dt.timedelta(days=90)
    [w] = _load(tmp_path, _entry(expires=latest.isoformat()))
    assert w.expires == latest
    later = latest + dt.timedelta(days=1)
    message = _rejects(tmp_path, _entry(expires=later.isoformat()))
    assert message.endswith(f"line 1: waiver 1: expires: {later} is more than 90 days ahead (latest allowed: "
                            f"{latest}; waivers.max_days in the target config)")
    assert "9999-12-31 is more than 90 days ahead" in _rejects(tmp_path, _entry(expires="9999-12-31"))
    assert "is more than 7 days ahead" in _rejects(tmp_path, _entry(expires="2026-12-04"), max_days=7)
    [past] = _load(tmp_path, _entry(expires="2001-01-01"))  # the past is accepted; it waives nothing
    assert not past.active_on(TODAY)


def test_one_bad_entry_rejects_the_whole_file(tmp_path):
    assert "line 7: waiver 2" in _rejects(tmp_path, _entry("SEC-02") + "\n" + _entry("*"))


def test_missing_and_unreadable_file(tmp_path):
    with pytest.raises(WaiverError, match="cannot read waiver file"):
        load_waivers(tmp_path / "absent.toml")
    (tmp_path / "w.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(WaiverError, match="cannot read waiver file: not UTF-8"):
        load_waivers(tmp_path / "w.toml")


def test_max_days_config_bounds_and_default(tmp_path):
    assert Waivers().max_days == 90
    assert Waivers(max_days=365).max_days == 365
    for bad in (0, -1, 366):
        with pytest.raises(ValidationError):
            Waivers(max_days=bad)
    config = tmp_path / "nestgate.toml"
    config.write_text("[waivers]\nmax_days = 400\n")
    with pytest.raises(Exception, match=r"waivers\.max_days: Input should be less than or equal to 365"):
        load_config(config)


def test_the_old_sec01_waiver_file_key_says_where_waivers_went(tmp_path):
    config = tmp_path / "nestgate.toml"
    config.write_text('[security.scan]\nwaivers_file = "w.toml"\n')
    with pytest.raises(Exception) as err:
        load_config(config)
    assert str(err.value) == (f"{config}: security.scan: waivers_file: unknown key (finding waivers, e.g. CVE IDs, "
                              "now go in the run's waiver file: --waivers=FILE or $NESTGATE_WAIVERS)")


def _run_with(pytester, config: str, expires: dt.date):
    pytester.makefile(".toml", nestgate=config)
    (pytester.path / "w.toml").write_text(_entry("SEC-02", expires=expires.isoformat()))
    pytester.makepyfile("def test_a(): pass\n")
    return pytester.runpytest("--waivers=w.toml", "--no-nestgate-report")


def test_a_run_takes_max_days_from_the_target_config(pytester):
    in_ten_days = dt.date.today() + dt.timedelta(days=10)
    result = _run_with(pytester, "[waivers]\nmax_days = 7\n", in_ten_days)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (f"waiver file rejected, nothing is waived: w.toml: line 1: waiver 1: expires: {in_ten_days} is more than "
            "7 days ahead") in result.stderr.str()
    assert _run_with(pytester, "[waivers]\nmax_days = 30\n", in_ten_days).ret == pytest.ExitCode.OK


def test_a_run_notes_an_expired_finding_waiver(pytester):
    pytester.makefile(".toml", nestgate="")
    (pytester.path / "w.toml").write_text(_entry("CVE-2024-45490", expires="2020-01-01"))
    pytester.mkdir("tests_security")
    (pytester.path / "tests_security" / "test_x.py").write_text(
        'import pytest\n@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-01")\n'
        "def test_a(evidence): evidence.measure(x=1); evidence.source('s')\n")
    result = pytester.runpytest("--waivers=w.toml", "--no-nestgate-report")
    result.stdout.fnmatch_lines(["*waiver CVE-2024-45490 (line 1) expired on 2020-01-01: waives nothing*"])

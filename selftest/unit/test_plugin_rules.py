"""The plugin's rules on real (in-process) pytest sessions: malformed gate tests stop collection,
test IDs carry the control, nothing skips, missing evidence fails with one line, secrets are masked."""

import pytest

from selftest.stub_controls import SOON, stub_tests

CONFIG = '[target]\nservices = ["app", "db"]\n'


@pytest.fixture
def gate(pytester):
    pytester.makefile(".toml", nestgate=CONFIG)
    pytester.mkdir("tests_security")
    return pytester


def _write(pytester, body, name="test_x.py"):
    (pytester.path / "tests_security" / name).write_text(
        "import pytest\nfrom nestgate.gate.params import each_service\n" + body)


def test_missing_control_id_fails_collection_naming_the_test(gate):
    _write(gate, "@pytest.mark.security\n@pytest.mark.runtime\ndef test_a(): pass\n")
    result = gate.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*tests_security/test_x.py::test_a: *needs exactly one control ID marker*"])


@pytest.mark.parametrize(("marks", "problem"), [
    ('@pytest.mark.runtime\n@pytest.mark.control("SEC-02")', "needs exactly one gate marker"),
    ('@pytest.mark.security\n@pytest.mark.build\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")',
     "needs exactly one gate marker"),
    ('@pytest.mark.security\n@pytest.mark.control("SEC-02")', "needs exactly one side marker"),
    ('@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-99")', "'SEC-99' is not in"),
    ('@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("BLD-01")',
     "control BLD-01 belongs to gate 'build'"),
])
def test_malformed_markers_are_named(gate, marks, problem):
    _write(gate, f"{marks}\ndef test_a(): pass\n")
    result = gate.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert problem in result.stderr.str()


def test_unknown_gate_marker_selection_is_an_error(gate):
    _write(gate, '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")\ndef test_a(): pass\n')
    result = gate.runpytest("-m", "secuirty")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_ids_carry_control_and_subject(gate):
    _write(gate, '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-04", service=each_service)\n'
                 'def test_h(service): assert service\n'
                 '@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-02")\ndef test_s(): pass\n')
    result = gate.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_h[[]SEC-04[[]app[]][]]", "*test_h[[]SEC-04[[]db[]][]]",
                                 "*test_s[[]SEC-02[]]"])


def test_no_subjects_fails_instead_of_skipping(pytester):
    pytester.makefile(".toml", nestgate='[target]\nservices = []\n')
    pytester.mkdir("tests_security")
    _write(pytester, '@pytest.mark.security\n@pytest.mark.runtime\n'
                     '@pytest.mark.control("SEC-04", service=each_service)\ndef test_h(service): pass\n')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SEC-04: the target config gives no service to check*"])


def test_a_skip_or_xfail_counts_as_failure(gate):
    _write(gate, '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-01")\n'
                 'def test_a(): pytest.skip("scanner offline")\n'
                 '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")\n'
                 '@pytest.mark.skipif(True, reason="not today")\ndef test_b(): pass\n'
                 '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-03")\n'
                 '@pytest.mark.xfail(reason="known")\ndef test_c(): assert False\n')
    result = gate.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) == 0 and outcomes.get("xfailed", 0) == 0
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == 3
    result.stdout.fnmatch_lines(["*SEC-01: a control may not skip (*scanner offline*"])
    result.stdout.fnmatch_lines(["*security*NO-GO*"])


def test_unavailable_evidence_is_one_line_and_secrets_are_masked(gate):
    _write(gate, 'from nestgate.errors import EvidenceUnavailable\nfrom nestgate.redact import REDACTOR\n'
                 '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-03")\n'
                 'def test_a(evidence):\n'
                 '    REDACTOR.add("canary-5f2b9e")\n'
                 '    print("login with canary-5f2b9e")\n'
                 '    raise EvidenceUnavailable("POST /login with canary-5f2b9e: unreachable")\n')
    result = gate.runpytest("-rA")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "SEC-03: evidence unavailable: POST /login with ********: unreachable" in out
    assert "canary-5f2b9e" not in out
    assert "Traceback" not in out


def _complete(pytester, *without):
    """The rest of the security gate, so that the run can be complete."""
    (pytester.path / "tests_security" / "test_rest.py").write_text(stub_tests("security", without=without))


def test_all_pass_is_go(gate):
    _write(gate, '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")\n'
                 'def test_a(evidence): evidence.source("s"); evidence.measure(x=1); assert True\n')
    _complete(gate, ("SEC-02", "runtime"))
    result = gate.runpytest()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["security     GO     passed 10, failed 0, errors 0, waived 0, not run 0  (*"])


def test_no_config_with_gate_tests_is_a_usage_error(pytester):
    pytester.mkdir("tests_security")
    _write(pytester, '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")\n'
                     'def test_a(): pass\n')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "target config not found" in result.stderr.str()


# -- waivers, selection by control, the evidence bundle (issue 7) ----------------------------
FAILING = ('@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-05")\n'
           'def test_a(evidence): evidence.measure(published=["5432"]); assert False, "postgres publishes 5432"\n')
WAIVER = ('[[waiver]]\nid = "{id}"\njustification = "migration window OPS-7"\nowner = "ops@example.org"\n'
          'expires = {day}\n')


def test_an_active_waiver_reports_the_failure_as_waived_with_its_justification(gate):
    _write(gate, FAILING)
    _complete(gate, ("SEC-05", "runtime"))
    gate.makefile(".toml", w=WAIVER.format(id="SEC-05", day=SOON))
    result = gate.runpytest("--waivers=w.toml", "-rs", "--no-nestgate-report")
    assert result.ret == 0
    result.assert_outcomes(passed=9, skipped=1)
    result.stdout.fnmatch_lines(["*security*GO*passed 9, failed 0, errors 0, waived 1*",
                                 f"*SEC-05: WAIVED until {SOON} (owner ops@example.org): migration window OPS-7"
                                 " | failure: SEC-05: postgres publishes 5432*"])


def test_an_expired_waiver_waives_nothing_and_says_so(gate):
    _write(gate, FAILING)
    gate.makefile(".toml", w=WAIVER.format(id="SEC-05", day="2020-01-01"))
    result = gate.runpytest("--waivers=w.toml", "--no-nestgate-report")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*waiver SEC-05 (line 1) expired on 2020-01-01: waives nothing*"])


def test_a_malformed_waiver_file_stops_the_run_naming_the_line(gate):
    _write(gate, FAILING)
    gate.makefile(".toml", w=WAIVER.format(id="SEC-05", day=SOON) + "\n[[waiver]]\nid = \"SEC-04\"\n")
    result = gate.runpytest("--waivers=w.toml", "--no-nestgate-report")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "line 7: waiver 2: justification: required key is missing" in result.stderr.str()


def test_select_by_control_id(gate):
    _write(gate, FAILING + '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")\n'
                           'def test_b(evidence): evidence.source("s"); evidence.measure(n=1)\n'
                           '@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-02")\n'
                           'def test_c(evidence): evidence.source("s"); evidence.measure(n=1)\n')
    result = gate.runpytest("--nestgate-controls=SEC-02", "--no-nestgate-report")
    assert result.ret == 0
    result.assert_outcomes(passed=2, deselected=1)
    # an explicit control selection is a coverage mode of its own, named: never a whole-gate GO
    result.stdout.fnmatch_lines(["security     GO, controls SEC-02 only passed 2,*"])
    result = gate.runpytest("--nestgate-controls=SEC-99", "--no-nestgate-report")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_gate_selected_by_marker_with_no_control_fails_the_run(gate):
    _write(gate, '@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-02")\ndef test_b(): pass\n')
    result = gate.runpytest("-m", "security or build", "--no-nestgate-report")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*build*NO-GO*[[]no control ran; incomplete: BLD-01 (declared) not collected;*"])


def test_a_teardown_error_is_a_no_go(gate):
    _write(gate, '@pytest.fixture\ndef broken():\n    yield\n    raise RuntimeError("cleanup failed")\n'
                 '@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-02")\n'
                 'def test_b(broken): pass\n')
    result = gate.runpytest("--no-nestgate-report")
    result.stdout.fnmatch_lines(["*security*NO-GO*errors 1*"])


def test_a_gate_run_writes_a_verified_bundle(gate):
    import json

    from nestgate.gate.bundle import verify_bundle

    _write(gate, FAILING)
    result = gate.runpytest()
    [bundle] = (gate.path / "reports").iterdir()
    evidence = verify_bundle(bundle)
    assert bundle.name.endswith("-all")
    [record] = evidence["controls"]
    assert (record["control_id"], record["outcome"]) == ("SEC-05", "failed")
    assert record["measured"] == {"published": ["5432"]}
    assert evidence["verdict"]["security"]["verdict"] == "NO-GO" and evidence["go"] is False
    assert json.loads((bundle / "manifest.json").read_text())["target"]["stack"] == "medianest-staging"
    result.stdout.fnmatch_lines([f"nestgate evidence: {bundle} (manifest verified)"])


def test_an_unwritable_report_directory_stops_the_run_before_any_control(gate):
    _write(gate, 'import pathlib\n@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-02")\n'
                 'def test_b(): pathlib.Path("ran").touch()\n')
    (gate.path / "afile").write_text("")
    result = gate.runpytest("--nestgate-report=afile/reports")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot write report directory" in result.stderr.str()
    assert not (gate.path / "ran").exists()


def test_the_thread_timeout_method_is_refused_for_a_gate_run(gate):
    # it os._exit()s the whole process on a hang: no report, no verdict, nothing to audit
    _write(gate, '@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-02")\ndef test_b(): pass\n')
    result = gate.runpytest("--timeout=5", "--timeout-method=thread")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "needs the signal method" in result.stderr.str()


# -- findings: the failure message is derived from what the rules found ---------------------
FINDINGS = ('from nestgate.rules.findings import Finding\n'
            '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-04")\n'
            'def test_a(evidence):\n'
            '    found = evidence.judge([Finding("container c1", "user", "0:0", "a non-root user"),\n'
            '                            Finding("container c1", "read_only", False, True, says="root fs writable"),\n'
            '                            Finding("container c2", "privileged", True, False)])\n'
            '    assert not found, {assert_text}\n')


def test_the_failure_message_is_derived_from_the_recorded_findings(gate):
    # Whatever the assert's own text says, the message is the findings': they cannot disagree.
    _write(gate, FINDINGS.format(assert_text='"a hand-written message"'))
    result = gate.runpytest()
    result.assert_outcomes(failed=1)
    message = ("SEC-04: container c1: user is '0:0', expected a non-root user; root fs writable; "
               "container c2: privileged is True, expected False")
    result.stdout.fnmatch_lines([f"*{message}*"])
    assert "a hand-written message" not in result.stdout.str()
    from nestgate.gate.bundle import verify_bundle

    [bundle] = (gate.path / "reports").iterdir()
    [record] = verify_bundle(bundle)["controls"]
    assert record["message"].endswith(message)
    assert [(f["subject"], f["property"], f["measured"], f["expected"]) for f in record["findings"]] == [
        ("container c1", "user", "0:0", "a non-root user"), ("container c1", "read_only", False, True),
        ("container c2", "privileged", True, False)]
    assert "container c2: privileged is True, expected False" in (bundle / "report.html").read_text()


def test_a_control_that_records_findings_but_does_not_fail_on_them_fails(gate):
    _write(gate, FINDINGS.replace("    assert not found, {assert_text}\n", "    assert True\n"))
    result = gate.runpytest("--no-nestgate-report")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SEC-04: container c1: user is*(recorded findings, yet the control did not "
                                 "fail on them)*", "*security*NO-GO*"])


def test_a_failed_precondition_fails_the_control_not_its_setup(gate):
    _write(gate, 'from nestgate.rules.findings import Finding\n'
                 '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-07")\n'
                 'def test_a(evidence):\n'
                 '    evidence.fail(Finding("monitor service monitor", "running containers", 0, "at least 1",\n'
                 '                          says="no running container in stack s"))\n')
    result = gate.runpytest("--no-nestgate-report")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SEC-07: monitor service monitor: no running container in stack s*",
                                 "*security*NO-GO*failed 1, errors 0*"])

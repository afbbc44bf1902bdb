"""Each seeded security fault fails exactly its control, with a message naming the offender and
the measured value against the expected one.

Faults are applied in groups (one stack deploy and one `pytest -m security` run per group) to keep
the suite within minutes. A group holds at most one fault per control (SEC-04 in the hardening group
and SEC-02 in the credentials group excepted: each message names its own place), so every
failing test is attributable: the run must fail exactly the tests listed for the group, and every
other security test of the run must pass. No credential, planted or the instance's own, appears in
the run's output or bundle.
"""

import pytest

from selftest.gaterun import run_gates

CLEAR_TESTS = ["test_declared_credentials_not_in_the_clear[SEC-02]",
               "test_running_credentials_not_in_the_clear[SEC-02]"]
# fault -> (control, failing test names, fragments its message must contain; {i} = instance)
FAULTS = {
    "scan-critical": ("SEC-01", ["test_scan_reports_show_no_unwaived_p0_p1[SEC-01]"], [
        "P0/P1 vulnerabilities (blocking: CRITICAL, HIGH)", "scan/trivy.json: 1 blocking finding(s) without waiver",
        "CVE-2024-45490 CRITICAL in libexpat1 2.5.0-1 (fixed in 2.5.0-1+deb12u1)"]),
    "scan-report-stale": ("SEC-01", ["test_scan_reports_show_no_unwaived_p0_p1[SEC-01]"], [
        "no current scan evidence: grype report", "scan/grype.json is 72.0 h old", "max 24 h"]),
    "scan-empty": ("SEC-01", ["test_scan_reports_show_no_unwaived_p0_p1[SEC-01]"], [
        "scanned nothing: trivy report ", "scan/trivy.json lists no scanned target (no Results[].Target)"]),
    "scan-unscanned-image": ("SEC-01", ["test_scan_reports_show_no_unwaived_p0_p1[SEC-01]"], [
        "image not scanned: nestgate-testbed/nginx:", " (service nginx) is in no current scan report"]),
    "missing-secret": ("SEC-02", ["test_external_secrets_deployed[SEC-02]"], [
        "declared external secret(s) missing from the swarm: {i}_metrics_token_v2"]),
    # A service's findings share its subject: "service app (compose): <place>; <place>".
    "clear-env-secret": ("SEC-02", CLEAR_TESTS, [
        "service app (compose): ", "service app (running): ",
        "environment JWT_SECRET holds a literal credential (not a Docker secret)"]),
    "clear-db-url": ("SEC-02", CLEAR_TESTS, [
        "service app (compose): ", "service app (running): ",
        "environment DATABASE_URL holds a URL with a password (not a Docker secret)"]),
    "clear-cli-password": ("SEC-02", CLEAR_TESTS, [
        "service monitor (compose): command argument --password holds a literal credential (not a Docker secret)",
        "service monitor (running): command argument --password holds a literal credential (not a Docker secret)"]),
    "weak-secret-short": ("SEC-02", ["test_config_secrets_are_strong[SEC-02]"], [
        "the secret from {{file=secrets/weak_rotation_value}} (security.rotation.new_value): is 9 characters; "
        "minimum 12"]),
    "weak-secret-public": ("SEC-02", ["test_config_secrets_are_strong[SEC-02]"], [
        "the secret from {{file=secrets/weak_rotation_value}} (security.rotation.new_value): contains a public "
        "name in the config (target."]),
    "auth-logout-keeps-token": ("SEC-03", ["test_login_logout_flow[SEC-03]"], [
        "protected after logout: GET /api/auth/session answered 200, expected 401/403"]),
    "auth-any-password": ("SEC-03", ["test_login_logout_flow[SEC-03]"], [
        "wrong password: POST /api/auth/login answered 200, expected 401/403"]),
    "root-user": ("SEC-04", ["test_declared_hardening[SEC-04[app]]", "test_running_hardening[SEC-04[app]]"], [
        "service app (compose): user is '0:0', expected a non-root user", "container {i}_app.1.",
        "(python3) runs as UID 0/0 (real/effective), expected non-root"]),
    "privileged": ("SEC-04", ["test_running_hardening_of_other_containers[SEC-04]"], [
        "container {i}_privileged-debug: privileged is true, expected false",
        "no compose service declares it"]),
    "cap-sys-admin": ("SEC-04", ["test_declared_hardening[SEC-04[app]]", "test_running_hardening[SEC-04[app]]"], [
        "cap_add ['SYS_ADMIN'] not in the allow-list []"]),
    "writable-rootfs": ("SEC-04", ["test_declared_hardening[SEC-04[app]]", "test_running_hardening[SEC-04[app]]"], [
        "root filesystem is writable (read_only false), expected read-only"]),
    "docker-socket": ("SEC-04", ["test_declared_hardening[SEC-04[app]]", "test_running_hardening[SEC-04[app]]"], [
        "mounts host path /var/run/docker.sock (docker socket), expected no sensitive host mount"]),
    "host-network": ("SEC-04", ["test_declared_hardening_of_other_services[SEC-04]",
                                "test_running_hardening_of_other_containers[SEC-04]"], [
        "service node-agent (compose, not in target.services): shares the host network namespace",
        "container {i}_node-agent.1."]),
    "hardening-drift": ("SEC-04", ["test_running_hardening[SEC-04[redis]]"], [
        "container {i}_redis.1.", "declared and running disagree on read_only: declared True, running False"]),
    "db-port-published": ("SEC-05", ["test_declared_segregation[SEC-05]", "test_running_segregation[SEC-05]"], [
        "data service postgres: publishes", ":5432/tcp", "only edge services ['nginx'] may publish"]),
    "network-not-internal": ("SEC-05", ["test_declared_segregation[SEC-05]", "test_running_segregation[SEC-05]"], [
        "data service postgres: attaches to non-internal network(s) ['data-open']",
        "attached to non-internal network(s) ['{i}_data-open']",
        "a TCP connect from the host reached it at", ":5432 connected (expected refused)"]),
    "unversioned-secret": ("SEC-06", ["test_secret_ages_and_versioned_names[SEC-06]"], [
        "secret {i}_nextauth_secret: does not follow the versioned naming {i}_<name>_vN"]),
    "old-secret": ("SEC-06", ["test_secret_ages_and_versioned_names[SEC-06]"], [
        "secret {i}_jwt_secret_v2: is ", " old (created ", ", max "]),
    "monitor-down": ("SEC-07", ["test_monitor_active_and_alerting[SEC-07]"], [
        "heartbeat: GET /monitor/heartbeat answered 200 with no usable heartbeat",
        "(POST /monitor/alerts/test -> 202) not raised in GET /monitor/alerts within 15 s"]),
}
GROUPS = {
    "one-per-control": ["scan-critical", "missing-secret", "auth-logout-keeps-token", "root-user",
                        "db-port-published", "unversioned-secret", "monitor-down"],
    "one-per-control-2": ["scan-report-stale", "weak-secret-public", "auth-any-password", "privileged",
                          "network-not-internal", "old-secret"],
    "hardening": ["cap-sys-admin", "writable-rootfs", "docker-socket", "host-network", "hardening-drift",
                  "scan-empty"],
    "scan-coverage": ["scan-unscanned-image"],
    # One control, four faults: each message names its own place (a clear credential fails both sides).
    "credentials": ["clear-env-secret", "clear-db-url", "clear-cli-password", "weak-secret-short"],
}


def test_every_security_fault_is_covered():
    from nestgate.testbed.faults import ALL

    security_faults = {name for name, f in ALL.items() if f.control.startswith("SEC-")}
    assert set(FAULTS) == security_faults
    assert sorted(f for g in GROUPS.values() for f in g) == sorted(FAULTS)
    for faults in GROUPS.values():
        for name in faults:
            assert ALL[name].control == FAULTS[name][0]


@pytest.fixture(scope="module", params=list(GROUPS))
def group_run(request, testbed, tmp_path_factory):
    faults = GROUPS[request.param]
    # A bundle of our own (a later --nestgate-report wins), kept to grep for planted credentials.
    bundle = tmp_path_factory.mktemp(request.param)
    with testbed.fault(*faults):
        run = run_gates(["-m", "security", f"--nestgate-report={bundle}"], testbed.config_path)
    return faults, run, bundle


def _name(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[-1]


def test_group_fails_exactly_its_controls_and_tests(group_run):
    faults, run, _ = group_run
    assert run.returncode == 1 and "security     NO-GO" in run.output, run.output
    assert run.failed_controls() == {FAULTS[f][0] for f in faults}, run.output
    failed = {_name(o.nodeid) for o in run.outcomes.values() if o.outcome != "passed"}
    assert failed == {t for f in faults for t in FAULTS[f][1]}, run.output
    assert len(run.outcomes) >= 20  # every security test ran; the others passed


def test_each_fault_message_names_offender_and_values(group_run, testbed):
    faults, run, _ = group_run
    by_name = {_name(o.nodeid): o.message for o in run.outcomes.values()}
    for fault in faults:
        control, tests, fragments = FAULTS[fault]
        text = " | ".join(by_name[t] for t in tests)
        for fragment in fragments:
            assert fragment.format(i=testbed.instance) in text, f"{fault}: {fragment!r} not in {text!r}"
        assert all(by_name[t].startswith(f"{control}: ") for t in tests), text
        assert "Traceback" not in text


def test_no_credential_is_anywhere_in_the_output(group_run, testbed):
    """Neither the value a credential fault plants nor any credential of the instance appears in the
    run's output or in any file of its bundle (evidence.json, junit.xml, report.html, ...)."""
    from nestgate.testbed.faults.secrets import FAULTS as PLANTING
    from nestgate.testbed.faults.secrets import planted

    faults, run, bundle = group_run
    # postgres_db and postgres_user hold identifiers ("medianest"), not credentials.
    values = [p.read_text().strip() for p in (testbed.state_dir / "secrets").iterdir()
              if p.name not in ("postgres_db", "postgres_user")]
    values += [planted(testbed.instance, f.name) for f in PLANTING if f.name in faults]
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert files and len(values) >= 8, (bundle, len(values))
    texts = {"output": run.output, **{str(p): p.read_bytes().decode("utf-8", "replace") for p in files}}
    assert not [(where, f"value #{i}") for where, text in texts.items() for i, v in enumerate(values) if v in text]

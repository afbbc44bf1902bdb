"""The evidence bundle of a real gate run against the reference stack: verified hashes, the
target fingerprint matching the engine, the evidence columns rendered by headless Chromium, and
the same verdict serially and under xdist."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import docker

from nestgate.gate.bundle import verify_bundle
from selftest.controls.test_evidence_bundle import ARTIFACTS, EVIDENCE_FIELDS, browser
from selftest.gaterun import ROOT


def _gate_run(testbed, reports: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    before = set(reports.glob("*")) if reports.exists() else set()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "infra", f"--target-config={testbed.config_path}",
                           f"--nestgate-report={reports}", "-p", "no:cacheprovider", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    [bundle] = set(reports.glob("*")) - before
    return proc, bundle


def test_a_reference_stack_run_writes_a_verified_bundle_that_names_its_target(testbed, tmp_path):
    proc, bundle = _gate_run(testbed, tmp_path / "reports")
    evidence = verify_bundle(bundle)
    assert bundle.name.endswith("-infra")
    assert evidence["go"] == (proc.returncode == 0), proc.stdout
    assert {r["control_id"] for r in evidence["controls"]} >= {"INF-01", "INF-04", "INF-06"}
    for record in evidence["controls"]:
        assert set(record) >= EVIDENCE_FIELDS and record["gate"] == "infra" and record["sources"], record
    inf01 = next(r for r in evidence["controls"] if r["control_id"] == "INF-01")
    assert inf01["outcome"] == "passed" and inf01["measured"]["local_node_state"] == "active"

    target = json.loads((bundle / "manifest.json").read_text())["target"]
    info = docker.from_env(timeout=30).info()
    assert target["engine"]["version"] == info["ServerVersion"]
    assert target["engine"]["swarm_node_id"] == info["Swarm"]["NodeID"]
    compose = Path(testbed.compose_path)
    assert target["compose_files"] == {compose.name: hashlib.sha256(compose.read_bytes()).hexdigest()}
    assert target["stack"] == inf01["target"]  # INF-01 has no subject: its target is the stack
    assert "commit" in target["project"]

    dom = browser("--dump-dom", (bundle / "report.html").as_uri()).stdout
    for text in ('<td class="col-ngControl">INF-01</td>', "Docker Swarm initialized and operational",
                 "local_node_state: active", '<th data-column-type="ngMeasured">Measured</th>'):
        assert text in dom, text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser("--window-size=2000,1100", f"--screenshot={ARTIFACTS / 'reference-stack-report.png'}",
            (bundle / "report.html").as_uri())
    assert (ARTIFACTS / "reference-stack-report.png").stat().st_size > 20_000


def test_xdist_gives_the_same_verdict_on_the_reference_stack(testbed, tmp_path):
    serial, a = _gate_run(testbed, tmp_path / "reports")
    parallel, b = _gate_run(testbed, tmp_path / "reports", "-n", "2")
    ea, eb = verify_bundle(a), verify_bundle(b)
    # Same verdict, and the right one: the clean stack is GO with every test passed, both ways (two
    # runs NO-GO in the same way would otherwise pass as "parity").
    for proc, evidence in ((serial, ea), (parallel, eb)):
        assert proc.returncode == 0 and evidence["go"] is True, proc.stdout[-3000:]
        assert evidence["verdict"]["infra"]["verdict"] == "GO", evidence["verdict"]
        assert evidence["controls"] and {r["outcome"] for r in evidence["controls"]} == {"passed"}
    assert ea["verdict"] == eb["verdict"]
    assert ({(r["nodeid"], r["outcome"], r["target"]) for r in ea["controls"]}
            == {(r["nodeid"], r["outcome"], r["target"]) for r in eb["controls"]})
    assert eb["run"]["xdist_workers"] == 2


SECRET_BASES = ("nextauth_secret", "plex_client_id", "plex_client_secret", "encryption_key", "jwt_secret",
                "postgres_password", "redis_password", "test_account_password")


def _absolute_paths(data: object, base: Path) -> object:
    """The testbed's config with its relative paths made absolute, so a copy works elsewhere."""
    if isinstance(data, dict):
        return {k: (str(base / v) if k in ("project_dir", "file", "path") and isinstance(v, str) and v
                    and not Path(v).is_absolute() else _absolute_paths(v, base)) for k, v in data.items()}
    if isinstance(data, list):
        return [_absolute_paths(v, base) for v in data]
    return data


def test_the_stacks_real_secrets_appear_in_no_artifact_of_a_failing_run(testbed, tmp_path):
    import tomllib

    import tomli_w

    original = Path(testbed.config_path)
    data = _absolute_paths(tomllib.loads(original.read_text()), original.parent)
    data["security"]["secrets"]["expected_count"] = 99  # SEC-02 fails: a failing run, real controls
    config = tmp_path / "nestgate.toml"
    config.write_text(tomli_w.dumps(data))
    secrets = {b: testbed.secret_file(b).read_text().strip() for b in SECRET_BASES}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "security or infra", f"--target-config={config}",
                           f"--nestgate-report={tmp_path / 'reports'}", "-p", "no:cacheprovider", "-rA", "-vv",
                           "-o", "log_cli=true", "-o", "log_level=DEBUG", "-o", "junit_logging=all"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    [bundle] = (tmp_path / "reports").iterdir()
    evidence = verify_bundle(bundle)
    assert "SEC-02" in {r["control_id"] for r in evidence["controls"] if r["outcome"] == "failed"}
    used = {r["control_id"] for r in evidence["controls"]}
    assert {"SEC-03", "INF-03"} <= used  # the controls that log in and connect with these secrets ran
    artifacts = {"stdout": proc.stdout, "stderr": proc.stderr}
    artifacts |= {p.name: p.read_text(errors="replace") for p in bundle.iterdir()}
    for name, text in artifacts.items():
        for base, value in secrets.items():
            assert value not in text, f"the stack's {base} appears in {name}"

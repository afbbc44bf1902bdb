"""Faults in the source tree and the generated config: no Docker change, instant to apply."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import docker
import pytest

from nestgate.config import load_config
from nestgate.testbed import Testbed, frontend
from nestgate.testbed.faults import build as build_faults
from nestgate.testbed.faults import network
from nestgate.testbed.run import client


def npm(tb: Testbed, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["npm", *args], cwd=tb.project_dir, capture_output=True, text=True, timeout=300)


def test_pristine_tree_builds_checks_and_tests(tb: Testbed) -> None:
    assert npm(tb, "run", "typecheck").returncode == 0
    tests = npm(tb, "run", "test:critical-path")
    assert tests.returncode == 0 and "# pass 7" in tests.stdout
    resolved = subprocess.run(["node", "-p", "require.resolve('@medianest/shared')"], cwd=tb.project_dir / "backend",
                              capture_output=True, text=True, timeout=60)
    assert resolved.stdout.strip().endswith("shared/dist/index.js")
    assert frontend.size_bytes(tb.project_dir / "frontend" / ".next") < 10 * 2**20
    assert frontend.size_bytes(tb.project_dir / "frontend" / ".next", exclude_cache=False) > 20 * 2**20


def test_bundle_too_big(tb: Testbed) -> None:
    with tb.fault("bundle-too-big"):
        assert frontend.size_bytes(tb.project_dir / "frontend" / ".next") > 10 * 2**20
    assert frontend.size_bytes(tb.project_dir / "frontend" / ".next") < 10 * 2**20


def test_type_error(tb: Testbed) -> None:
    with tb.fault("type-error"):
        result = npm(tb, "run", "typecheck")
        assert result.returncode != 0 and "TS2322" in result.stdout
        assert npm(tb, "run", "test:critical-path").returncode == 0  # BLD-04 unaffected
    assert npm(tb, "run", "typecheck").returncode == 0


def test_missing_npm_script(tb: Testbed) -> None:
    with tb.fault("missing-npm-script"):
        result = npm(tb, "run", "test:critical-path")
        assert result.returncode != 0 and "Missing script" in result.stderr
    assert npm(tb, "run", "test:critical-path").returncode == 0


def build(tb: Testbed) -> None:
    _, logs = client(900).images.build(path=str(tb.project_dir), tag="nestgate-testbed-selftest/app:probe",
                                       network_mode="none", rm=True, forcerm=True, timeout=900)
    for _ in logs:
        pass
    client().images.remove("nestgate-testbed-selftest/app:probe")


def test_broken_dockerfile(tb: Testbed) -> None:
    with tb.fault("broken-dockerfile"), pytest.raises(docker.errors.BuildError, match=r"requirements\.lock"):
        build(tb)
    build(tb)


def test_critical_test_fails(tb: Testbed) -> None:
    with tb.fault("critical-test-fails"):
        result = npm(tb, "run", "test:critical-path")
        assert result.returncode != 0 and "# fail 1" in result.stdout and "# tests 8" in result.stdout
        assert re.search(rf"^not ok \d+ - {re.escape(build_faults.FAILING_TEST)}$", result.stdout, re.MULTILINE)
        assert npm(tb, "run", "typecheck").returncode == 0  # BLD-03 unaffected
    assert npm(tb, "run", "test:critical-path").returncode == 0


def test_old_secret_moves_the_age_clock_ahead_not_the_limit(tb: Testbed) -> None:
    ahead = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=network.OLD_SECRET_AHEAD_DAYS)
    with tb.fault("old-secret"):
        policy = load_config(tb.config_path).model.security.secrets
        assert (policy.max_age_days, policy.ages_as_of) == (90, ahead)
    policy = load_config(tb.config_path).model.security.secrets
    assert (policy.max_age_days, policy.ages_as_of) == (90, None)


def test_scan_faults_change_only_the_reports(tb: Testbed) -> None:
    spec_before = tb.compose_path.read_text()
    with tb.fault("scan-critical", "scan-report-stale"):
        assert "CVE-2024-45490" in (tb.state_dir / "scan" / "trivy.json").read_text()
        assert tb.compose_path.read_text().replace("# Seeded faults applied: scan-critical, scan-report-stale\n",
                                                   "") == spec_before
    assert "CVE-2024-45490" not in (tb.state_dir / "scan" / "trivy.json").read_text()
    with tb.fault("scan-empty", "scan-unscanned-image"):
        assert json.loads((tb.state_dir / "scan" / "trivy.json").read_text())["Results"] == []
        assert "nestgate-testbed/nginx" not in (tb.state_dir / "scan" / "images.sarif").read_text()
        assert tb.compose_path.read_text().replace("# Seeded faults applied: scan-empty, scan-unscanned-image\n",
                                                   "") == spec_before
    assert json.loads((tb.state_dir / "scan" / "trivy.json").read_text())["Results"]

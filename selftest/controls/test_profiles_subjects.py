"""Every service of the compose model is judged, profiled ones included (target.compose_profiles),
target.services is what must exist, target.exclude leaves a service out with its reason shown.

Runs the real declared controls against H5's MediaNest-shaped checkout (selftest/data/checkouts/
medianest: four profiled services beside postgres, redis, app and nginx); no stack needed.
"""

from __future__ import annotations

import json
from pathlib import Path

from selftest.conftest import derive_config
from selftest.gaterun import ROOT, GateRun, run_gates

CHECKOUT = ROOT / "selftest" / "data" / "checkouts" / "medianest"
PER_SERVICE = ("SEC-04", "PRF-02", "INF-06")
SELECT = ["-m", "declared", "-k", " or ".join(PER_SERVICE), "-p", "no:cacheprovider"]
PROFILED = {"frontend": "full", "prometheus": "monitoring", "trivy": "security-scan", "backup": "backup"}
PLAIN = ["postgres", "redis", "app", "nginx"]


def _config(default_config: dict, directory: Path, **target) -> Path:
    base = {"project_dir": str(CHECKOUT), "compose_files": ["docker-compose.hardened.yml"], "services": PLAIN,
            "stack": "medianest"}
    return derive_config(default_config, directory, target={**base, **target})


def _subjects(run: GateRun, control: str) -> set[str]:
    """The services a control's parametrized test IDs name: test_x[SEC-04[trivy]] -> trivy."""
    prefix = f"[{control}["
    return {o.nodeid.split(prefix, 1)[1].split("]", 1)[0] for o in run.outcomes.values() if prefix in o.nodeid}


def _outcome(run: GateRun, fragment: str):
    [found] = [o for o in run.outcomes.values() if fragment in o.nodeid]
    return found


def test_every_profiled_service_is_judged_by_every_per_service_control(default_config, tmp_path):
    run = run_gates(SELECT, _config(default_config, tmp_path))
    for control in PER_SERVICE:
        assert _subjects(run, control) == {*PLAIN, *PROFILED}, (control, run.output[-2000:])
    # Their real defects are reported, under their own names.
    trivy = _outcome(run, "test_declared_hardening[SEC-04[trivy]]")
    assert trivy.outcome == "failed" and "service trivy (compose): " in trivy.message, trivy.message
    assert "docker.sock" in trivy.message, trivy.message
    backup = _outcome(run, "test_limits_declared[PRF-02[backup]]")
    assert backup.outcome == "failed" and "service backup" in backup.message, backup.message
    # Each service's profiles are in the declared evidence.
    sources = " ".join(trivy.evidence["sources"])
    assert "(every profile)" in sources
    for name, profile in PROFILED.items():
        assert f"{name} [{profile}]" in sources, sources


def test_listed_profiles_win_over_compose_profiles_env(default_config, tmp_path):
    config = _config(default_config, tmp_path, compose_profiles=["monitoring"])
    run = run_gates(SELECT, config, env={"COMPOSE_PROFILES": "full,backup"})
    assert _subjects(run, "SEC-04") == {*PLAIN, "prometheus"}, run.output[-2000:]
    sources = " ".join(_outcome(run, "test_declared_hardening[SEC-04[prometheus]]").evidence["sources"])
    assert "(profiles monitoring)" in sources and "prometheus [monitoring]" in sources, sources


def test_a_listed_service_missing_from_the_model_fails_its_tests(default_config, tmp_path):
    run = run_gates(SELECT, _config(default_config, tmp_path, services=[*PLAIN, "monitor"], compose_profiles=[]))
    assert _subjects(run, "INF-06") == {*PLAIN, "monitor"}
    missing = _outcome(run, "test_service_declared_with_replicas[INF-06[monitor]]")
    assert missing.outcome == "failed" and "service monitor" in missing.message, missing.message


def test_an_excluded_service_is_not_judged_and_every_report_says_why(default_config, tmp_path):
    reason = "one-shot scanner job, never deployed to the swarm"
    config = _config(default_config, tmp_path, exclude=[{"service": "trivy", "reason": reason}])
    reports = tmp_path / "reports"  # given after run_gates' own --nestgate-report: this one wins
    run = run_gates([*SELECT, f"--nestgate-report={reports}"], config)
    [bundle] = [p.parent for p in reports.rglob("evidence.json")]
    for control in PER_SERVICE:
        assert _subjects(run, control) == {*PLAIN, *PROFILED} - {"trivy"}, control
    assert f"excluded from judgement: service trivy ({reason})" in run.output  # the pytest header
    evidence = json.loads((bundle / "evidence.json").read_text())
    assert evidence["target"]["excluded_services"] == [{"service": "trivy", "reason": reason}]
    html = (bundle / "report.html").read_text()
    assert "Excluded from judgement" in html and reason in html


def test_an_exclusion_outside_the_model_stops_the_run_in_one_line(default_config, tmp_path):
    """(The other bad exclusions are refused by the config loader: selftest/unit/test_subjects_config.py.)"""
    config = _config(default_config, tmp_path, exclude=[{"service": "grafana", "reason": "not ours"}])
    run = run_gates(SELECT, config)
    says = "target.exclude[0].service: 'grafana' is not a service of the compose model"
    assert run.returncode != 0 and says in run.output, run.output[-2000:]
    assert "Traceback" not in run.output

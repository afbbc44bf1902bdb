"""PRF-02 arithmetic: limits as the real Compose CLI resolves them, and as the engine reports them."""

import json
import subprocess

import pytest

from nestgate.probes.compose import compose_command
from nestgate.rules.prf02_resource_limits import (
    DeclaredLimits,
    Limits,
    declared_findings,
    declared_limits,
    disagreements,
    in_force_findings,
    missing,
    parse_cpus,
    parse_memory,
    running_limits,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("268435456", 268435456), (268435456, 268435456), ("256M", 256 * 2**20), ("256MiB", 256 * 2**20),
    ("1g", 2**30), ("512k", 512 * 1024), ("1.5G", int(1.5 * 2**30)), (None, None), ("", None), ("lots", None),
])
def test_parse_memory(value, expected):
    assert parse_memory(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(0.75, 750_000_000), ("0.25", 250_000_000), (None, None),
                                                 ("x", None), (True, None)])
def test_parse_cpus(value, expected):
    assert parse_cpus(value) == expected


def _resolved(tmp_path, service_yaml):
    (tmp_path / "c.yml").write_text("services:\n  svc:\n    image: x\n" + service_yaml)
    out = subprocess.run([*compose_command(), "-f", str(tmp_path / "c.yml"), "-p", "t", "config", "--format",
                          "json"], capture_output=True, text=True, check=True, timeout=30).stdout
    return json.loads(out)["services"]["svc"]


def test_deploy_limits_as_the_real_compose_cli_resolves_them(tmp_path):
    spec = _resolved(tmp_path, "    deploy:\n      resources:\n        limits:\n"
                               "          cpus: '0.75'\n          memory: 256M\n")
    for orchestrator in ("swarm", "compose"):
        got = declared_limits(spec, orchestrator)
        assert got.limits == Limits(256 * 2**20, 750_000_000)
        assert not got.ignored


def test_mem_limit_counts_for_compose_but_not_for_swarm(tmp_path):
    spec = _resolved(tmp_path, "    mem_limit: 128m\n    cpus: 0.5\n")
    assert declared_limits(spec, "compose").limits == Limits(128 * 2**20, 500_000_000)
    swarm = declared_limits(spec, "swarm")
    assert missing(swarm.limits) == ["memory", "cpus"]
    assert swarm.ignored == "mem_limit/cpus set, which docker stack deploy ignores"


def test_running_limits_from_nano_cpus_or_quota():
    assert running_limits({"HostConfig": {"Memory": 134217728, "NanoCpus": 250_000_000}}) == \
        Limits(134217728, 250_000_000)
    assert running_limits({"HostConfig": {"Memory": 0, "CpuQuota": 50000, "CpuPeriod": 100000}}) == \
        Limits(None, 500_000_000)
    assert running_limits({"HostConfig": {}}) == Limits(None, None)


def test_disagreement_shows_both_values():
    declared, running = Limits(128 * 2**20, 250_000_000), Limits(None, 250_000_000)
    assert disagreements(declared, running) == ["memory declared 128 MiB, in force none"]
    assert disagreements(declared, declared) == []
    assert missing(running) == ["memory"]


MIB = 2**20


def test_declared_findings_name_the_missing_limits_and_the_ignored_keys():
    assert declared_findings("app", DeclaredLimits(Limits(128 * MIB, 250_000_000), "deploy.resources.limits", "")) == []
    [f] = declared_findings("monitor", DeclaredLimits(Limits(None, 250_000_000), "deploy.resources.limits", ""))
    assert (f.subject, f.property, f.measured, f.expected) == (
        "service monitor", "declared limits", "memory none, cpus 0.25", "memory and cpus set")
    assert str(f) == "service monitor: declares no memory limit (memory none, cpus 0.25) in deploy.resources.limits"
    [legacy] = declared_findings("legacy", DeclaredLimits(Limits(None, None), "deploy.resources.limits",
                                                          "mem_limit/cpus set, which docker stack deploy ignores"))
    assert legacy.sentence == ("declares no memory and no cpus limit (memory none, cpus none) in "
                               "deploy.resources.limits; mem_limit/cpus set, which docker stack deploy ignores")


def test_in_force_findings_per_container_missing_or_disagreeing():
    declared = Limits(128 * MIB, 250_000_000)
    assert in_force_findings("app", declared, {"app.1": declared, "app.2": declared}) == []
    found = in_force_findings("app", declared, {"app.1": Limits(None, 250_000_000), "app.2": declared,
                                                "app.3": Limits(64 * MIB, 500_000_000)})
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("service app", "container app.1 limits", "memory none, cpus 0.25", "memory and cpus set"),
        ("service app", "container app.3 limits", "memory 64 MiB, cpus 0.5", "memory 128 MiB, cpus 0.25")]
    assert [f.sentence for f in found] == [
        "container app.1 runs with no memory limit (in force: memory none, cpus 0.25; declared: memory 128 MiB, "
        "cpus 0.25)",
        "container app.3: memory declared 128 MiB, in force 64 MiB; cpus declared 0.25, in force 0.5"]


def test_a_container_with_no_limits_is_reported_once_not_also_as_disagreeing():
    [f] = in_force_findings("monitor", Limits(None, 250_000_000), {"m.1": Limits(None, None)})
    assert f.sentence == ("container m.1 runs with no memory and no cpus limit (in force: memory none, cpus none; "
                          "declared: memory none, cpus 0.25)")

"""SEC-04 — Container security hardening verified (non-root, capabilities).

For every running container of the stack: a non-root process UID (the kernel's view, not only the
image's USER), not privileged, all capabilities dropped with additions only from the per-service
allow-list, no-new-privileges in force (container option or daemon default), read-only root
filesystem, no Docker socket or sensitive host path mounted, no host network/PID/IPC namespace.
Declared and running settings agree. Services and containers outside the expected list are
checked too, never ignored.
"""

import pytest

from nestgate.hardening import declared_intent, drift, intent_findings, process_findings, running_intent
from nestgate.params import each_service
from nestgate.probes.processes import container_processes

pytestmark = pytest.mark.security


def _policy(cfg, service):
    h = cfg.model.security.hardening
    return h.cap_add_allowed.get(service, []), h.sensitive_host_paths


@pytest.mark.declared
@pytest.mark.control("SEC-04", service=each_service)
def test_declared_hardening(service, target_config, declared, evidence):
    allowed, sensitive = _policy(target_config, service)
    evidence.source(f"compose config of {', '.join(map(str, target_config.compose_paths))}")
    evidence.limit(cap_add_allowed=allowed, user="non-root", privileged=False, cap_drop=["ALL"],
                   read_only=True, sensitive_host_paths=sensitive, host_namespaces=[])
    svc = declared.services.get(service)
    assert svc is not None, f"service {service} is not in the compose file (services: {sorted(declared.services)})"
    intent = declared_intent(svc.spec, declared.networks)
    evidence.measure(declared=intent.as_dict())
    problems = intent_findings(intent, allowed, sensitive)
    assert not problems, f"service {service} (compose): " + "; ".join(problems)


@pytest.mark.declared
@pytest.mark.control("SEC-04")
def test_declared_hardening_of_other_services(target_config, declared, evidence):
    expected = set(target_config.model.target.services)
    others = sorted(set(declared.services) - expected)
    evidence.source(f"compose config of {', '.join(map(str, target_config.compose_paths))}")
    evidence.measure(services_outside_target_list=others)
    problems = []
    for name in others:
        allowed, sensitive = _policy(target_config, name)
        intent = declared_intent(declared.services[name].spec, declared.networks)
        problems += [f"service {name} (compose, not in target.services): {p}"
                     for p in intent_findings(intent, allowed, sensitive)]
    assert not problems, "; ".join(problems)


def _check_container(container, target_config, declared, engine, evidence) -> list[str]:
    """Every rule against one running container: engine settings, kernel view, declared intent;
    one line naming the container, or none."""
    allowed, sensitive = _policy(target_config, container.service)
    running = running_intent(container.inspect)
    procs = container_processes(engine, container)
    evidence.source(f"GET /containers/{container.name}/json; its PIDs from its cgroup.procs (else GET /top); "
                    "/proc/<pid>/status of each")
    decl = declared.services.get(container.service)
    evidence.measure(**{container.name: {
        "running": running.as_dict(),
        "processes": [{"pid": p.pid, "name": p.name, "uid": p.uid_effective, "cap_eff": f"{p.cap_eff:016x}",
                       "no_new_privs": p.no_new_privs} for p in procs],
        "security_opt": (container.inspect.get("HostConfig") or {}).get("SecurityOpt"),
    }})
    problems = intent_findings(running, allowed, sensitive) + process_findings(procs, allowed)
    if decl is None:
        problems.append(f"no compose service declares it (service label {container.service!r})")
    else:
        problems += [f"declared and running disagree on {d}"
                     for d in drift(declared_intent(decl.spec, declared.networks), running)]
    return [f"container {container.name}: {'; '.join(problems)}"] if problems else []


@pytest.mark.runtime
@pytest.mark.control("SEC-04", service=each_service)
def test_running_hardening(service, target_config, declared, engine, evidence):
    allowed, _ = _policy(target_config, service)
    evidence.limit(cap_add_allowed=allowed, uid="non-zero", cap_eff="none beyond allow-list", no_new_privs=True)
    containers = [c for c in engine.running() if c.service == service]
    evidence.source(f"GET /containers?label={engine.stack} on {engine.url}")
    evidence.measure(containers=[c.name for c in containers])
    assert containers, f"service {service}: no running container in stack {engine.stack}"
    problems = [p for c in containers for p in _check_container(c, target_config, declared, engine, evidence)]
    assert not problems, "; ".join(problems)


@pytest.mark.runtime
@pytest.mark.control("SEC-04")
def test_running_hardening_of_other_containers(target_config, declared, engine, evidence):
    expected = set(target_config.model.target.services)
    running = engine.running()
    evidence.source(f"GET /containers?label={engine.stack} on {engine.url}")
    assert running, f"stack {engine.stack}: no running containers"
    others = [c for c in running if c.service not in expected]
    evidence.measure(containers_outside_target_services={c.name: c.service for c in others})
    problems = [p for c in others for p in _check_container(c, target_config, declared, engine, evidence)]
    assert not problems, "; ".join(problems)

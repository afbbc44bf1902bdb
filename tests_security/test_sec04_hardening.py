"""SEC-04 — Container security hardening verified (non-root, capabilities).

For every running container of the stack: a non-root process UID (the kernel's view, not only the
image's USER), not privileged, all capabilities dropped with additions only from the per-service
allow-list, no-new-privileges in force (container option or daemon default), read-only root
filesystem, no Docker socket or sensitive host path mounted, no host network/PID/IPC namespace.
Declared and running settings agree. Every compose service is a subject (target.exclude aside), and
a container of the stack that no compose service declares is judged too, never ignored. Every
replica on every swarm node is judged: its processes are read on its node through the node's
testinfra host; a node that cannot be read fails the control, named.
"""

import pytest

from nestgate.gate.params import each_service
from nestgate.probes.nodes_read import hardening_view
from nestgate.rules.findings import node_gap_findings
from nestgate.rules.sec04_hardening import (
    declared_intent,
    drift_findings,
    intent_findings,
    process_findings,
    running_intent,
    undeclared_finding,
)

pytestmark = pytest.mark.security


def _policy(cfg, service):
    h = cfg.model.security.hardening
    return h.cap_add_allowed.get(service, []), h.sensitive_host_paths


@pytest.mark.declared
@pytest.mark.control("SEC-04", service=each_service)
def test_declared_hardening(service, target_config, stack, declared, evidence):
    allowed, sensitive = _policy(target_config, service)
    evidence.limit(cap_add_allowed=allowed, user="non-root", privileged=False, cap_drop=["ALL"],
                   read_only=True, sensitive_host_paths=sensitive, host_namespaces=[])
    intent = declared_intent(stack.service(service).spec, declared.networks)
    evidence.measure(declared=intent.as_dict())
    found = evidence.judge(intent_findings(f"service {service} (compose)", intent, allowed, sensitive))
    assert not found, found.message


def _container_findings(container, procs, target_config, declared, evidence):
    """Every rule against one running container: engine settings, kernel view, declared intent."""
    allowed, sensitive = _policy(target_config, container.service)
    running = running_intent(container.inspect)
    evidence.source(f"GET /containers/{container.name}/json (docker inspect on its node); its PIDs from its "
                    "cgroup.procs (else GET /top); /proc/<pid>/status of each, on its node through its host")
    evidence.measure(**{container.name: {
        "running": running.as_dict(),
        "processes": [{"pid": p.pid, "name": p.name, "uid": p.uid_effective, "cap_eff": f"{p.cap_eff:016x}",
                       "no_new_privs": p.no_new_privs} for p in procs],
        "security_opt": (container.inspect.get("HostConfig") or {}).get("SecurityOpt"),
    }})
    subject = f"container {container.name}"
    found = intent_findings(subject, running, allowed, sensitive) + process_findings(subject, procs, allowed)
    decl = declared.services.get(container.service)
    if decl is None:
        return [*found, undeclared_finding(subject, container.service)]
    return found + drift_findings(subject, declared_intent(decl.spec, declared.networks), running)


@pytest.mark.runtime
@pytest.mark.control("SEC-04", service=each_service)
def test_running_hardening(service, target_config, stack, declared, nodes, evidence):
    allowed, _ = _policy(target_config, service)
    evidence.limit(cap_add_allowed=allowed, uid="non-zero", cap_eff="none beyond allow-list", no_new_privs=True)
    viewed, gaps = hardening_view(nodes, {service})
    evidence.source(nodes.source())
    if not viewed and not gaps:
        stack.running(service)  # fails naming the service and the stack
    evidence.measure(containers=[c.name for c, _ in viewed], nodes_not_read=[g.describe() for g in gaps])
    found = evidence.judge(node_gap_findings(gaps, [service])
                           + [f for c, procs in viewed
                              for f in _container_findings(c, procs, target_config, declared, evidence)])
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("SEC-04")
def test_running_hardening_of_other_containers(target_config, stack, declared, nodes, evidence):
    # every compose service is judged per service, and an excluded one is left out on purpose: "other"
    # means a container of the stack that no compose service declares
    expected = set(each_service(target_config)) | {e.service for e in target_config.model.target.exclude}
    if not any(nodes.placement().values()):
        stack.running()  # fails when the stack runs nothing at all
    others, gaps = hardening_view(nodes, outside=expected)
    evidence.source(nodes.source())
    evidence.measure(containers_outside_target_services={c.name: c.service for c, _ in others},
                     nodes_not_read=[g.describe() for g in gaps])
    found = evidence.judge(node_gap_findings(gaps)
                           + [f for c, procs in others
                              for f in _container_findings(c, procs, target_config, declared, evidence)])
    assert not found, found.message

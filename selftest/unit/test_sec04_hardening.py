"""SEC-04 logic: capability decoding, root users, sensitive mounts, declared vs running intent, /proc."""

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.proc_status import ProcessView, parse_status
from nestgate.rules.sec04_hardening import (
    cap_name,
    declared_intent,
    decode_caps,
    drift_findings,
    intent_findings,
    is_root_user,
    process_findings,
    running_intent,
    sensitive_source,
)

SENSITIVE = ["/", "/etc", "/var/run", "/var/lib/docker", "/proc"]

HARDENED_SPEC = {"user": "10001:10001", "read_only": True, "cap_drop": ["ALL"], "networks": {"edge": None},
                 "volumes": [{"type": "tmpfs", "target": "/tmp"},
                             {"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data"}]}
HARDENED_INSPECT = {"Config": {"User": "10001:10001"},
                    "HostConfig": {"Privileged": False, "CapDrop": ["ALL"], "CapAdd": None, "ReadonlyRootfs": True,
                                   "NetworkMode": "default", "PidMode": "", "IpcMode": "private"},
                    "NetworkSettings": {"Networks": {"sec_edge": {}}},
                    "Mounts": [{"Type": "tmpfs", "Destination": "/tmp"},
                               {"Type": "volume", "Source": "/var/lib/docker/volumes/x/_data"}]}


def test_capability_names_and_masks():
    assert cap_name("CAP_SYS_ADMIN") == cap_name("sys_admin") == "SYS_ADMIN"
    assert decode_caps(0) == set()
    assert decode_caps(0x00000000a80425fb) >= {"CHOWN", "NET_BIND_SERVICE", "SETUID", "KILL"}  # docker's default set
    assert decode_caps(1 << 21) == {"SYS_ADMIN"}
    assert decode_caps(1 << 63) == {"CAP_63"}


@pytest.mark.parametrize("user,root", [("", True), ("root", True), ("0", True), ("0:0", True), ("root:users", True),
                                       ("10001:10001", False), ("postgres", False), ("1000", False)])
def test_root_users(user, root):
    assert is_root_user(user) is root


def test_sensitive_sources():
    assert sensitive_source("/var/run/docker.sock", SENSITIVE) == "docker socket"
    assert sensitive_source("/srv/ci/docker.sock", SENSITIVE) == "docker socket"
    assert sensitive_source("/etc/passwd", SENSITIVE) == "/etc"
    assert sensitive_source("/", SENSITIVE) == "/"
    assert sensitive_source("/srv/medianest/config", SENSITIVE) is None  # "/" means the root itself only
    assert sensitive_source("/etcetera", SENSITIVE) is None


def test_hardened_service_and_container_have_no_findings_and_agree():
    d = declared_intent(HARDENED_SPEC, {"edge": {"name": "sec_edge"}})
    r = running_intent(HARDENED_INSPECT)
    assert intent_findings("s", d, [], SENSITIVE) == [] and intent_findings("c", r, [], SENSITIVE) == []
    assert drift_findings("c", d, r) == []


def test_every_rule_fires_with_the_measured_value():
    spec = {"user": "0:0", "privileged": True, "cap_drop": ["NET_RAW"],
            "cap_add": ["CAP_SYS_ADMIN", "NET_BIND_SERVICE"], "read_only": False, "pid": "host", "ipc": "host",
            "networks": {"hostnet": None},
            "volumes": [{"type": "bind", "source": "/var/run/docker.sock", "target": "/var/run/docker.sock"}]}
    found = intent_findings("service app (compose)",
                            declared_intent(spec, {"hostnet": {"name": "host", "external": True}}),
                            ["NET_BIND_SERVICE"], SENSITIVE)
    assert {f.subject for f in found} == {"service app (compose)"}
    assert (found[0].property, found[0].measured, found[0].expected) == ("user", "0:0", "a non-root user")
    assert [f.sentence for f in found] == [
        "user is '0:0', expected a non-root user",
        "privileged is true, expected false",
        "cap_drop is ['NET_RAW'], expected ['ALL']",
        "cap_add ['SYS_ADMIN'] not in the allow-list ['NET_BIND_SERVICE']",
        "root filesystem is writable (read_only false), expected read-only",
        "mounts host path /var/run/docker.sock (docker socket), expected no sensitive host mount",
        "shares the host ipc namespace, expected its own",
        "shares the host network namespace, expected its own",
        "shares the host pid namespace, expected its own",
    ]


def test_running_host_namespaces_and_drift_show_both_values():
    inspect = {**HARDENED_INSPECT, "HostConfig": {**HARDENED_INSPECT["HostConfig"], "NetworkMode": "host",
                                                  "ReadonlyRootfs": False, "CapAdd": ["CAP_NET_ADMIN"]}}
    r = running_intent(inspect)
    assert r.host_namespaces == {"network"} and r.cap_add == {"NET_ADMIN"}
    found = drift_findings("container c", declared_intent(HARDENED_SPEC, {}), r)
    assert [(f.property, f.measured, f.expected) for f in found] == [
        ("cap_add", ["NET_ADMIN"], []), ("read_only", False, True), ("host_namespaces", ["network"], [])]
    assert [f.sentence for f in found] == [
        "declared and running disagree on cap_add: declared [], running ['NET_ADMIN']",
        "declared and running disagree on read_only: declared True, running False",
        "declared and running disagree on host_namespaces: declared [], running ['network']",
    ]


def test_no_declared_user_leaves_the_uid_to_the_kernel_check():
    unset = declared_intent({**HARDENED_SPEC, "user": ""}, {})
    assert drift_findings("c", unset, running_intent(HARDENED_INSPECT)) == []


STATUS = """Name:\tpython3
Umask:\t0022
State:\tS (sleeping)
Uid:\t10001\t10001\t10001\t10001
Gid:\t10001\t10001\t10001\t10001
CapInh:\t0000000000000000
CapPrm:\t0000000000000000
CapEff:\t0000000000000000
CapBnd:\t0000000000000000
NoNewPrivs:\t1
"""


def test_proc_status_parsing_and_process_rules():
    p = parse_status(42, STATUS)
    assert (p.name, p.uid_real, p.uid_effective, p.cap_eff, p.no_new_privs) == ("python3", 10001, 10001, 0, True)
    assert process_findings("c", [p], []) == []
    bad = ProcessView(7, "sh", uid_effective=0, uid_real=1000, cap_eff=(1 << 21) | (1 << 10), no_new_privs=False)
    assert [f.sentence for f in process_findings("c", [bad], ["NET_BIND_SERVICE"])] == [
        "process 7 (sh) runs as UID 1000/0 (real/effective), expected non-root",
        "process 7 (sh) has effective capabilities ['SYS_ADMIN'] (CapEff 0000000000200400), expected none beyond "
        "['NET_BIND_SERVICE']",
        "process 7 (sh) has NoNewPrivs 0, expected 1 (no-new-privileges)",
    ]


def test_proc_status_without_the_fields_is_evidence_unavailable():
    with pytest.raises(EvidenceUnavailable, match="lacks a readable 'NoNewPrivs' field"):
        parse_status(1, "Name:\tx\nUid:\t0\t0\t0\t0\nCapEff:\t0\n")

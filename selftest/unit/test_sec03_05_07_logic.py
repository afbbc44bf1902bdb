"""SEC-03 (token handling, step expectations), SEC-05 (networks, ports, probe targets, segregation
rules) and SEC-07 (heartbeat, health, alert) logic."""

import datetime as dt
import socket

from nestgate.probes.engine_facts import ContainerFacts
from nestgate.probes.tcp import ConnectResult, connect, directly_routed, local_addresses
from nestgate.rules.findings import message
from nestgate.rules.sec03_auth import (
    cookie_value,
    csrf_findings,
    expect,
    json_path,
    presenting,
    token_findings,
    token_from_login,
)
from nestgate.rules.sec05_isolation import (
    container_networks,
    container_published,
    data_container_findings,
    declared_findings,
    declared_internal,
    declared_networks,
    declared_ports,
    exposed_ports,
    host_side_targets,
    internal_network_findings,
    no_container_findings,
    probe_ports,
    publisher_findings,
)
from nestgate.rules.sec07_monitoring import alert_findings, health_findings, heartbeat_age_s, heartbeat_findings


# -- SEC-03 ---------------------------------------------------------------------------------
def test_token_from_json_then_cookie():
    body = {"success": True, "data": {"token": "abc.def", "user": {"id": 1}}}
    assert token_from_login(body, {}, "data.token", "token") == ("abc.def", "JSON data.token")
    headers = {"Set-Cookie": "csrf-token=zz; Path=/, token=T0k3n; HttpOnly; SameSite=Strict; Path=/; "
                             "Expires=Wed, 21 Oct 2026 07:28:00 GMT"}
    assert token_from_login({"success": True}, headers, "data.token", "token") == ("T0k3n", "cookie token")
    assert cookie_value(headers, "csrf-token") == "zz"
    assert token_from_login(None, {"set-cookie": "token=; Max-Age=0"}, "data.token", "token") == (None, "")
    assert json_path({"a": [1]}, "a.b") is None


def test_presenting_the_token():
    assert presenting("t", "bearer", "token") == {"Authorization": "Bearer t"}
    assert presenting("t", "cookie", "auth-token") == {"Cookie": "auth-token=t"}
    assert presenting("t", "bearer", "token", {"csrf-token": "c"}) == {"Authorization": "Bearer t",
                                                                       "Cookie": "csrf-token=c"}


def test_expectations_name_the_endpoint_and_status():
    assert expect("login", "POST", "/l", 200, "2xx") == []
    assert expect("logout", "POST", "/o", 401, "rejected") == []
    [f] = expect("wrong password", "POST", "/l", 200, "rejected")
    assert (f.subject, f.property, f.measured, f.expected) == ("wrong password", "status", 200, "401/403")
    assert str(f) == "wrong password: POST /l answered 200, expected 401/403"
    assert str(expect("wrong password", "POST", "/l", 500, "rejected")[0]).endswith("(a server error is not a refusal)")
    assert [str(f) for f in expect("health", "GET", "/h", 404, "2xx")] == ["health: GET /h answered 404, expected 2xx"]


def test_expectation_of_a_step_that_belongs_to_a_subject():
    [f] = expect("test alert", "POST", "/a", 500, "2xx", subject="monitor m")
    assert (f.subject, f.property, f.measured, f.expected) == ("monitor m", "test alert status", 500, "2xx")
    assert str(f) == "monitor m: test alert: POST /a answered 500, expected 2xx"


def test_a_login_without_a_token_is_named_and_the_token_never_recorded():
    assert token_findings("login", "POST", "/l", 200, "s3cr3t-token", "data.token", "token") == []
    [f] = token_findings("login", "POST", "/l", 401, None, "data.token", "token")
    assert (f.subject, f.property, f.measured) == ("login", "token", None)
    assert str(f) == "login: POST /l answered 401 with no token (looked for JSON 'data.token' and cookie 'token')"
    assert csrf_findings("/csrf", 200, "c5rf-value", "csrfToken", "csrf-token") == []
    [c] = csrf_findings("/csrf", 200, {"nested": "zz-secret"}, "csrfToken", "csrf-token")
    assert (c.subject, c.property, c.measured) == ("csrf", "token", None)
    assert str(c) == "csrf: GET /csrf answered 200 with no token (JSON 'csrfToken', cookie 'csrf-token')"
    assert "zz-secret" not in str(c.to_dict())


def test_steps_of_one_flow_read_as_one_line():
    found = (expect("wrong password", "POST", "/l", 200, "rejected") + expect("login", "POST", "/l", 401, "2xx")
             + token_findings("login", "POST", "/l", 401, None, "data.token", "token"))
    assert message(found) == ("wrong password: POST /l answered 200, expected 401/403; login: POST /l answered 401, "
                              "expected 2xx; POST /l answered 401 with no token (looked for JSON 'data.token' and "
                              "cookie 'token')")


# -- SEC-05 ---------------------------------------------------------------------------------
def test_declared_networks_and_ports():
    nets = {"data": {"name": "ms_data", "internal": True}, "edge": {"name": "ms_edge"}}
    assert declared_internal(nets) == {"data": "ms_data"}
    assert declared_networks({"networks": {"data": None, "edge": {}}}) == ["data", "edge"]
    spec = {"ports": [{"target": 5432, "published": "15432", "protocol": "tcp", "mode": "host"},
                      {"target": 9000}]}
    assert declared_ports(spec) == ["15432:5432/tcp"]


INSPECT = {"Config": {"ExposedPorts": {"5432/tcp": {}, "5433/udp": {}}},
           "NetworkSettings": {"Networks": {"ms_data": {"IPAddress": "10.0.5.3"}, "ms_x": {"IPAddress": ""}},
                               "Ports": {"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "15432"},
                                                     {"HostIp": "::", "HostPort": "15432"}]}},
           "HostConfig": {"PortBindings": {"5432/tcp": [{"HostIp": "", "HostPort": "15432"}]}}}


def test_container_addresses_published_and_exposed():
    assert container_networks(INSPECT) == {"ms_data": ["10.0.5.3"], "ms_x": []}
    assert container_published(INSPECT) == [("0.0.0.0", 15432, "5432/tcp"), ("::", 15432, "5432/tcp")]
    assert exposed_ports(INSPECT) == [5432]
    assert host_side_targets(["127.0.0.1", "172.18.0.4"], [5432], container_published(INSPECT)) == [
        ("127.0.0.1", 5432), ("127.0.0.1", 15432), ("172.18.0.4", 5432)]


SERVICES = {
    "postgres": {"networks": {"data": None}},
    "redis": {"networks": {"data": None, "edge": None}},
    "app": {"networks": {"data": None, "edge": None}, "ports": [{"target": 3000, "published": "3000"}]},
    "nginx": {"networks": {"edge": None}, "ports": [{"target": 80, "published": "8080", "protocol": "tcp"}]},
}
NETWORKS = {"data": {"name": "ms_data", "internal": True}, "edge": {"name": "ms_edge"}}


def test_declared_segregation_holds():
    clean = {**SERVICES, "redis": {"networks": {"data": None}}, "app": {"networks": {"data": None, "edge": None}}}
    assert declared_findings(clean, NETWORKS, ["postgres", "redis"], ["nginx"]) == []


def test_declared_segregation_names_every_breach():
    services = {**SERVICES, "postgres": {"networks": {"data": None},
                                         "ports": [{"target": 5432, "published": "15432", "protocol": "tcp"}]}}
    found = declared_findings(services, NETWORKS, ["postgres", "redis", "mongo"], ["nginx"])
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("data service mongo", "declared", False, True),
        ("data service redis", "networks", ["edge"], "internal only"),
        ("service app", "published ports", ["3000:3000/tcp"], "edge services ['nginx']"),
        ("data service postgres", "published ports", ["15432:5432/tcp"], "edge services ['nginx']")]
    # Capped at nestgate.rules.messages.BODY_CAP: the last finding is counted, and whole in `found`.
    assert message(found) == (
        "data service mongo: is not in the compose file; "
        "data service redis: attaches to non-internal network(s) ['edge']; "
        "service app: publishes ['3000:3000/tcp']; only edge services ['nginx'] may publish and 1 more findings")


def test_internal_networks_stay_internal_once_deployed():
    declared = {"data": "ms_data", "backup": "ms_backup", "mon": "ms_mon"}
    found = internal_network_findings(declared, {"ms_data": True, "ms_mon": False, "ms_edge": False})
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("network ms_backup", "exists", False, True), ("network ms_mon", "Internal", False, True)]
    assert [str(f) for f in found] == ["network ms_backup: declared internal (compose key backup) does not exist",
                                       "network ms_mon: is declared internal but runs with Internal false"]


def test_running_publishers_are_judged_with_their_ports_as_given():
    assert publisher_findings({"nginx": ["8080:80/tcp"], "app": []}, ["nginx"], ["postgres"]) == []
    [f] = publisher_findings({"postgres": ["0.0.0.0:15432->5432/tcp", "15432:5432/tcp (host)"]}, ["nginx"],
                             ["postgres"])
    assert str(f) == ("data service postgres: publishes ['0.0.0.0:15432->5432/tcp', '15432:5432/tcp (host)']; "
                      "only edge services ['nginx'] may publish")


def test_a_data_service_without_a_running_container():
    assert no_container_findings("redis", ["c"], "ms") == []
    [f] = no_container_findings("redis", [], "ms")
    assert (f.subject, f.property, f.measured, f.expected) == ("data service redis", "running containers", 0,
                                                               "at least 1")
    assert str(f) == "data service redis: no running container in stack ms"


def test_a_data_container_is_internal_only_and_refuses_the_host():
    internal = {"ms_data": True, "ms_edge": False}
    refused = [ConnectResult("127.0.0.1", 5432, "refused", 0.001), ConnectResult("172.18.0.4", 5432, "timeout", 1)]
    assert probe_ports([6379], INSPECT) == [5432, 6379]
    assert data_container_findings("c", "postgres", {"ms_data": ["10.0.5.3"]}, internal, [5432], refused) == []
    reached = [*refused, ConnectResult("127.0.0.1", 15432, "connected", 0.001)]
    found = data_container_findings("data service postgres: container c", "postgres",
                                    {"ms_data": ["10.0.5.3"], "ms_edge": [], "ms_gone": []}, internal, [5432], reached)
    assert [(f.property, f.measured, f.expected) for f in found] == [
        ("networks", ["ms_edge", "ms_gone"], "internal only"),
        ("TCP connects from the host", ["127.0.0.1:15432 connected"], "refused")]
    assert message(found) == ("data service postgres: container c: attached to non-internal network(s) "
                              "['ms_edge', 'ms_gone']; a TCP connect from the host reached it at 127.0.0.1:15432 "
                              "connected (expected refused)")
    [none] = data_container_findings("c", "redis", {"ms_data": []}, internal, [], [])
    assert (none.property, none.measured) == ("ports to probe", [])
    assert none.sentence == "exposes no port and none is configured (security.isolation.data_ports.redis)"


def test_tcp_connect_outcomes_and_routing():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert connect("127.0.0.1", port, 1).outcome == "connected"
    assert connect("127.0.0.1", port, 1).outcome == "refused"
    assert "127.0.0.1" in local_addresses()
    assert directly_routed("127.0.0.1") and not directly_routed("not-an-address")
    assert not directly_routed("203.0.113.7") or "203.0.113.7" in local_addresses()  # TEST-NET-3: via a gateway


# -- SEC-07 ---------------------------------------------------------------------------------
def test_heartbeat_age_from_timestamp_or_seconds():
    now = dt.datetime(2026, 1, 1, 12, 0, 10, tzinfo=dt.UTC)
    body = {"last_beat": "2026-01-01T12:00:00.500+00:00", "age_seconds": 3.5, "nested": {"at": "2026-01-01T11:59:00Z"}}
    assert heartbeat_age_s(body, "", "last_beat", now) == (9.5, "timestamp last_beat")
    assert heartbeat_age_s(body, "", "nested.at", now) == (70.0, "timestamp nested.at")
    assert heartbeat_age_s(body, "age_seconds", "", now) == (3.5, "field age_seconds")
    assert heartbeat_age_s({"last_beat": None}, "", "last_beat", now) == (None, "no ISO 8601 timestamp at 'last_beat'")
    assert heartbeat_age_s({"age_seconds": True}, "age_seconds", "", now) == (None, "no number at 'age_seconds'")
    assert heartbeat_age_s("not json", "age_seconds", "", now)[0] is None


def _monitor(name: str, health: str) -> ContainerFacts:
    return ContainerFacts(name, name, "monitor", "img", "running", health, 1, "", {})


def test_monitor_containers_must_be_healthy():
    assert health_findings("monitor", [_monitor("ms_monitor.1", "healthy")]) == []
    found = health_findings("monitor", [_monitor("ms_monitor.1", "unhealthy"), _monitor("ms_monitor.2", "")])
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("monitor service monitor", "container ms_monitor.1 health", "unhealthy", "healthy"),
        ("monitor service monitor", "container ms_monitor.2 health", "no healthcheck", "healthy")]
    assert message(found) == ("monitor service monitor: ms_monitor.1 is unhealthy, expected healthy; "
                              "ms_monitor.2 is without healthcheck, expected healthy")


def test_heartbeat_must_answer_and_be_fresh():
    assert heartbeat_findings("monitor m", "/hb", 200, 3.0, "timestamp last_beat", "{}", 30) == []
    [stale] = heartbeat_findings("monitor m", "/hb", 200, 45.25, "timestamp last_beat", "{}", 30)
    assert (stale.property, stale.measured, stale.expected) == ("heartbeat_age_s", 45.2, "<= 30")
    assert str(stale) == "monitor m: heartbeat: GET /hb is 45.2 s old, max 30 s"
    [dead] = heartbeat_findings("monitor m", "/hb", 200, None, "no ISO 8601 timestamp at 'last_beat'",
                                '{"last_beat": null}', 30)
    assert (dead.property, dead.measured) == ("heartbeat", "HTTP 200, no ISO 8601 timestamp at 'last_beat'")
    assert str(dead) == ("monitor m: heartbeat: GET /hb answered 200 with no usable heartbeat (no ISO 8601 timestamp "
                         "at 'last_beat'): '{\"last_beat\": null}'")
    [down] = heartbeat_findings("monitor m", "/hb", 503, 1.0, "field age", "down", 30)
    assert down.measured == "HTTP 503, field age"


def test_test_alert_must_be_accepted_and_raised():
    assert alert_findings("monitor m", "mk", "/a/test", 202, "/a", 0.4, 15) == []
    [refused] = alert_findings("monitor m", "mk", "/a/test", 500, "/a", None, 15)
    assert str(refused) == "monitor m: test alert: POST /a/test answered 500, expected 2xx"
    [lost] = alert_findings("monitor m", "mk", "/a/test", 202, "/a", None, 15)
    assert (lost.property, lost.measured, lost.expected) == ("alert_seen_after_s", None, "<= 15")
    assert str(lost) == "monitor m: test alert mk (POST /a/test -> 202) not raised in GET /a within 15 s"

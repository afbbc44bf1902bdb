"""SEC-03 (token handling), SEC-05 (networks, ports, probe targets) and SEC-07 (heartbeat) logic."""

import datetime as dt
import socket

from nestgate.probes.tcp import connect, directly_routed, local_addresses
from nestgate.rules.sec03_auth import cookie_value, expect, json_path, presenting, token_from_login
from nestgate.rules.sec05_isolation import (
    container_networks,
    container_published,
    declared_internal,
    declared_networks,
    declared_ports,
    exposed_ports,
    host_side_targets,
)
from nestgate.rules.sec07_monitoring import heartbeat_age_s


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
    assert expect("login", "POST", "/l", 200, "2xx") is None
    assert expect("logout", "POST", "/o", 401, "rejected") is None
    assert expect("wrong password", "POST", "/l", 200, "rejected") == \
        "wrong password: POST /l answered 200, expected 401/403"
    assert expect("wrong password", "POST", "/l", 500, "rejected").endswith("(a server error is not a refusal)")
    assert expect("health", "GET", "/h", 404, "2xx") == "health: GET /h answered 404, expected 2xx"


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

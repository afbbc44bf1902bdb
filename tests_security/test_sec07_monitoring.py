"""SEC-07 — Security monitoring systems active and alerting.

The monitoring service runs and is healthy; its heartbeat is fresher than the configured age; a
test alert sent to it is observed as raised within a deadline.
"""

import secrets as pysecrets
import time

import pytest

from nestgate.probes.stateless_http import stateless_http
from nestgate.rules.sec03_auth import expect
from nestgate.rules.sec07_monitoring import heartbeat_age_s

pytestmark = [pytest.mark.security, pytest.mark.runtime]
POLL_S = 0.2


@pytest.mark.control("SEC-07")
def test_monitor_active_and_alerting(target_config, engine, evidence):
    m = target_config.model.security.monitoring
    t = target_config.model.target
    base = m.base_url or t.base_url
    client = stateless_http(base, t.call_timeout_s)
    evidence.limit(container="running, healthy", health="2xx", heartbeat_max_age_s=m.heartbeat_max_age_s,
                   alert_deadline_s=m.alert_deadline_s)

    containers = [c for c in engine.running() if c.service == m.service]
    evidence.source(f"GET /containers?label={engine.stack} on {engine.url}; HTTP {base}")
    evidence.measure(containers={c.name: c.health or "no healthcheck" for c in containers})
    assert containers, f"monitor service {m.service}: no running container in stack {engine.stack}"
    unhealthy = [f"{c.name} is {c.health or 'without healthcheck'}" for c in containers if c.health != "healthy"]
    assert not unhealthy, f"monitor service {m.service}: {'; '.join(unhealthy)}, expected healthy"

    problems = []
    health = client.get(m.health_path)
    evidence.measure(health_status=health.status)
    if problem := expect("monitor health", "GET", m.health_path, health.status, "2xx"):
        problems.append(problem)

    beat = client.get(m.heartbeat_path)
    age, how = heartbeat_age_s(beat.json(), m.heartbeat_age_field, m.heartbeat_time_field)
    evidence.measure(heartbeat_status=beat.status, heartbeat_age_s=age, heartbeat_from=how)
    if beat.status >= 300 or age is None:
        problems.append(f"heartbeat: GET {m.heartbeat_path} answered {beat.status} with no usable heartbeat ({how}): "
                        f"{beat.excerpt(120)!r}")
    elif age > m.heartbeat_max_age_s:
        problems.append(f"heartbeat: GET {m.heartbeat_path} is {age:.1f} s old, max {m.heartbeat_max_age_s:g} s")

    marker = f"nestgate-sec07-{pysecrets.token_hex(6)}"
    sent = time.monotonic()
    post = client.request("POST", m.alert_path, json={"message": f"nestgate SEC-07 test alert {marker}",
                                                      "source": "nestgate", "marker": marker})
    evidence.measure(alert_post_status=post.status, marker=marker)
    seen_after = None
    if problem := expect("test alert", "POST", m.alert_path, post.status, "2xx"):
        problems.append(problem)
    else:
        while seen_after is None and time.monotonic() - sent <= m.alert_deadline_s:
            listing = client.get(m.alerts_path)
            if marker.encode() in listing.body:
                seen_after = time.monotonic() - sent
            else:
                time.sleep(POLL_S)
        if seen_after is None:
            problems.append(f"test alert {marker} (POST {m.alert_path} -> {post.status}) not raised in "
                            f"GET {m.alerts_path} within {m.alert_deadline_s:g} s")
    evidence.measure(alert_seen_after_s=round(seen_after, 2) if seen_after is not None else None)
    assert not problems, f"monitor {m.service}: " + "; ".join(problems)

"""SEC-07 — Security monitoring systems active and alerting.

The monitoring service runs and is healthy; its heartbeat is fresher than the configured age; a
test alert sent to it is observed as raised within a deadline.
"""

import datetime as dt
import secrets as pysecrets
import time

import pytest

from nestgate.probes.stateless_http import stateless_http
from nestgate.rules.sec03_auth import expect
from nestgate.rules.sec07_monitoring import alert_findings, health_findings, heartbeat_age_s, heartbeat_findings

pytestmark = [pytest.mark.security, pytest.mark.runtime]
POLL_S = 0.2


@pytest.mark.control("SEC-07")
def test_monitor_active_and_alerting(target_config, stack, evidence):
    m = target_config.model.security.monitoring
    t = target_config.model.target
    base = m.base_url or t.base_url
    client = stateless_http(base, t.call_timeout_s)
    evidence.limit(container="running, healthy", health="2xx", heartbeat_max_age_s=m.heartbeat_max_age_s,
                   alert_deadline_s=m.alert_deadline_s)

    containers = stack.running(m.service, role="monitor service")
    evidence.source(f"HTTP {base}")
    evidence.measure(containers={c.name: c.health or "no healthcheck" for c in containers})
    evidence.require(health_findings(m.service, containers))

    subject = f"monitor {m.service}"
    health = client.get(m.health_path)
    evidence.measure(health_status=health.status)
    found = expect("monitor health", "GET", m.health_path, health.status, "2xx", subject=subject)

    beat = client.get(m.heartbeat_path)
    age, how = heartbeat_age_s(beat.json(), m.heartbeat_age_field, m.heartbeat_time_field, dt.datetime.now(dt.UTC))
    evidence.measure(heartbeat_status=beat.status, heartbeat_age_s=age, heartbeat_from=how)
    found += heartbeat_findings(subject, m.heartbeat_path, beat.status, age, how, beat.excerpt(120),
                                m.heartbeat_max_age_s)

    marker = f"nestgate-sec07-{pysecrets.token_hex(6)}"
    sent = time.monotonic()
    post = client.request("POST", m.alert_path, json={"message": f"nestgate SEC-07 test alert {marker}",
                                                      "source": "nestgate", "marker": marker})
    evidence.measure(alert_post_status=post.status, marker=marker)
    seen_after = None
    if not expect("test alert", "POST", m.alert_path, post.status, "2xx"):  # accepted: watch for it
        while seen_after is None and time.monotonic() - sent <= m.alert_deadline_s:
            listing = client.get(m.alerts_path)
            if marker.encode() in listing.body:
                seen_after = time.monotonic() - sent
            else:
                time.sleep(POLL_S)
    evidence.measure(alert_seen_after_s=round(seen_after, 2) if seen_after is not None else None)
    found += alert_findings(subject, marker, m.alert_path, post.status, m.alerts_path, seen_after,
                            m.alert_deadline_s)
    found = evidence.judge(found)
    assert not found, found.message

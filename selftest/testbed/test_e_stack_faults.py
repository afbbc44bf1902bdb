"""Monitor, nginx and rollback faults."""

from __future__ import annotations

import time
from datetime import datetime

from nestgate.testbed import Testbed
from selftest.testbed.conftest import all_healthy, container, http, service_attrs


def parse(ts: str) -> float:
    head, _, frac = ts.rstrip("Z").partition(".")
    return datetime.fromisoformat(head + "+00:00").timestamp() + float("0." + (frac[:6] or "0"))


def test_monitor_down_and_memory_hog(tb: Testbed) -> None:
    with tb.fault("monitor-down", "memory-hog"):
        assert http(tb, "/monitor/health").body["status"] == "healthy"
        marker = f"selftest-{time.time_ns()}"
        assert http(tb, "/monitor/alerts/test", "POST", {"message": marker}).status == 202
        time.sleep(3)
        assert marker not in str(http(tb, "/monitor/alerts").body)
        assert http(tb, "/monitor/heartbeat").body["status"] == "stale"
        stats = container(tb, "monitor").stats(stream=False)
        mem = stats["memory_stats"]
        used = mem["usage"] - mem.get("stats", {}).get("total_inactive_file", mem.get("stats", {}).get("cache", 0))
        assert used / mem["limit"] > 0.8
    assert http(tb, "/monitor/heartbeat").body["status"] == "ok"


def test_nginx_and_limits_faults(tb: Testbed) -> None:
    with tb.fault("no-healthcheck", "replica-unschedulable", "no-memory-limit"):
        st = tb.status().services["nginx"]
        assert (st.desired, st.running, st.pending) == (2, 1, 1)
        assert container(tb, "nginx").attrs["Config"]["Healthcheck"]["Test"] == ["NONE"]
        assert container(tb, "monitor").attrs["HostConfig"]["Memory"] == 0
        assert http(tb, "/health").status == 200
    assert container(tb, "monitor").attrs["HostConfig"]["Memory"] > 0
    assert set(all_healthy(tb).values()) == {"1/1"}


def test_late_healthy(tb: Testbed) -> None:
    with tb.fault("late-healthy"):
        attrs = container(tb, "monitor").attrs
        started = parse(attrs["State"]["StartedAt"])
        first_ok = min(parse(e["Start"]) for e in attrs["State"]["Health"]["Log"] if e["ExitCode"] == 0)
        assert first_ok - started > 30
        assert attrs["State"]["Health"]["Status"] == "healthy"


def test_no_rollback_image(tb: Testbed) -> None:
    with tb.fault("no-rollback-image"):
        assert "PreviousSpec" not in service_attrs(tb, "monitor")
    assert service_attrs(tb, "monitor")["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Image"].endswith("-r1")

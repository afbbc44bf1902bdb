"""`--scale N` adds N idle hardened containers; scale 0 removes them again."""

from __future__ import annotations

from nestgate.testbed import Testbed
from selftest.testbed.conftest import all_healthy, container


def test_scale_adds_and_removes_filler(tb: Testbed) -> None:
    tb.up(scale=3, port=tb.state.port)
    try:
        st = tb.status().services["filler"]
        assert (st.desired, st.healthy) == (3, 3)
        host = container(tb, "filler").attrs["HostConfig"]
        assert host["ReadonlyRootfs"] and host["CapDrop"] == ["ALL"] and host["Memory"] > 0
    finally:
        tb.up(scale=0, port=tb.state.port)
    assert "filler" not in all_healthy(tb)

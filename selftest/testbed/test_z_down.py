"""Last: `down` removes exactly what the instance created and leaves everything else."""

from __future__ import annotations

import os

import pytest

from nestgate.testbed import Testbed
from nestgate.testbed.run import client


def snapshot() -> dict[str, set[str]]:
    # Plain list calls only: other stacks may come and go meanwhile (the SDK's list inspects each).
    api = client().api
    return {"services": {s["ID"] for s in api.services()}, "secrets": {s["ID"] for s in api.secrets()},
            "networks": {n["Id"] for n in api.networks()}, "volumes": {v["Name"] for v in api.volumes()["Volumes"]},
            "images": {i["Id"] for i in api.images()}}


@pytest.mark.skipif(os.environ.get("NESTGATE_TESTBED_KEEP") == "1", reason="NESTGATE_TESTBED_KEEP=1")
def test_down_removes_exactly_the_instance(tb: Testbed) -> None:
    label = f"nestgate.testbed.instance={tb.instance}"
    mine = {"services": {s.id for s in client().services.list(filters={"label": label})},
            "secrets": {s.id for s in client().secrets.list(filters={"label": label})},
            "networks": {n.id for n in client().networks.list(filters={"label": label})},
            "volumes": {v.name for v in client().volumes.list(filters={"label": label})}}
    before = snapshot()
    tb.down()
    after = snapshot()
    for kind, ids in mine.items():
        assert ids and not ids & after[kind], kind
    # Everything that was not this instance's is still there (others may have added more).
    for kind in ("services", "secrets", "networks", "volumes"):
        assert before[kind] - mine[kind] <= after[kind], kind
    assert before["images"] <= after["images"]  # images are shared and kept
    assert not client().api.containers(all=True, filters={"label": f"com.docker.stack.namespace={tb.instance}"})
    assert not tb.state_dir.exists()

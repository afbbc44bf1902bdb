"""Last: `down` removes exactly what the instance created and leaves everything else."""

from __future__ import annotations

import os
import time

import pytest

from nestgate.testbed import Testbed
from nestgate.testbed.run import client


def removal_events(since: float, until: float) -> list[dict]:
    """What the engine destroyed meanwhile (other stacks may come and go: judge by events)."""
    stream = client().api.events(since=int(since), until=int(until) + 1, decode=True,
                                 filters={"type": ["service", "secret", "network", "volume", "container"]})
    return [e for e in stream if e.get("Action") in ("remove", "destroy")]


def belongs_to(event: dict, instance: str) -> bool:
    attrs = event.get("Actor", {}).get("Attributes", {})
    if event["Type"] == "container":
        return instance in (attrs.get("com.docker.stack.namespace"), attrs.get("nestgate.testbed.instance"))
    # Volume events name the volume in Actor.ID; the others carry a name attribute.
    return (attrs.get("name") or event.get("Actor", {}).get("ID", "")).startswith(f"{instance}_")


@pytest.mark.skipif(os.environ.get("NESTGATE_TESTBED_KEEP") == "1", reason="NESTGATE_TESTBED_KEEP=1")
def test_down_removes_exactly_the_instance(tb: Testbed) -> None:
    api = client().api
    label = f"nestgate.testbed.instance={tb.instance}"
    images = dict(tb.state.images)
    start = time.time()
    tb.down()
    end = time.time()
    for kind, objects in (("services", api.services(filters={"label": label})),
                          ("secrets", api.secrets(filters={"label": label})),
                          ("networks", api.networks(filters={"label": label})),
                          ("volumes", api.volumes(filters={"label": label})["Volumes"] or [])):
        assert not objects, kind
    assert not api.containers(all=True, filters={"label": f"com.docker.stack.namespace={tb.instance}"})
    assert not tb.state_dir.exists()
    events = removal_events(start, end)
    assert events, "no removal events seen"
    # Services, secrets, networks and volumes removed meanwhile are all this instance's. (Other
    # stacks' containers and build images churn on a shared engine: not judged by events.)
    others = [f"{e['Type']} {e['Action']} {e['Actor'].get('Attributes', {}).get('name') or e['Actor'].get('ID')}"
              for e in events if e["Type"] in ("service", "secret", "network", "volume")
              and not belongs_to(e, tb.instance)]
    assert not others, others
    # Images are shared and cached: down keeps them.
    for tag in images.values():
        assert api.images(name=tag), tag

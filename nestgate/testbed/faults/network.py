"""SEC-02, SEC-05 and SEC-06 faults: secrets and network isolation."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from nestgate.testbed import secrets
from nestgate.testbed.compose import secret_name
from nestgate.testbed.faults.base import Fault
from nestgate.testbed.run import client

if TYPE_CHECKING:
    from nestgate.testbed.compose import Model
    from nestgate.testbed.testbed import Testbed

OPEN_NETWORK = "data-open"
ROTATED = "nextauth_secret"


def _missing_secret(model: Model, tb: Testbed) -> None:
    model.declared_only_secrets.append(secret_name(tb.instance, "metrics_token"))


def db_fault_port(port: int) -> int:
    """Where db-port-published puts postgres on the host: derived from the instance's port."""
    return port + 10000 if port + 10000 < 65536 else port - 10000


def _db_port(model: Model, tb: Testbed) -> None:
    model.svc("postgres")["ports"] = [(5432, db_fault_port(tb.state.port))]


def _open_network(model: Model, tb: Testbed) -> None:
    model.open_network = OPEN_NETWORK
    model.svc("postgres")["networks"] = [*model.svc("postgres")["networks"], OPEN_NETWORK]


def _drop_open_network(tb: Testbed) -> None:
    """Networks are not pruned by stack deploy: remove the open one once nothing uses it."""
    deadline = time.monotonic() + 60
    for net in client().networks.list(names=[f"{tb.instance}_{OPEN_NETWORK}"]):
        while True:
            try:
                net.remove()
                break
            except Exception:  # still attached while old tasks shut down
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)


def unversioned_name(tb: Testbed) -> str:
    return f"{tb.instance}_{ROTATED}"


def _unversioned(model: Model, tb: Testbed) -> None:
    old = model.secret_names[ROTATED]
    new = unversioned_name(tb)
    model.secret_names[ROTATED] = new
    for svc in model.services.values():
        svc["secrets"] = [(new if src == old else src, tgt) for src, tgt in svc["secrets"]]


def _create_unversioned(tb: Testbed) -> None:
    if not secrets.exists(unversioned_name(tb)):
        secrets.create(tb.instance, unversioned_name(tb), secrets.read_value(tb.state_dir, ROTATED))


def _recreate_versioned(tb: Testbed) -> None:
    name = secret_name(tb.instance, ROTATED)
    if not secrets.exists(name):
        secrets.create(tb.instance, name, secrets.read_value(tb.state_dir, ROTATED))


# Over the shipped max_age_days (90) by more than the testbed's secrets can age in between.
OLD_SECRET_AHEAD_DAYS = 100


def _old_secret_config(config: dict[str, Any], tb: Testbed) -> None:
    # Swarm stamps a secret's CreatedAt with the manager's clock, so none can be created old: the
    # check's clock moves instead, honestly, to a deploy day ahead (max_age_days stays as shipped).
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=OLD_SECRET_AHEAD_DAYS)
    config["security"]["secrets"]["ages_as_of"] = day.isoformat()


FAULTS = [
    Fault("missing-secret", "SEC-02", "compose declares a secret the swarm does not have",
          "compose: top-level external secret <instance>_metrics_token_v2, used by no service "
          "(stack deploy refuses to start a service that references a missing secret). The nine "
          "prefixed secrets stay, so the count still matches; the declared one is missing.",
          compose=_missing_secret),
    Fault("db-port-published", "SEC-05", "postgres publishes 5432 on the host",
          "compose: services.postgres.ports = [5432 -> <port+10000>, host mode]; a TCP connect from "
          "the host to it succeeds.", compose=_db_port),
    Fault("network-not-internal", "SEC-05", "postgres also on a non-internal network",
          "compose: a network `data-open` (overlay, internal: false) is declared and postgres joins "
          "it besides `data`. Only postgres changes: moving all data services at once made swarm "
          "reject a task (a node-local network race), which INF-06 rightly counts. Removal detaches "
          "postgres and deletes data-open.",
          compose=_open_network, post_remove=_drop_open_network),
    Fault("unversioned-secret", "SEC-06", "a prefixed secret without the _vN suffix",
          "<instance>_nextauth_secret_v2 is replaced by <instance>_nextauth_secret (same value): "
          "created, the app switched to it by stack deploy, the _v2 one removed. Still nine "
          "prefixed secrets, all declared ones exist (SEC-02 holds).",
          compose=_unversioned, pre_apply=_create_unversioned,
          post_apply=lambda tb: secrets.remove(secret_name(tb.instance, ROTATED)),
          pre_remove=_recreate_versioned, post_remove=lambda tb: secrets.remove(unversioned_name(tb))),
    Fault("old-secret", "SEC-06", f"secrets over 90 days old on a deploy day {OLD_SECRET_AHEAD_DAYS} days ahead",
          "Swarm stamps CreatedAt with the manager's clock (no secret can be created old), so the check's "
          f"clock moves: target config security.secrets.ages_as_of = today + {OLD_SECRET_AHEAD_DAYS} days, "
          "max_age_days stays 90. Every secret of the stack is then ~100 days old; nothing in Docker changes.",
          config=_old_secret_config),
]

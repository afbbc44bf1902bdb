"""SEC-02's credential faults. Clear credentials, one per form users write: each fails SEC-02 on
both sides (compose and running service) and nothing else, as the app and the monitor ignore the
planted variable or argument. Weak config secrets: the config's rotation value (read, never judged,
by SEC-06's dry run) points at a short file, or at one holding a public name. Every planted value is
derived from the instance (`planted`), so a self-test can grep all output for it."""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING, Any

from nestgate.testbed import toml_out
from nestgate.testbed.compose import APP_PORT
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.compose import Model
    from nestgate.testbed.testbed import Testbed

MONITOR_CMD = ["python3", "/srv/monitor/monitor.py"]  # the monitor image's CMD
WEAK_FILE = "weak_rotation_value"  # under the state dir's secrets/, beside the operator's copies
WEAK_LENGTH = 9


def canary(instance: str, fault: str) -> str:
    """The literal a fault plants: distinctive, hex only (no `$` for Compose to interpolate)."""
    return "canary" + hashlib.sha256(f"nestgate:{instance}:{fault}".encode()).hexdigest()[:26]


def planted(instance: str, fault: str) -> str:
    """The value a fault of this module plants (never printed by nestgate)."""
    if fault == "weak-secret-short":
        return canary(instance, fault)[-WEAK_LENGTH:]
    if fault == "weak-secret-public":
        return f"{instance}-{canary(instance, fault)[-12:]}"  # long, but holds the stack's name
    return canary(instance, fault)


def _weak_file(fault: str):
    def write(tb: Testbed) -> None:
        (tb.state_dir / "secrets" / WEAK_FILE).write_text(planted(tb.instance, fault) + "\n")
    return write


def _drop_weak_file(tb: Testbed) -> None:
    with contextlib.suppress(FileNotFoundError):
        (tb.state_dir / "secrets" / WEAK_FILE).unlink()


def _weak_config(config: dict[str, Any], tb: Testbed) -> None:
    config["security"].setdefault("rotation", {})["new_value"] = toml_out.Inline(file=f"secrets/{WEAK_FILE}")


def _env_secret(model: Model, tb: Testbed) -> None:
    model.svc("app")["environment"]["JWT_SECRET"] = canary(tb.instance, "clear-env-secret")


def _db_url(model: Model, tb: Testbed) -> None:
    password = canary(tb.instance, "clear-db-url")
    model.svc("app")["environment"]["DATABASE_URL"] = f"postgres://medianest:{password}@postgres:5432/medianest"


def _cli_password(model: Model, tb: Testbed) -> None:
    model.svc("monitor")["command"] = [*MONITOR_CMD, f"--password={canary(tb.instance, 'clear-cli-password')}"]


FAULTS = [
    Fault("clear-env-secret", "SEC-02", "app gets JWT_SECRET as a literal environment value",
          "compose: app environment JWT_SECRET=<canary> beside its jwt_secret Docker secret; the app reads "
          "credentials only from /run/secrets, so only SEC-02 sees it.", compose=_env_secret),
    Fault("clear-db-url", "SEC-02", "app gets DATABASE_URL with a password in it",
          f"compose: app environment DATABASE_URL=postgres://medianest:<canary>@postgres:5432/medianest; the app "
          f"(port {APP_PORT}) connects with DATABASE_HOST and its secret files, and DB_POOL_MAX keeps PRF-03 off "
          "the URL.", compose=_db_url),
    Fault("clear-cli-password", "SEC-02", "monitor started with --password=<literal>",
          "compose: monitor command = its image CMD plus --password=<canary>; the monitor ignores its "
          "arguments.", compose=_cli_password),
    Fault("weak-secret-short", "SEC-02", f"a config-named secret is {WEAK_LENGTH} characters",
          f"config: security.rotation.new_value = {{file = \"secrets/{WEAK_FILE}\"}}, {WEAK_LENGTH} random "
          "characters (minimum 12); SEC-06's dry run reads it but rotates nothing.",
          tree_apply=_weak_file("weak-secret-short"), tree_remove=_drop_weak_file, config=_weak_config),
    Fault("weak-secret-public", "SEC-02", "a config-named secret holds the stack's name",
          f"config: security.rotation.new_value = {{file = \"secrets/{WEAK_FILE}\"}}, \"<stack>-<12 hex>\": "
          "long enough, but it contains a public name of the config (target.stack).",
          tree_apply=_weak_file("weak-secret-public"), tree_remove=_drop_weak_file, config=_weak_config),
]

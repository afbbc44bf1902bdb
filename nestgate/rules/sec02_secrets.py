"""SEC-02 rules over secret names (never values): which external secrets the compose file expects,
which services reference which secret, and which swarm secrets carry the prefix.
"""

from __future__ import annotations

from typing import Any


def expected_external(declared_secrets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Compose key -> the name the secret must have in the swarm (`name:` honoured)."""
    return {key: str(spec.get("name") or key) for key, spec in declared_secrets.items()
            if isinstance(spec, dict) and spec.get("external")}


def referenced(declared_services: dict[str, Any], declared_secrets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Engine secret name -> the service(s) whose compose entry references it."""
    out: dict[str, list[str]] = {}
    for svc, spec in declared_services.items():
        for ref in spec.get("secrets") or []:
            key = ref.get("source") if isinstance(ref, dict) else str(ref)
            name = str((declared_secrets.get(key) or {}).get("name") or key)
            out.setdefault(name, []).append(svc)
    return {name: ", ".join(sorted(svcs)) for name, svcs in out.items()}


def with_prefix(names: list[str], prefix: str) -> list[str]:
    """`docker secret ls | grep medianest`, done properly: the name starts with `<prefix>_`."""
    return sorted(n for n in names if n.startswith(f"{prefix}_"))

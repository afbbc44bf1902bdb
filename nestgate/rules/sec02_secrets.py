"""SEC-02 rules over secret names (never values): which external secrets the compose file expects,
which services reference which secret, which swarm secrets carry the prefix, and what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nestgate.rules.findings import Finding


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


def no_services_findings(stack: str, services: Sequence[object]) -> list[Finding]:
    """The runtime checks need a deployed stack: no service at all is a failure, not an empty pass."""
    if services:
        return []
    return [Finding(f"stack {stack}", "services", 0, "at least 1",
                    says="has no services: deploy it before the runtime checks")]


def secrets_findings(stack: str, expected: dict[str, str], found: list[str], prefix: str, expected_count: int,
                     wanted_by: dict[str, str], in_use: dict[str, str]) -> list[Finding]:
    """Every declared external secret exists, the prefixed count is the expected one, and every
    secret a service references (declared or running) exists; names only, never values."""
    subject = f"stack {stack}"
    out = []
    missing = sorted(name for name in expected.values() if name not in found)
    if missing:
        out.append(Finding(subject, "declared external secrets missing", missing, [],
                           says=f"declared external secret(s) missing from the swarm: {', '.join(missing)}"))
    prefixed = with_prefix(found, prefix)
    if len(prefixed) != expected_count:
        out.append(Finding(subject, f"secrets named {prefix}_*", len(prefixed), expected_count,
                           says=f"{len(prefixed)} secrets named {prefix}_*, expected {expected_count}"
                                f" (found: {', '.join(prefixed) or 'none'})"))
    unresolved = sorted(f"{name} (used by {who})" for name, who in {**wanted_by, **in_use}.items()
                        if name not in found and name not in missing)
    if unresolved:
        out.append(Finding(subject, "referenced secrets absent", unresolved, [],
                           says=f"secret(s) referenced by services but absent: {', '.join(unresolved)}"))
    return out

"""SEC-01 rules: which findings of a scanner report block the gate."""

from __future__ import annotations

from nestgate.probes.readers.scan_reports import ORDER, Finding


def blocking(findings: list[Finding], severities: list[str]) -> list[Finding]:
    """Findings at a blocking severity, one per (ID, package, installed version), worst first."""
    seen: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        if f.severity in severities:
            seen.setdefault((f.id, f.package, f.installed), f)
    return sorted(seen.values(), key=lambda f: (ORDER.index(f.severity), f.id, f.package))

"""Scanner reports (Trivy JSON, Grype JSON, SARIF 2.1.0) read into one shape: findings with
ID, package, installed and fixed version and a normalised severity, plus the report's own time.

Pure functions over already-parsed JSON; a report whose shape is not the format's raises
ReportError naming what is wrong, so a garbage file is a clear failure, never a pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from nestgate.errors import NestgateError
from nestgate.probes.readers.timestamps import parse_time

ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN")


class ReportError(NestgateError):
    """The report is not a readable report of its declared format."""


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str  # one of ORDER
    package: str = ""
    installed: str = ""
    fixed: str = ""

    def describe(self) -> str:
        pkg = f" in {self.package} {self.installed}".rstrip() if self.package else ""
        fix = f" (fixed in {self.fixed})" if self.fixed else " (no fix)"
        return f"{self.id} {self.severity}{pkg}{fix}"


@dataclass(frozen=True)
class ScanResult:
    format: str
    findings: list[Finding]
    created: dt.datetime | None  # the report's own timestamp, if it carries one
    scanner: str

    def counts(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings)
        return {sev: c[sev] for sev in ORDER if c[sev]}


def normalise_severity(raw: Any) -> str:
    """Trivy says CRITICAL, Grype says Critical/Negligible; anything else is UNKNOWN."""
    text = str(raw or "").strip().upper()
    return text if text in ORDER else "UNKNOWN"


def score_severity(score: float) -> str:
    """CVSS score bands (as GitHub reads SARIF `security-severity`)."""
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MEDIUM"
    if score > 0.0:
        return "LOW"
    return "NEGLIGIBLE"


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise ReportError(what)


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    _need(isinstance(value, list), f"{where} is not a list")
    return value


def parse_trivy(doc: Any) -> ScanResult:
    _need(isinstance(doc, dict), "not a Trivy JSON report (top level is not an object)")
    _need("Results" in doc or "SchemaVersion" in doc, "not a Trivy JSON report (no SchemaVersion or Results)")
    findings = []
    for i, result in enumerate(_list(doc.get("Results"), "Results")):
        _need(isinstance(result, dict), f"Results[{i}] is not an object")
        for j, v in enumerate(_list(result.get("Vulnerabilities"), f"Results[{i}].Vulnerabilities")):
            _need(isinstance(v, dict) and bool(v.get("VulnerabilityID")),
                  f"Results[{i}].Vulnerabilities[{j}] has no VulnerabilityID")
            findings.append(Finding(str(v["VulnerabilityID"]), normalise_severity(v.get("Severity")),
                                    str(v.get("PkgName") or ""), str(v.get("InstalledVersion") or ""),
                                    str(v.get("FixedVersion") or "")))
    return ScanResult("trivy", findings, parse_time(doc.get("CreatedAt")), "Trivy")


def parse_grype(doc: Any) -> ScanResult:
    _need(isinstance(doc, dict) and "matches" in doc, "not a Grype JSON report (no matches)")
    findings = []
    for i, m in enumerate(_list(doc.get("matches"), "matches")):
        vuln = m.get("vulnerability") if isinstance(m, dict) else None
        _need(isinstance(vuln, dict) and bool(vuln.get("id")), f"matches[{i}].vulnerability has no id")
        art = m.get("artifact") if isinstance(m.get("artifact"), dict) else {}
        fix = vuln.get("fix") if isinstance(vuln.get("fix"), dict) else {}
        versions = [str(x) for x in _list(fix.get("versions"), f"matches[{i}].vulnerability.fix.versions")]
        findings.append(Finding(str(vuln["id"]), normalise_severity(vuln.get("severity")),
                                str(art.get("name") or ""), str(art.get("version") or ""), ", ".join(versions)))
    descriptor = doc.get("descriptor") if isinstance(doc.get("descriptor"), dict) else {}
    return ScanResult("grype", findings, parse_time(descriptor.get("timestamp")),
                      f"Grype {descriptor.get('version', '')}".strip())


_LEVEL = {"error": "HIGH", "warning": "MEDIUM", "note": "LOW", "none": "NEGLIGIBLE"}
_MESSAGE_FIELDS = {"package": r"Package: (.+)", "installed": r"Installed Version: (.+)",
                   "fixed": r"Fixed Version: (.+)"}


def _sarif_severity(result: dict[str, Any], rule: dict[str, Any]) -> str:
    """The scanner's own label (a severity tag) first, then `security-severity` (CVSS), then
    the result level; error maps to HIGH so an unlabelled error still blocks."""
    for props in (result.get("properties"), rule.get("properties")):
        if isinstance(props, dict):
            for tag in props.get("tags") or []:
                if str(tag).upper() in ORDER[:5]:
                    return str(tag).upper()
    for props in (result.get("properties"), rule.get("properties")):
        if isinstance(props, dict) and props.get("security-severity") not in (None, ""):
            try:
                return score_severity(float(props["security-severity"]))
            except (TypeError, ValueError):
                pass
    config = rule.get("defaultConfiguration") if isinstance(rule.get("defaultConfiguration"), dict) else {}
    level = result.get("level") or config.get("level") or "warning"  # SARIF's own default
    return _LEVEL.get(str(level), "UNKNOWN")


def parse_sarif(doc: Any) -> ScanResult:
    _need(isinstance(doc, dict) and isinstance(doc.get("runs"), list), "not a SARIF log (no runs)")
    _need(str(doc.get("version", "")) == "2.1.0", f"SARIF version {doc.get('version')!r}, expected '2.1.0'")
    findings, times, tools = [], [], []
    for r, run in enumerate(doc["runs"]):
        _need(isinstance(run, dict), f"runs[{r}] is not an object")
        driver = ((run.get("tool") or {}).get("driver") or {}) if isinstance(run.get("tool"), dict) else {}
        tools.append(str(driver.get("name") or "SARIF"))
        rules = [x for x in _list(driver.get("rules"), f"runs[{r}].tool.driver.rules") if isinstance(x, dict)]
        by_id = {str(x.get("id")): x for x in rules}
        for inv in _list(run.get("invocations"), f"runs[{r}].invocations"):
            if isinstance(inv, dict):
                times.append(parse_time(inv.get("endTimeUtc")) or parse_time(inv.get("startTimeUtc")))
        for i, res in enumerate(_list(run.get("results"), f"runs[{r}].results")):
            _need(isinstance(res, dict), f"runs[{r}].results[{i}] is not an object")
            index = res.get("ruleIndex")
            rule = rules[index] if isinstance(index, int) and 0 <= index < len(rules) else {}
            rule_id = res.get("ruleId") or rule.get("id")
            _need(bool(rule_id), f"runs[{r}].results[{i}] has no ruleId")
            rule = rule or by_id.get(str(rule_id), {})
            text = str((res.get("message") or {}).get("text") or "") if isinstance(res.get("message"), dict) else ""
            fields = {k: (m.group(1).strip() if (m := re.search(p, text)) else "") for k, p in _MESSAGE_FIELDS.items()}
            findings.append(Finding(str(rule_id), _sarif_severity(res, rule), **fields))
    stamps = [t for t in times if t is not None]
    return ScanResult("sarif", findings, max(stamps) if stamps else None, "/".join(dict.fromkeys(tools)) or "SARIF")


PARSERS = {"trivy": parse_trivy, "grype": parse_grype, "sarif": parse_sarif}

"""Scanner reports (Trivy JSON, Grype JSON, SARIF 2.1.0) read into one shape: findings with
ID, package, installed and fixed version and a normalised severity; the report's own time (and
the raw value it came from); what the report says it scanned, and which images it names.

Pure functions over already-parsed JSON; a report whose shape is not the format's raises
ReportError naming what is wrong, so a garbage file is a clear failure, never a pass.

What counts as scanned, per format (no scanned target = the report proves nothing):
- Trivy JSON: each Results[].Target (what Trivy analysed). ArtifactName alone is not enough:
  Trivy names the artifact even when it found nothing in it to analyse.
- Grype JSON: source.target (the image's userInput/imageID, or a scanned path).
- SARIF: per run, run.properties' image names (Trivy), artifacts[].location.uri, the results'
  physical and logical locations, run.automationDetails.id.
Images named, for coverage: Trivy ArtifactName (container images) and Metadata.RepoTags /
RepoDigests / ImageID; Grype source.target (type image) userInput, tags, repoDigests, imageID;
SARIF run.properties imageName / repoTags / repoDigests / imageID (Trivy) and Grype's
"<image>@<layer>:/<path>" logical locations.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nestgate.errors import NestgateError
from nestgate.probes.readers.timestamps import parse_time

ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN")

# Finding (advisory) IDs as scanners emit them; a waiver names a finding by one of these shapes.
FINDING_ID_SHAPES: dict[str, str] = {
    "CVE-YYYY-NNNN": r"CVE-\d{4}-\d{4,}",
    "GHSA-xxxx-xxxx-xxxx": r"GHSA(?:-[0-9a-z]{4}){3}",
    "PYSEC-YYYY-N": r"PYSEC-\d{4}-\d+",
    "GO-YYYY-NNNN": r"GO-\d{4}-\d{4,}",
    "RUSTSEC-YYYY-NNNN": r"RUSTSEC-\d{4}-\d{4,}",
    "OSV-YYYY-N": r"OSV-\d{4}-\d+",
    "MAL-YYYY-N": r"MAL-\d{4}-\d+",
    "GSD-YYYY-NNNN": r"GSD-\d{4}-\d{4,}",
    "DSA-NNNN[-N] / DLA-NNNN[-N]": r"D[SL]A-\d{3,}(?:-\d+)?",
    "DEBIAN-CVE-YYYY-NNNN": r"DEBIAN-CVE-\d{4}-\d{4,}",
    "TEMP-NNNNNNN-XXXXXX (Debian)": r"TEMP-\d{7}-[0-9A-F]{6}",
    "USN-NNNN-N": r"USN-\d{3,}-\d+",
    "UBUNTU-CVE-YYYY-NNNN": r"UBUNTU-CVE-\d{4}-\d{4,}",
    "RHSA/RHBA/RHEA-YYYY:NNNN": r"RH[SBE]A-\d{4}:\d{4,}",
    "ALSA/RLSA-YYYY:NNNN, ELSA-YYYY-NNNN": r"(?:ALSA|RLSA)-\d{4}[:-]\d{4,}|ELSA-\d{4}-\d{4,}",
    "ALAS[2|2022|2023]-YYYY-NNN": r"ALAS(?:2|2022|2023)?-\d{4}-\d{3,}",
    "SUSE-SU-YYYY:NNNN-N": r"(?:open)?SUSE-SU-\d{4}:\d{4,}-\d+",
    "SNYK-...-N": r"SNYK(?:-[A-Z0-9]+)+-\d+",
    "CGA-xxxx-xxxx-xxxx": r"CGA(?:-[0-9a-z]{4}){3}",
    "BIT-<name>-YYYY-NNNN": r"BIT-[a-z0-9-]+-\d{4}-\d{4,}",
}
_FINDING_ID = re.compile("|".join(f"(?:{p})" for p in FINDING_ID_SHAPES.values()))


def is_finding_id(text: str) -> bool:
    """A finding ID of a known advisory shape (FINDING_ID_SHAPES), exactly."""
    return _FINDING_ID.fullmatch(text) is not None


def advisory_id(rule_id: str) -> tuple[str, str]:
    """(advisory ID, rest) of a SARIF ruleId: Grype writes "<advisory>-<package>" (CVE-2023-45853-zlib)."""
    if is_finding_id(rule_id):
        return rule_id, ""
    m = _FINDING_ID.match(rule_id)
    if m and rule_id[m.end():m.end() + 1] == "-" and len(rule_id) > m.end() + 1:
        return m.group(0), rule_id[m.end() + 1:]
    return rule_id, ""


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
    created: dt.datetime | None  # the report's own time; None when absent or unreadable
    scanner: str
    time_field: str = ""  # where the report keeps its time, e.g. "CreatedAt"
    time_raw: Any = None  # the raw value there (None: absent), named when it cannot be read
    targets: list[str] = field(default_factory=list)  # what the report says it scanned
    images: list[str] = field(default_factory=list)  # image references it names as scanned

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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(*values: Any) -> list[str]:
    """Non-blank strings among values and lists of values, in order, once each."""
    out: list[str] = []
    for v in values:
        for item in v if isinstance(v, list) else [v]:
            if isinstance(item, str) and item.strip() and item.strip() not in out:
                out.append(item.strip())
    return out


def parse_trivy(doc: Any) -> ScanResult:
    _need(isinstance(doc, dict), "not a Trivy JSON report (top level is not an object)")
    _need("Results" in doc or "SchemaVersion" in doc, "not a Trivy JSON report (no SchemaVersion or Results)")
    findings, targets = [], []
    for i, result in enumerate(_list(doc.get("Results"), "Results")):
        _need(isinstance(result, dict), f"Results[{i}] is not an object")
        targets += _names(result.get("Target"))
        for j, v in enumerate(_list(result.get("Vulnerabilities"), f"Results[{i}].Vulnerabilities")):
            _need(isinstance(v, dict) and bool(v.get("VulnerabilityID")),
                  f"Results[{i}].Vulnerabilities[{j}] has no VulnerabilityID")
            findings.append(Finding(str(v["VulnerabilityID"]), normalise_severity(v.get("Severity")),
                                    str(v.get("PkgName") or ""), str(v.get("InstalledVersion") or ""),
                                    str(v.get("FixedVersion") or "")))
    meta = _dict(doc.get("Metadata"))
    is_image = doc.get("ArtifactType") in (None, "container_image")  # reports before ArtifactType were images
    images = _names(doc.get("ArtifactName") if is_image else None, meta.get("RepoTags"), meta.get("RepoDigests"),
                    meta.get("ImageID"))
    return ScanResult("trivy", findings, parse_time(doc.get("CreatedAt")), "Trivy", "CreatedAt",
                      doc.get("CreatedAt"), _names(targets), images)


def parse_grype(doc: Any) -> ScanResult:
    _need(isinstance(doc, dict) and "matches" in doc, "not a Grype JSON report (no matches)")
    findings = []
    for i, m in enumerate(_list(doc.get("matches"), "matches")):
        vuln = m.get("vulnerability") if isinstance(m, dict) else None
        _need(isinstance(vuln, dict) and bool(vuln.get("id")), f"matches[{i}].vulnerability has no id")
        art = _dict(m.get("artifact"))
        fix = _dict(vuln.get("fix"))
        versions = [str(x) for x in _list(fix.get("versions"), f"matches[{i}].vulnerability.fix.versions")]
        findings.append(Finding(str(vuln["id"]), normalise_severity(vuln.get("severity")),
                                str(art.get("name") or ""), str(art.get("version") or ""), ", ".join(versions)))
    descriptor = _dict(doc.get("descriptor"))
    source = _dict(doc.get("source"))
    target = source.get("target")
    images: list[str] = []
    if isinstance(target, dict):
        if source.get("type") == "image":
            images = _names(target.get("userInput"), target.get("tags"), target.get("repoDigests"),
                            target.get("imageID"), target.get("manifestDigest"))
        targets = _names(target.get("userInput"), target.get("path"), target.get("imageID"))
    else:  # a directory or file scan: the target is the path
        targets = _names(target)
    return ScanResult("grype", findings, parse_time(descriptor.get("timestamp")),
                      f"Grype {descriptor.get('version', '')}".strip(), "descriptor.timestamp",
                      descriptor.get("timestamp"), targets, images)


_LEVEL = {"error": "HIGH", "warning": "MEDIUM", "note": "LOW", "none": "NEGLIGIBLE"}
# Trivy writes "Package: x\nInstalled Version: y"; Grype "... in deb package: x, version y was found ...".
_MESSAGE_FIELDS = {"package": (r"Package: (.+)", r"package: ([^,\s]+), version"),
                   "installed": (r"Installed Version: (.+)", r"package: [^,\s]+, version (\S+)"),
                   "fixed": (r"Fixed Version: (.+)",)}
_GRYPE_IMAGE = (re.compile(r"^(?P<image>.+)@[^@]*:/"), re.compile(r"found in image (?P<image>\S+) at:"))


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
    config = _dict(rule.get("defaultConfiguration"))
    level = result.get("level") or config.get("level") or "warning"  # SARIF's own default
    return _LEVEL.get(str(level), "UNKNOWN")


def _message_field(text: str, patterns: tuple[str, ...]) -> str:
    for p in patterns:
        if m := re.search(p, text):
            return m.group(1).strip()
    return ""


def _sarif_locations(res: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(locations, images) a SARIF result names: artifact URIs and logical names; Grype's logical
    fullyQualifiedName "<image>@<layer>:/<path>" and message "... found in image <image> at: ..." name the image."""
    where, images = [], []
    for loc in res.get("locations") or []:
        loc = _dict(loc)
        where += _names(_dict(_dict(loc.get("physicalLocation")).get("artifactLocation")).get("uri"))
        for logical in loc.get("logicalLocations") or []:
            fqn = _dict(logical).get("fullyQualifiedName")
            where += _names(fqn)
            if isinstance(fqn, str) and (m := _GRYPE_IMAGE[0].match(fqn)):
                images.append(m.group("image"))
    text = str(_dict(res.get("message")).get("text") or "")
    if m := _GRYPE_IMAGE[1].search(text):
        images.append(m.group("image"))
    return where, images


def _sarif_time(runs: list[Any]) -> tuple[dt.datetime | None, str, Any]:
    """The latest invocation time of all runs (endTimeUtc, else startTimeUtc); a value that does not
    parse makes the time unreadable, naming it."""
    stamps = []
    for r, run in enumerate(runs):
        for i, inv in enumerate(_list(_dict(run).get("invocations"), f"runs[{r}].invocations")):
            key = "endTimeUtc" if _dict(inv).get("endTimeUtc") is not None else "startTimeUtc"
            raw = _dict(inv).get(key)
            if raw is None:
                continue
            stamp = parse_time(raw)
            if stamp is None:
                return None, f"runs[{r}].invocations[{i}].{key}", raw
            stamps.append(stamp)
    return (max(stamps) if stamps else None), "runs[].invocations[].endTimeUtc", None


def parse_sarif(doc: Any) -> ScanResult:
    _need(isinstance(doc, dict) and isinstance(doc.get("runs"), list), "not a SARIF log (no runs)")
    _need(str(doc.get("version", "")) == "2.1.0", f"SARIF version {doc.get('version')!r}, expected '2.1.0'")
    findings, tools, targets, images = [], [], [], []
    for r, run in enumerate(doc["runs"]):
        _need(isinstance(run, dict), f"runs[{r}] is not an object")
        driver = _dict(_dict(run.get("tool")).get("driver"))
        _need(bool(driver.get("name")), f"runs[{r}] has no tool.driver.name (not a scanner's run)")
        tools.append(str(driver["name"]))
        props = _dict(run.get("properties"))
        named = _names(props.get("imageName"), props.get("repoTags"), props.get("repoDigests"), props.get("imageID"))
        images += named
        targets += named + _names(_dict(run.get("automationDetails")).get("id"))
        for artifact in _list(run.get("artifacts"), f"runs[{r}].artifacts"):
            targets += _names(_dict(_dict(artifact).get("location")).get("uri"))
        rules = [x for x in _list(driver.get("rules"), f"runs[{r}].tool.driver.rules") if isinstance(x, dict)]
        by_id = {str(x.get("id")): x for x in rules}
        for i, res in enumerate(_list(run.get("results"), f"runs[{r}].results")):
            _need(isinstance(res, dict), f"runs[{r}].results[{i}] is not an object")
            index = res.get("ruleIndex")
            rule = rules[index] if isinstance(index, int) and 0 <= index < len(rules) else {}
            rule_id = res.get("ruleId") or rule.get("id")
            _need(bool(rule_id), f"runs[{r}].results[{i}] has no ruleId")
            rule = rule or by_id.get(str(rule_id), {})
            text = str(_dict(res.get("message")).get("text") or "")
            fields = {k: _message_field(text, p) for k, p in _MESSAGE_FIELDS.items()}
            finding_id, package = advisory_id(str(rule_id))
            fields["package"] = fields["package"] or package
            findings.append(Finding(finding_id, _sarif_severity(res, rule), **fields))
            where, named = _sarif_locations(res)
            targets += where
            images += named
    created, time_field, raw = _sarif_time(doc["runs"])
    return ScanResult("sarif", findings, created, "/".join(dict.fromkeys(tools)) or "SARIF", time_field, raw,
                      _names(targets), _names(images))


PARSERS = {"trivy": parse_trivy, "grype": parse_grype, "sarif": parse_sarif}

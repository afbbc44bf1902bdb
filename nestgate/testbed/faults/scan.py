"""SEC-01: the instance's scanner reports. No scanner runs here (no registry, no vulnerability
database), so the testbed writes what Trivy, Grype and a SARIF-emitting scanner would write about
its images: clean (findings, none at P0/P1) on every config write, seeded by the faults below.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

TRIVY, GRYPE, SARIF = "scan/trivy.json", "scan/grype.json", "scan/images.sarif"
STALE_DAYS = 3
SEEDED_CVE = "CVE-2024-45490"


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _vuln(vid: str, pkg: str, installed: str, fixed: str, severity: str, title: str) -> dict[str, Any]:
    return {"VulnerabilityID": vid, "PkgID": f"{pkg}@{installed}", "PkgName": pkg,
            "InstalledVersion": installed, "FixedVersion": fixed, "Status": "fixed" if fixed else "affected",
            "SeveritySource": "debian", "PrimaryURL": f"https://avd.aquasec.com/nvd/{vid.lower()}",
            "Title": title, "Severity": severity}


def trivy(tb: Testbed, when: dt.datetime, critical: bool = False) -> dict[str, Any]:
    vulns = [_vuln("CVE-2023-4039", "libgcc-s1", "12.2.0-14", "", "MEDIUM",
                   "gcc: -fstack-protector fails to guard dynamic stack allocations on ARM64"),
             _vuln("CVE-2011-3374", "apt", "2.6.1", "", "LOW", "apt-key does not verify the keyring URL")]
    if critical:
        vulns.insert(0, _vuln(SEEDED_CVE, "libexpat1", "2.5.0-1", "2.5.0-1+deb12u1", "CRITICAL",
                              "libexpat: Negative Length Parsing Vulnerability in libexpat"))
    image = tb.state.images.get("app", "nestgate-testbed/app")
    return {"SchemaVersion": 2, "CreatedAt": _stamp(when), "ArtifactName": image,
            "ArtifactType": "container_image", "Metadata": {"OS": {"Family": "debian", "Name": "12"}},
            "Results": [{"Target": f"{image} (debian 12)", "Class": "os-pkgs", "Type": "debian",
                         "Vulnerabilities": vulns}]}


def grype(tb: Testbed, when: dt.datetime) -> dict[str, Any]:
    image = tb.state.images.get("postgres", "nestgate-testbed/postgres")
    return {"matches": [{"vulnerability": {"id": "CVE-2005-2541", "namespace": "debian:distro:debian:12",
                                           "severity": "Negligible", "fix": {"versions": [], "state": "wont-fix"}},
                         "artifact": {"name": "tar", "version": "1.34+dfsg-1.2", "type": "deb"}}],
            "source": {"type": "image", "target": {"userInput": image}},
            "distro": {"name": "debian", "version": "12"},
            "descriptor": {"name": "grype", "version": "0.74.7", "timestamp": _stamp(when)}}


def sarif(tb: Testbed, when: dt.datetime) -> dict[str, Any]:
    rule = {"id": "CVE-2023-50495", "name": "OsPackageVulnerability",
            "shortDescription": {"text": "ncurses: segmentation fault via _nc_wrap_entry()"},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"security-severity": "6.5", "tags": ["vulnerability", "security", "MEDIUM"]}}
    result = {"ruleId": rule["id"], "ruleIndex": 0, "level": "warning",
              "message": {"text": "Package: libtinfo6\nInstalled Version: 6.4-4\nVulnerability CVE-2023-50495\n"
                                  "Severity: MEDIUM\nFixed Version: \nLink: [CVE-2023-50495](https://avd.aquasec.com/"
                                  "nvd/cve-2023-50495)"}}
    return {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [{"tool": {"driver": {"name": "Trivy", "version": "0.57.0", "rules": [rule]}},
                      "results": [result],
                      "invocations": [{"executionSuccessful": True, "endTimeUtc": _stamp(when)}]}]}


def _write(tb: Testbed, rel: str, doc: dict[str, Any]) -> None:
    path: Path = tb.state_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def write_clean(tb: Testbed) -> dict[str, Any]:
    """Fresh clean reports; returns the generated config's [security.scan] table."""
    now = dt.datetime.now(dt.UTC)
    _write(tb, TRIVY, trivy(tb, now))
    _write(tb, GRYPE, grype(tb, now))
    _write(tb, SARIF, sarif(tb, now))
    return {"reports": [{"path": TRIVY, "format": "trivy"}, {"path": GRYPE, "format": "grype"},
                        {"path": SARIF, "format": "sarif"}]}


def _critical(config: dict[str, Any], tb: Testbed) -> None:
    _write(tb, TRIVY, trivy(tb, dt.datetime.now(dt.UTC), critical=True))


def _stale(config: dict[str, Any], tb: Testbed) -> None:
    _write(tb, GRYPE, grype(tb, dt.datetime.now(dt.UTC) - dt.timedelta(days=STALE_DAYS)))


FAULTS = [
    Fault("scan-critical", "SEC-01", "the Trivy report lists a fixable CRITICAL CVE",
          f"scan/trivy.json gains {SEEDED_CVE} (CRITICAL) in libexpat1 2.5.0-1, fixed in "
          "2.5.0-1+deb12u1, with no waiver. Reports only; the stack is untouched.", config=_critical),
    Fault("scan-report-stale", "SEC-01", f"the Grype report is {STALE_DAYS} days old",
          f"scan/grype.json's descriptor.timestamp is {STALE_DAYS} days before the config write "
          "(max age 24 h); its content is clean. Reports only; the stack is untouched.", config=_stale),
]

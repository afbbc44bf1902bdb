"""SEC-01: the instance's scanner reports. No scanner runs here (no registry, no vulnerability
database), so the testbed writes what Trivy, Grype and a SARIF-emitting scanner would write about
its images: clean (findings, none at P0/P1) on every config write, seeded by the faults below.

Coverage: Trivy JSON scans the app image, Grype JSON the postgres image, and the SARIF log holds
one run per image of the compose model (faults' extra services included), so every image the
declared model names is scanned, and each fault spoils exactly one thing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docker.errors import ImageNotFound

from nestgate.testbed.faults.base import Fault
from nestgate.testbed.run import client

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

TRIVY, GRYPE, SARIF = "scan/trivy.json", "scan/grype.json", "scan/images.sarif"
STALE_DAYS = 3
SEEDED_CVE = "CVE-2024-45490"
UNSCANNED_SERVICE = "nginx"  # scan-unscanned-image: its image is dropped from every report


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _image_id(image: str) -> str:
    """The engine's ID of the image, as a scanner reads it ("" when the engine has no such image)."""
    try:
        return str(client().images.get(image).id)
    except ImageNotFound:
        return ""


def _vuln(vid: str, pkg: str, installed: str, fixed: str, severity: str, title: str) -> dict[str, Any]:
    return {"VulnerabilityID": vid, "PkgID": f"{pkg}@{installed}", "PkgName": pkg,
            "InstalledVersion": installed, "FixedVersion": fixed, "Status": "fixed" if fixed else "affected",
            "SeveritySource": "debian", "PrimaryURL": f"https://avd.aquasec.com/nvd/{vid.lower()}",
            "Title": title, "Severity": severity}


def model_images(tb: Testbed) -> dict[str, str]:
    """Service -> image of the compose model as deployed (applied faults included)."""
    return {name: str(svc["image"]) for name, svc in tb.model().services.items()}


def trivy(image: str, when: dt.datetime, critical: bool = False) -> dict[str, Any]:
    vulns = [_vuln("CVE-2023-4039", "libgcc-s1", "12.2.0-14", "", "MEDIUM",
                   "gcc: -fstack-protector fails to guard dynamic stack allocations on ARM64"),
             _vuln("CVE-2011-3374", "apt", "2.6.1", "", "LOW", "apt-key does not verify the keyring URL")]
    if critical:
        vulns.insert(0, _vuln(SEEDED_CVE, "libexpat1", "2.5.0-1", "2.5.0-1+deb12u1", "CRITICAL",
                              "libexpat: Negative Length Parsing Vulnerability in libexpat"))
    return {"SchemaVersion": 2, "CreatedAt": _stamp(when), "ArtifactName": image,
            "ArtifactType": "container_image",
            "Metadata": {"OS": {"Family": "debian", "Name": "12"}, "ImageID": _image_id(image), "RepoTags": [image]},
            "Results": [{"Target": f"{image} (debian 12)", "Class": "os-pkgs", "Type": "debian",
                         "Vulnerabilities": vulns}]}


def trivy_empty(when: dt.datetime) -> dict[str, Any]:
    """What Trivy writes when it found nothing to analyse: no artifact named, no Results."""
    return {"SchemaVersion": 2, "CreatedAt": _stamp(when), "ArtifactType": "container_image", "Results": []}


def grype(image: str, when: dt.datetime) -> dict[str, Any]:
    return {"matches": [{"vulnerability": {"id": "CVE-2005-2541", "namespace": "debian:distro:debian:12",
                                           "severity": "Negligible", "fix": {"versions": [], "state": "wont-fix"}},
                         "artifact": {"name": "tar", "version": "1.34+dfsg-1.2", "type": "deb"}}],
            "source": {"type": "image", "target": {"userInput": image, "imageID": _image_id(image),
                                                   "tags": [image]}},
            "distro": {"name": "debian", "version": "12"},
            "descriptor": {"name": "grype", "version": "0.74.7", "timestamp": _stamp(when)}}


def _sarif_run(image: str, when: dt.datetime, with_finding: bool) -> dict[str, Any]:
    rule = {"id": "CVE-2023-50495", "name": "OsPackageVulnerability",
            "shortDescription": {"text": "ncurses: segmentation fault via _nc_wrap_entry()"},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"security-severity": "6.5", "tags": ["vulnerability", "security", "MEDIUM"]}}
    result = {"ruleId": rule["id"], "ruleIndex": 0, "level": "warning",
              "message": {"text": "Package: libtinfo6\nInstalled Version: 6.4-4\nVulnerability CVE-2023-50495\n"
                                  "Severity: MEDIUM\nFixed Version: \nLink: [CVE-2023-50495](https://avd.aquasec.com/"
                                  "nvd/cve-2023-50495)"}}
    return {"tool": {"driver": {"name": "Trivy", "version": "0.57.0", "rules": [rule] if with_finding else []}},
            "results": [result] if with_finding else [],
            "invocations": [{"executionSuccessful": True, "endTimeUtc": _stamp(when)}],
            "properties": {"imageName": image, "repoTags": [image], "repoDigests": [], "imageID": _image_id(image)}}


def sarif(images: list[str], when: dt.datetime) -> dict[str, Any]:
    """One run per image (as a merged SARIF log of a nightly scan); the first holds a MEDIUM finding."""
    return {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [_sarif_run(image, when, i == 0) for i, image in enumerate(images)]}


def _write(tb: Testbed, rel: str, doc: dict[str, Any]) -> None:
    path: Path = tb.state_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def _write_sarif(tb: Testbed, drop: str = "") -> None:
    _write(tb, SARIF, sarif(sorted({i for i in model_images(tb).values() if i != drop}), dt.datetime.now(dt.UTC)))


def write_clean(tb: Testbed) -> dict[str, Any]:
    """Fresh clean reports covering every image of the compose model; returns the generated
    config's [security.scan] table."""
    images, now = model_images(tb), dt.datetime.now(dt.UTC)
    _write(tb, TRIVY, trivy(images["app"], now))
    _write(tb, GRYPE, grype(images["postgres"], now))
    _write_sarif(tb)
    # Absolute: report paths resolve against target.project_dir, and these live in the state dir beside it.
    return {"reports": [{"path": str(tb.state_dir / TRIVY), "format": "trivy"},
                        {"path": str(tb.state_dir / GRYPE), "format": "grype"},
                        {"path": str(tb.state_dir / SARIF), "format": "sarif"}]}


def _critical(config: dict[str, Any], tb: Testbed) -> None:
    _write(tb, TRIVY, trivy(model_images(tb)["app"], dt.datetime.now(dt.UTC), critical=True))


def _stale(config: dict[str, Any], tb: Testbed) -> None:
    _write(tb, GRYPE, grype(model_images(tb)["postgres"], dt.datetime.now(dt.UTC) - dt.timedelta(days=STALE_DAYS)))


def _empty(config: dict[str, Any], tb: Testbed) -> None:
    _write(tb, TRIVY, trivy_empty(dt.datetime.now(dt.UTC)))


def _unscanned(config: dict[str, Any], tb: Testbed) -> None:
    # Only the SARIF log scans nginx's image: leaving its run out drops it from every report.
    _write_sarif(tb, drop=model_images(tb)[UNSCANNED_SERVICE])


FAULTS = [
    Fault("scan-critical", "SEC-01", "the Trivy report lists a fixable CRITICAL CVE",
          f"scan/trivy.json gains {SEEDED_CVE} (CRITICAL) in libexpat1 2.5.0-1, fixed in "
          "2.5.0-1+deb12u1, with no waiver. Reports only; the stack is untouched.", config=_critical),
    Fault("scan-report-stale", "SEC-01", f"the Grype report is {STALE_DAYS} days old",
          f"scan/grype.json's descriptor.timestamp is {STALE_DAYS} days before the config write "
          "(max age 24 h); its content is clean, and its image is also in the SARIF log. Reports only; the "
          "stack is untouched.", config=_stale),
    Fault("scan-empty", "SEC-01", "the Trivy report scanned nothing",
          "scan/trivy.json is fresh but has \"Results\": [] and no ArtifactName (what Trivy writes when it "
          "found nothing to analyse); the app image is still in the SARIF log, so only the empty report "
          "fails. Reports only; the stack is untouched.", config=_empty),
    Fault("scan-unscanned-image", "SEC-01", f"the {UNSCANNED_SERVICE} image is in no scan report",
          f"the {UNSCANNED_SERVICE} service's image is dropped from every report (its SARIF run is left out); "
          "the other reports stay fresh and clean. Reports only; the stack is untouched.", config=_unscanned),
]

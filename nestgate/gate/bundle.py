"""The evidence bundle of one gate run: `reports/<timestamp>-<gates>/`.

    report.html     pytest-html, self-contained, with the evidence columns
    junit.xml       JUnit, evidence as <property> elements of each testcase
    evidence.json   one record per gate test (control, gate, checklist line, outcome, measured,
                    threshold, sources, target, timestamp, waiver) plus the per-gate verdict
    manifest.json   SHA-256 of each file above and the target fingerprint

`verify_bundle` recomputes the hashes; the deploy wrapper trusts nothing it has not verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import nestgate
from nestgate.errors import NestgateError

FILES = ("report.html", "junit.xml", "evidence.json")
MANIFEST = "manifest.json"
FORMAT = "nestgate-evidence/1"


class BundleError(NestgateError):
    """The report bundle is missing, unreadable, malformed or does not match its manifest."""


def stamp(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")


def unique_dir(parent: Path, base: str) -> Path:
    """A new, empty directory `<parent>/<base>`, or `<base>-2`, `-3`, ... when runs in the same second
    took the name: evidence is never written into another run's folder. OSError when unwritable,
    FileExistsError when a thousand names are taken."""
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = parent / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"too many directories named {base} in {parent}")


def create_bundle_dir(parent: Path, label: str) -> Path:
    """A new, empty directory `<parent>/<timestamp>-<label>`; fails (BundleError) when unwritable."""
    try:
        return unique_dir(parent, f"{stamp()}-{label}")
    except OSError as exc:
        raise BundleError(f"cannot write report directory {parent}: {exc.strerror or exc}") from None


def prepare_exact_dir(path: Path) -> Path:
    """The directory the deploy wrapper asked for: created, and empty (no stale evidence)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if any(path.iterdir()):
            raise BundleError(f"report directory {path} is not empty: evidence is never overwritten")
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BundleError(f"cannot write report directory {path}: {exc.strerror or exc}") from None
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_evidence(bundle: Path, document: dict[str, Any]) -> None:
    _write_json(bundle / "evidence.json", {"format": FORMAT, "nestgate_version": nestgate.__version__, **document})


def write_manifest(bundle: Path, fingerprint: dict[str, Any]) -> dict[str, Any]:
    missing = [name for name in FILES if not (bundle / name).is_file()]
    if missing:
        raise BundleError(f"{bundle}: not written: {', '.join(missing)}")
    manifest = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": {name: {"sha256": sha256_file(bundle / name), "bytes": (bundle / name).stat().st_size}
                  for name in FILES},
        "target": fingerprint,
    }
    _write_json(bundle / MANIFEST, manifest)
    return manifest


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path}: unreadable: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None


def verify_bundle(bundle: Path) -> dict[str, Any]:
    """Check every file against the manifest; returns the parsed evidence.json."""
    manifest = read_json(bundle / MANIFEST)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or set(files) != set(FILES):
        raise BundleError(f"{bundle / MANIFEST}: malformed: expected hashes of {', '.join(FILES)}")
    for name in FILES:
        path = bundle / name
        if not path.is_file():
            raise BundleError(f"{path}: missing")
        expected = files[name].get("sha256") if isinstance(files[name], dict) else None
        actual = sha256_file(path)
        if actual != expected:
            raise BundleError(f"{path}: SHA-256 {actual[:16]}... does not match the manifest ({str(expected)[:16]}...)")
    evidence = read_json(bundle / "evidence.json")
    if not isinstance(evidence, dict) or evidence.get("format") != FORMAT or not isinstance(
            evidence.get("controls"), list) or not isinstance(evidence.get("verdict"), dict):
        raise BundleError(f"{bundle / 'evidence.json'}: not a nestgate evidence file ({FORMAT})")
    return evidence


def write_tree_manifest(folder: Path, fmt: str, **extra: Any) -> dict[str, Any]:
    """manifest.json with the SHA-256 of every file under `folder` (bundles whose files vary)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / MANIFEST)
    manifest = {"format": fmt, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **extra,
                "files": {str(p.relative_to(folder)): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                          for p in files}}
    _write_json(folder / MANIFEST, manifest)
    return manifest


def verify_tree_manifest(folder: Path) -> dict[str, Any]:
    """Every file of a write_tree_manifest bundle is listed and matches its hash; returns the manifest."""
    manifest = read_json(folder / MANIFEST)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not files:
        raise BundleError(f"{folder / MANIFEST}: malformed: no file hashes")
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p != folder / MANIFEST}
    if present - set(files):
        raise BundleError(f"{folder}: not in the manifest: {', '.join(sorted(present - set(files)))}")
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            raise BundleError(f"{path}: missing")
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        actual = sha256_file(path)
        if actual != expected:
            raise BundleError(f"{path}: SHA-256 {actual[:16]}... does not match the manifest ({str(expected)[:16]}...)")
    return manifest

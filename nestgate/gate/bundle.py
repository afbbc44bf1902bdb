"""The evidence bundle of one gate run: `reports/<timestamp>-<gates>/`.

    report.html     pytest-html, self-contained, with the evidence columns
    junit.xml       JUnit, evidence as <property> elements of each testcase
    evidence.json   one record per gate test (control, gate, checklist line, outcome, measured,
                    threshold, sources, target, timestamp, waiver) plus the per-gate verdict
    findings.sarif  SARIF 2.1.0: one result per failed control test and subject (compose line when declared)
    gl-code-quality-report.json   under GitLab CI only: the same failures as a Code Quality report
    manifest.json   SHA-256 of each file above and the target fingerprint
    SHA256SUMS      SHA-256 of every file, manifest.json included, as `sha256sum -c` reads it
    SHA256SUMS.sig  with a sign key only: the OpenSSH signature of SHA256SUMS (namespace "nestgate")

`verify_bundle` recomputes the hashes; the deploy wrapper trusts nothing it has not verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nestgate
from nestgate.errors import NestgateError

FILES = ("report.html", "junit.xml", "evidence.json")  # every bundle has these (older ones only these)
SARIF = "findings.sarif"  # written in every bundle since issue 18
EXTRA_FILES = (SARIF, "gl-code-quality-report.json")  # hashed in the manifest when present
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"  # `sha256sum -c SHA256SUMS` format
SIGNATURE = "SHA256SUMS.sig"  # ssh-keygen -Y sign
NAMESPACE = "nestgate"
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


def write_manifest(bundle: Path, fingerprint: dict[str, Any], sign_key: Path | None = None) -> dict[str, Any]:
    missing = [name for name in (*FILES, SARIF) if not (bundle / name).is_file()]
    if missing:
        raise BundleError(f"{bundle}: not written: {', '.join(missing)}")
    names = [*FILES, *(name for name in EXTRA_FILES if (bundle / name).is_file())]
    manifest = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": {name: {"sha256": sha256_file(bundle / name), "bytes": (bundle / name).stat().st_size}
                  for name in names},
        "target": fingerprint,
    }
    _write_json(bundle / MANIFEST, manifest)
    write_sums(bundle, sign_key)
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


@dataclass(frozen=True)
class Problem:
    """One file that does not match: `path` relative to the bundle."""
    path: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}: {self.text}"


def _raise_first(folder: Path, problems: list[Problem]) -> None:
    if problems:
        raise BundleError(f"{folder / problems[0].path}: {problems[0].text}")


def _changed(path: Path, expected: object, against: str) -> str | None:
    actual = sha256_file(path)
    return None if actual == expected else (
        f"SHA-256 {actual[:16]}... does not match {against} ({str(expected)[:16]}...)")


def _read(folder: Path, name: str) -> tuple[Any, Problem | None]:
    try:
        return read_json(folder / name), None
    except BundleError as exc:
        return None, Problem(name, str(exc).removeprefix(f"{folder / name}: "))


def bundle_problems(bundle: Path) -> list[Problem]:
    """A gate bundle's files against its manifest.json, and evidence.json is nestgate evidence."""
    manifest, problem = _read(bundle, MANIFEST)
    if problem:
        return [problem]
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not set(FILES) <= set(files) <= {*FILES, *EXTRA_FILES}:
        return [Problem(MANIFEST, f"malformed: expected hashes of {', '.join(FILES)} (and {', '.join(EXTRA_FILES)})")]
    problems = [Problem(name, "extra: not in the manifest") for name in EXTRA_FILES
                if name not in files and (bundle / name).is_file()]
    for name in files:
        if not (bundle / name).is_file():
            problems.append(Problem(name, "missing"))
        elif text := _changed(bundle / name, files[name].get("sha256") if isinstance(files[name], dict) else None,
                              "the manifest"):
            problems.append(Problem(name, text))
    if problems:
        return problems
    evidence, problem = _read(bundle, "evidence.json")
    if problem:
        return [problem]
    if not isinstance(evidence, dict) or evidence.get("format") != FORMAT or not isinstance(
            evidence.get("controls"), list) or not isinstance(evidence.get("verdict"), dict):
        return [Problem("evidence.json", f"not a nestgate evidence file ({FORMAT})")]
    return []


def verify_bundle(bundle: Path) -> dict[str, Any]:
    """Check every file against the manifest; returns the parsed evidence.json."""
    _raise_first(bundle, bundle_problems(bundle))
    return read_json(bundle / "evidence.json")


def _unhashed_dirs(folder: Path) -> set[str]:
    """Top-level folders the bundle's own manifest declares outside its hashes ("unhashed_dirs"): what
    is added after the bundle is sealed and verified on its own, e.g. the sign-offs of a completion
    record (each a signed statement). The manifest is hashed itself, so the list cannot be widened
    unnoticed."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    dirs = manifest.get("unhashed_dirs") if isinstance(manifest, dict) else None
    return {d for d in dirs if isinstance(d, str) and d and "/" not in d} if isinstance(dirs, list) else set()


def _tree(folder: Path, also_skip: tuple[str, ...] = ()) -> list[str]:
    """Every file under `folder`, relative, except the top-level SHA256SUMS and its signature (and
    the folders the manifest declares unhashed)."""
    skip, skip_dirs = {SUMS, SIGNATURE, *also_skip}, _unhashed_dirs(folder)
    names = (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return sorted(n for n in names if n not in skip and n.split("/", 1)[0] not in skip_dirs)


def write_tree_manifest(folder: Path, fmt: str, *, sign_key: Path | None = None, **extra: Any) -> dict[str, Any]:
    """manifest.json with the SHA-256 of every file under `folder` (bundles whose files vary), then
    SHA256SUMS (and its signature with `sign_key`)."""
    manifest = {"format": fmt, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **extra,
                "files": {name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
                          for name in _tree(folder, (MANIFEST,))}}
    _write_json(folder / MANIFEST, manifest)
    write_sums(folder, sign_key)
    return manifest


def tree_manifest_problems(folder: Path) -> list[Problem]:
    """Every file of a write_tree_manifest bundle is listed and matches its hash."""
    manifest, problem = _read(folder, MANIFEST)
    if problem:
        return [problem]
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not files:
        return [Problem(MANIFEST, "malformed: no file hashes")]
    problems = []
    for name, entry in files.items():
        path = folder / name
        if not _relative(name) or not path.is_file():
            problems.append(Problem(name, "missing (listed in the manifest)"))
        elif text := _changed(path, entry.get("sha256") if isinstance(entry, dict) else None, "the manifest"):
            problems.append(Problem(name, text))
    problems += [Problem(name, "extra: not in the manifest") for name in _tree(folder, (MANIFEST,))
                 if name not in files]
    return problems


def verify_tree_manifest(folder: Path) -> dict[str, Any]:
    """Every file of a write_tree_manifest bundle is listed and matches its hash; returns the manifest."""
    _raise_first(folder, tree_manifest_problems(folder))
    return read_json(folder / MANIFEST)


# -- SHA256SUMS: what `sha256sum -c SHA256SUMS` checks, no nestgate needed -----------------------------
_SUMS_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")


def _relative(name: str) -> bool:
    return not Path(name).is_absolute() and ".." not in Path(name).parts


def write_sums(folder: Path, sign_key: Path | None = None) -> Path:
    """SHA256SUMS over every file of the bundle (manifest.json included, nested bundles too)."""
    names = _tree(folder)
    odd = [n for n in names if "\n" in n or "\\" in n]
    if odd:  # sha256sum would escape these names; nestgate never writes them
        raise BundleError(f"{folder}: file name with a newline or backslash: {odd[0]!r}")
    (folder / SIGNATURE).unlink(missing_ok=True)  # a signature of older sums would be a lie
    (folder / SUMS).write_text("".join(f"{sha256_file(folder / n)}  {n}\n" for n in names), encoding="utf-8")
    if sign_key is not None:
        sign_sums(folder, sign_key)
    return folder / SUMS


def sums_problems(folder: Path) -> list[Problem]:
    """Every file listed in SHA256SUMS matches, none is missing, none is unlisted."""
    try:
        lines = (folder / SUMS).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return [Problem(SUMS, "missing: the bundle has no SHA256SUMS")]
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(SUMS, f"unreadable: {exc}")]
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(lines, 1):
        match = _SUMS_LINE.fullmatch(line)
        if not match or not _relative(match[2]):
            problems.append(Problem(SUMS, f"line {number}: not '<sha256>  <relative path>'"))
        else:
            listed[match[2]] = match[1]
    for name, expected in listed.items():
        if not (folder / name).is_file():
            problems.append(Problem(name, "missing (listed in SHA256SUMS)"))
        elif text := _changed(folder / name, expected, "SHA256SUMS"):
            problems.append(Problem(name, text))
    problems += [Problem(name, "extra: not in SHA256SUMS") for name in _tree(folder) if name not in listed]
    return problems


# -- signing: OpenSSH signatures (ssh-keygen -Y), namespace "nestgate" -------------------------------
def ssh_keygen_y(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["ssh-keygen", "-Y", *args], input=stdin, capture_output=True, timeout=120,
                              check=False, stdin=None if stdin is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise BundleError("ssh-keygen not found: install OpenSSH (Debian: openssh-client)") from None
    except subprocess.TimeoutExpired:
        raise BundleError(f"ssh-keygen -Y {args[0]} did not finish within 120 s") from None


def ssh_last_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    lines = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def sign_sums(folder: Path, key: Path) -> Path:
    """SHA256SUMS.sig: `ssh-keygen -Y sign -f KEY -n nestgate SHA256SUMS`."""
    proc = ssh_keygen_y(["sign", "-f", str(key), "-n", NAMESPACE, str(folder / SUMS)])
    if proc.returncode != 0 or not (folder / SIGNATURE).is_file():
        raise BundleError(f"cannot sign {folder / SUMS} with {key}: {ssh_last_line(proc)}")
    return folder / SIGNATURE


def check_sign_key(key: str | Path) -> Path:
    """The sign key works: a trial signature now, so a bad key or passphrase stops the run before it
    starts rather than leaving unsigned evidence at its end."""
    path = Path(key).expanduser().resolve()
    if not path.is_file():
        raise BundleError(f"sign key {key}: not a file")
    with tempfile.TemporaryDirectory(prefix="nestgate-sign-") as tmp:
        (Path(tmp) / SUMS).write_text("trial\n", encoding="utf-8")
        sign_sums(Path(tmp), path)
    return path


def signature_check(folder: Path, allowed_signers: Path, identity: str | None = None) -> tuple[str, list[Problem]]:
    """Check SHA256SUMS.sig against an allowed-signers file. The identity is `identity`, else the
    principal the file lists for the signing key (`ssh-keygen -Y find-principals`). Returns what was
    verified and the problems."""
    sig = str(folder / SIGNATURE)
    if not (folder / SIGNATURE).is_file():
        return "", [Problem(SIGNATURE, "missing: the bundle is not signed, but --allowed-signers asks for a signature")]
    if identity is None:
        found = ssh_keygen_y(["find-principals", "-s", sig, "-f", str(allowed_signers)])
        if found.returncode != 0:
            return "", [Problem(SIGNATURE, f"signed by a key not in {allowed_signers}")]
        identity = found.stdout.decode(errors="replace").split()[0]
    try:
        data = (folder / SUMS).read_bytes()
    except OSError as exc:
        return "", [Problem(SUMS, f"unreadable: {exc.strerror or exc}")]
    proc = ssh_keygen_y(["verify", "-f", str(allowed_signers), "-I", identity, "-n", NAMESPACE, "-s", sig], data)
    if proc.returncode != 0:
        return "", [Problem(SIGNATURE, f"does not verify SHA256SUMS as signed by {identity}: {ssh_last_line(proc)}")]
    return f"good signature by {identity}", []

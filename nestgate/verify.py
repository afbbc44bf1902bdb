"""`nestgate verify DIR [--allowed-signers FILE [--identity NAME]]`: is this evidence as written?

Works on every bundle kind: a gate bundle (reports/<time>-<gates>/, watch rounds), a deploy folder
(and the gate/, post-gate-N/, rollback-check-N/ bundles inside it), an incident bundle, a watch
capture folder, or any folder with a SHA256SUMS. Each bundle is checked twice: every file against
SHA256SUMS (none changed, missing or extra) and against manifest.json (the hashes other nestgate
code reads). Any sub-folder with its own SHA256SUMS is verified as a bundle of its own too.

Unsigned hashes only catch accidents (a truncated copy, a changed byte): whoever can edit a file can
recompute its hashes. With --allowed-signers, SHA256SUMS.sig must be a good `ssh-keygen -Y sign`
signature (namespace "nestgate") by a key the file allows; the identity is --identity, else the
principal the file lists for the signing key.

Exit codes: 0 every file matches; 1 a problem, one line each; 2 usage error (no such folder, not a
bundle, allowed-signers file unreadable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nestgate.errors import NestgateError
from nestgate.gate.bundle import (
    FORMAT,
    MANIFEST,
    SIGNATURE,
    SUMS,
    BundleError,
    Problem,
    bundle_problems,
    read_json,
    signature_check,
    sums_problems,
    tree_manifest_problems,
)

KINDS = {FORMAT: "gate bundle", "nestgate-deploy/1": "deploy folder", "nestgate-incident/1": "incident bundle",
         "nestgate-incident-capture/1": "watch capture"}
GATE_KINDS = {"gate bundle", "watch round bundle"}  # fixed files, checked by verify_bundle's rules


class VerifyUsage(NestgateError):
    """Nothing to verify: no such folder, not a bundle, an unreadable allowed-signers file."""


@dataclass
class Result:
    folder: Path
    kind: str
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    signature: str = ""


def bundle_kind(folder: Path) -> str:
    """What manifest.json says the folder is; a folder with only SHA256SUMS is a plain tree."""
    if (folder / MANIFEST).is_file():
        try:
            fmt = read_json(folder / MANIFEST).get("format")
        except (BundleError, AttributeError):
            return "bundle (manifest.json unreadable)"
        kind = KINDS.get(str(fmt), f"bundle ({fmt})")
        return "watch round bundle" if kind == "gate bundle" and folder.parent.name == "rounds" else kind
    if (folder / SUMS).is_file():
        return "tree"
    raise VerifyUsage(f"{folder}: not a nestgate bundle (no {MANIFEST} or {SUMS})")


def verify_one(folder: Path, allowed_signers: Path | None, identity: str | None, nested: bool) -> Result:
    result = Result(folder, bundle_kind(folder))
    problems = {p.path: p for p in sums_problems(folder)}
    if result.kind != "tree":  # the manifest names the same files: one line per file, SHA256SUMS first
        manifest = bundle_problems(folder) if result.kind in GATE_KINDS else tree_manifest_problems(folder)
        problems |= {p.path: p for p in manifest if p.path not in problems}
    signed = (folder / SIGNATURE).is_file()
    if allowed_signers is None:
        result.signature = "signature present, not checked (give --allowed-signers)" if signed else "unsigned"
    elif nested and not signed:  # the outer SHA256SUMS, signed, covers this bundle's files
        result.signature = "unsigned (covered by the outer signature)"
    else:
        result.signature, bad = signature_check(folder, allowed_signers, identity)
        problems |= {p.path: p for p in bad}
    result.problems = list(problems.values())
    result.files = len([p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix()
                        not in (SUMS, SIGNATURE)])
    return result


def verify(folder: Path, allowed_signers: Path | None = None, identity: str | None = None) -> list[Result]:
    """The bundle at `folder`, then every bundle nested in it (a sub-folder with its own SHA256SUMS)."""
    if not folder.is_dir():
        raise VerifyUsage(f"{folder}: no such folder")
    if allowed_signers is not None:
        try:
            if not allowed_signers.read_text(encoding="utf-8").strip():
                raise VerifyUsage(f"--allowed-signers {allowed_signers}: empty")
        except (OSError, UnicodeDecodeError) as exc:
            raise VerifyUsage(f"--allowed-signers {allowed_signers}: unreadable: {exc.strerror or exc}") from None
    try:
        results = [verify_one(folder, allowed_signers, identity, nested=False)]
        for sums in sorted(folder.rglob(f"*/{SUMS}")):
            results.append(verify_one(sums.parent, allowed_signers, identity, nested=True))
    except OSError as exc:
        raise VerifyUsage(f"{folder}: unreadable: {exc.strerror or exc}") from None
    return results


def run(folder: Path, allowed_signers: Path | None, identity: str | None) -> int:
    results = verify(folder, allowed_signers, identity)
    for r in results:
        name = "." if r.folder == folder else r.folder.relative_to(folder).as_posix()
        state = f"{len(r.problems)} problem(s)" if r.problems else f"{r.files} files match"
        print(f"{name}: {r.kind}: {state}{'; ' + r.signature if r.signature else ''}")
        for p in r.problems:
            print(f"  {(r.folder / p.path).relative_to(folder).as_posix()}: {p.text}")
    bad = sum(len(r.problems) for r in results)
    print(f"nestgate verify: {folder}: " + (f"NOT VERIFIED, {bad} problem(s)" if bad else "verified"))
    return 1 if bad else 0

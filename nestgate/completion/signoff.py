"""Role sign-off of a completion record: `nestgate signoff DIR --role ROLE --key KEY`, and the check
`nestgate deploy --require-signoff ROLES --allowed-signers FILE --signoff-record DIR` runs.

A sign-off is a statement (signoffs/<role>.json: role, signer, time, the SHA-256 of completion.json
and of each named bundle's SHA256SUMS) and its OpenSSH signature (`ssh-keygen -Y sign`, namespace
"nestgate-signoff"). It is valid when the signature verifies for the role as principal in the
allowed-signers file (a key line lists the roles it may sign for, e.g. `security-lead,alice@example.org
ssh-ed25519 ...`), the record still verifies and is complete, and nothing it names has changed.
"""

from __future__ import annotations

import datetime as dt
import getpass
import html
import json
from pathlib import Path
from typing import Any

from nestgate.completion.command import FORMAT, RECORD, SIGNOFFS
from nestgate.errors import NestgateError
from nestgate.gate.bundle import SUMS, BundleError, read_json, sha256_file, ssh_keygen_y, ssh_last_line
from nestgate.verify import verify

ROLES = {"deployment-lead": "Deployment Lead", "security-lead": "Security Lead",
         "operations-lead": "Operations Lead", "product-manager": "Product Manager"}
NAMESPACE = "nestgate-signoff"
STATEMENT_FORMAT = "nestgate-signoff/1"


def record_problems(folder: Path) -> list[str]:
    """Why the completion record at `folder` cannot be signed or relied on (empty: it can)."""
    if not (folder / RECORD).is_file():
        return [f"{folder}: not a completion record (no {RECORD}; nestgate complete writes one)"]
    try:
        if read_json(folder / "manifest.json").get("format") != FORMAT:
            return [f"{folder}: manifest.json is not a completion record's"]
        record = read_json(folder / RECORD)
    except (BundleError, AttributeError) as exc:
        return [f"{folder}: {exc}"]
    problems = [f"{r.folder}: {p.path}: {p.text}" for r in verify(folder) for p in r.problems]
    if not record.get("complete"):
        open_boxes = [b.get("line") for b in record.get("boxes", []) if not b.get("ok")]
        problems.append(f"the record is not complete: {len(open_boxes)} box(es) not proven, first: {open_boxes[:1]}")
    for bundle, digest in (record.get("evidence", {}).get("bundles") or {}).items():
        sums = Path(bundle) / SUMS
        if not sums.is_file() or sha256_file(sums) != digest:
            problems.append(f"{bundle}: changed or gone since the record was made (its {SUMS} differs)")
    return problems


def sign(folder: Path, role: str, key: Path, signer: str | None) -> Path:
    folder = folder.resolve()
    if role not in ROLES:
        raise NestgateError(f"--role {role!r}: one of {', '.join(ROLES)}")
    if not key.expanduser().is_file():
        raise NestgateError(f"--key {key}: not a file")
    problems = record_problems(folder)
    if problems:
        raise NestgateError(f"will not sign: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1
                                                               else ""))
    record = read_json(folder / RECORD)
    statement = {"format": STATEMENT_FORMAT, "role": role, "title": ROLES[role],
                 "signer": signer or getpass.getuser(),
                 "signed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                 "record": RECORD, "record_sha256": sha256_file(folder / RECORD),
                 "record_sums_sha256": sha256_file(folder / SUMS),
                 "bundles": record.get("evidence", {}).get("bundles", {})}
    out = folder / SIGNOFFS
    out.mkdir(exist_ok=True)
    path = out / f"{role}.json"
    path.write_text(json.dumps(statement, indent=2) + "\n", encoding="utf-8")
    Path(f"{path}.sig").unlink(missing_ok=True)  # ssh-keygen will not overwrite an older signature
    proc = ssh_keygen_y(["sign", "-f", str(key.expanduser()), "-n", NAMESPACE, str(path)])
    if proc.returncode != 0:
        path.unlink(missing_ok=True)
        raise NestgateError(f"cannot sign with {key}: {ssh_last_line(proc)}")
    write_index(folder)
    return path


def statements(folder: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted((folder / SIGNOFFS).glob("*.json")):
        try:
            out.append(read_json(path) | {"_file": path.name})
        except BundleError:
            continue
    return out


def write_index(folder: Path) -> None:
    """signoffs/index.html: who signed what and when (the record's own page cannot change after sealing)."""
    rows = "".join(
        f"<tr><td>{html.escape(str(s.get('title')))}</td><td>{html.escape(str(s.get('signer')))}</td>"
        f"<td>{html.escape(str(s.get('signed_at')))}</td><td><code>{html.escape(str(s.get('record_sha256')))}"
        f"</code> ({len(s.get('bundles') or {})} bundles)</td></tr>" for s in statements(folder))
    (folder / SIGNOFFS / "index.html").write_text(
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Deployment Sign-off</title></head>"
        f"<body><h1>Deployment Sign-off</h1><p>Completion record {html.escape(str(folder))}</p><table border=1>"
        f"<tr><th>Role</th><th>Signer</th><th>Date</th><th>Signed completion.json (SHA-256)</th></tr>{rows}"
        f"</table><p>Check: nestgate deploy --require-signoff ROLES --allowed-signers FILE --signoff-record "
        f"{html.escape(str(folder))}</p></body></html>\n", encoding="utf-8")


def signoff_problems(folder: Path, roles: list[str], allowed_signers: Path) -> list[str]:
    """Why the named roles have not validly signed the record (empty: each has)."""
    folder = folder.resolve()
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        return [f"unknown role(s) {', '.join(unknown)}: one of {', '.join(ROLES)}"]
    if not allowed_signers.is_file():
        return [f"--allowed-signers {allowed_signers}: not a file"]
    problems = record_problems(folder)
    for role in roles:
        path = folder / SIGNOFFS / f"{role}.json"
        if not path.is_file() or not Path(f"{path}.sig").is_file():
            problems.append(f"{ROLES[role]}: no sign-off (nestgate signoff {folder} --role {role} --key KEY)")
            continue
        proc = ssh_keygen_y(["verify", "-f", str(allowed_signers), "-I", role, "-n", NAMESPACE, "-s", f"{path}.sig"],
                           path.read_bytes())
        if proc.returncode != 0:
            why = ssh_last_line(proc)
            problems.append(f"{ROLES[role]}: signature not valid for {role} under {allowed_signers}: {why}")
            continue
        statement = read_json(path)
        if statement.get("role") != role or statement.get("record_sha256") != sha256_file(folder / RECORD):
            problems.append(f"{ROLES[role]}: signed another record (or another role's statement)")
    return problems

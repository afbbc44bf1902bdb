"""SHA256SUMS, the tree manifest and signatures on real files with the real sha256sum and ssh-keygen;
`nestgate verify`'s exit codes and lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nestgate.cli import main
from nestgate.gate.bundle import (
    SIGNATURE,
    SUMS,
    BundleError,
    check_sign_key,
    sign_sums,
    sums_problems,
    verify_tree_manifest,
    write_tree_manifest,
)
from nestgate.verify import KINDS, verify
from nestgate.watch.actions import CAPTURE_FORMAT
from nestgate.watch.incident import FORMAT as INCIDENT_FORMAT


def keypair(folder: Path, principal: str) -> tuple[Path, Path]:
    """A fresh ed25519 key and an allowed-signers file naming it for `principal`."""
    key = folder / f"{principal}.key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", str(key)], check=True)
    allowed = folder / f"{principal}.allowed"
    allowed.write_text(f"{principal} {key.with_suffix('.key.pub').read_text()}")
    return key, allowed


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    (folder / "logs").mkdir(parents=True)
    (folder / "summary.json").write_text('{"a": 1}\n')
    (folder / "logs" / "app.log").write_text("line one\n")
    write_tree_manifest(folder, "nestgate-incident/1", target="t")
    return folder


def sha256sum_c(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sha256sum", "-c", SUMS], cwd=folder, capture_output=True, text=True, check=False)


def test_the_tree_manifest_and_sha256sums_cover_every_file_and_sha256sum_accepts_them(tree):
    assert verify_tree_manifest(tree)["files"].keys() == {"summary.json", "logs/app.log"}
    listed = [line.split("  ", 1)[1] for line in (tree / SUMS).read_text().splitlines()]
    assert listed == ["logs/app.log", "manifest.json", "summary.json"]  # manifest.json too, not itself
    proc = sha256sum_c(tree)
    assert proc.returncode == 0 and proc.stdout.count(": OK") == 3, proc.stdout + proc.stderr
    assert sums_problems(tree) == []


def test_a_changed_missing_or_extra_file_is_named_one_line_each(tree):
    (tree / "logs" / "app.log").write_text("line one\nx\n")
    (tree / "summary.json").unlink()
    (tree / "logs" / "new.log").write_text("?")
    problems = [str(p) for p in sums_problems(tree)]
    assert problems[0].startswith("logs/app.log: SHA-256 ") and problems[0].endswith("...)")
    assert "does not match SHA256SUMS" in problems[0]
    assert problems[1:] == ["summary.json: missing (listed in SHA256SUMS)", "logs/new.log: extra: not in SHA256SUMS"]
    assert sha256sum_c(tree).returncode == 1
    with pytest.raises(BundleError, match=r"app.log: SHA-256 .* does not match the manifest"):
        verify_tree_manifest(tree)


def test_a_malformed_or_escaping_sums_line_is_a_problem_not_a_read_outside(tree):
    (tree / SUMS).write_text((tree / SUMS).read_text() + "nonsense\n" + "0" * 64 + "  ../../etc/passwd\n")
    assert [str(p) for p in sums_problems(tree)] == ["SHA256SUMS: line 4: not '<sha256>  <relative path>'",
                                                     "SHA256SUMS: line 5: not '<sha256>  <relative path>'"]


def test_verify_exit_codes_and_lines(tree, tmp_path, capsys):
    assert main(["verify", str(tree)]) == 0
    out = capsys.readouterr().out
    assert ".: incident bundle: 3 files match; unsigned" in out and out.endswith("verified\n")
    (tree / "summary.json").write_text("{}\n")
    assert main(["verify", str(tree)]) == 1
    out = capsys.readouterr().out
    assert out.count("summary.json: SHA-256") == 1  # SHA256SUMS and manifest.json agree: named once
    assert "NOT VERIFIED, 1 problem(s)" in out
    assert main(["verify", str(tmp_path / "nope")]) == 2
    assert main(["verify", str(tmp_path)]) == 2  # a folder that is no bundle
    assert main(["verify", str(tree), "--allowed-signers", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and "not a nestgate bundle" in err and "unreadable" in err
    assert "Traceback" not in err


def test_verify_knows_every_bundle_kind_by_the_format_its_writer_uses():
    assert KINDS[INCIDENT_FORMAT] == "incident bundle" and KINDS[CAPTURE_FORMAT] == "watch capture"


def test_signed_sums_verify_only_for_the_allowed_key_and_identity(tree, tmp_path):
    key, allowed = keypair(tmp_path, "ops@example.org")
    _, other = keypair(tmp_path, "mallory@example.org")
    [unsigned] = verify(tree, allowed)
    assert [str(p) for p in unsigned.problems] == [
        "SHA256SUMS.sig: missing: the bundle is not signed, but --allowed-signers asks for a signature"]
    sign_sums(tree, key)
    [result] = verify(tree)
    assert result.signature == "signature present, not checked (give --allowed-signers)" and not result.problems
    [result] = verify(tree, allowed)
    assert result.signature == "good signature by ops@example.org" and not result.problems
    [result] = verify(tree, other)
    assert [str(p) for p in result.problems] == [f"SHA256SUMS.sig: signed by a key not in {other}"]
    [result] = verify(tree, allowed, identity="someone@example.org")
    assert result.problems[0].text.startswith("does not verify SHA256SUMS as signed by someone@example.org")
    # the plain OpenSSH check an auditor runs
    proc = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "ops@example.org", "-n", "nestgate",
                           "-s", SIGNATURE], cwd=tree, stdin=(tree / SUMS).open("rb"), capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_rewriting_the_sums_drops_the_old_signature(tree, tmp_path):
    key, _ = keypair(tmp_path, "ops@example.org")
    write_tree_manifest(tree, "nestgate-incident/1", sign_key=key)
    assert (tree / SIGNATURE).is_file()
    write_tree_manifest(tree, "nestgate-incident/1")
    assert not (tree / SIGNATURE).exists()


def test_a_bad_sign_key_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(BundleError, match=r"sign key .*nope: not a file"):
        check_sign_key(tmp_path / "nope")
    (tmp_path / "garbage").write_text("not a key\n")
    with pytest.raises(BundleError, match=r"cannot sign .*SHA256SUMS with .*garbage: "):
        check_sign_key(tmp_path / "garbage")

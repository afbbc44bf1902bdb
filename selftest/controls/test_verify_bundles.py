"""`nestgate verify` and `sha256sum -c SHA256SUMS` on real bundles of every kind the fixture suite can
make without a stack (gate bundle, deploy folder, incident bundle, watch capture), signed with a real
ssh-keygen key; a changed byte fails naming the file; a flipped record with every hash recomputed
passes unsigned verification (hashes only catch accidents) and fails signed verification."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nestgate.config import load_config
from nestgate.gate.bundle import MANIFEST, SIGNATURE, SUMS, sha256_file, write_sums, write_tree_manifest
from nestgate.probes.engine import Engine
from nestgate.watch.actions import capture_logs
from nestgate.watch.history import Event
from selftest.fixture_suite import bundles, run_deploy, run_suite, write_suite
from selftest.unit.test_verify import keypair


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite")


@pytest.fixture
def signer(tmp_path: Path) -> tuple[Path, Path]:
    return keypair(tmp_path, "release@example.org")


def nestgate_verify(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nestgate.cli", "verify", str(folder), *args],
                          capture_output=True, text=True, timeout=120, check=False)


def assert_verifies(folder: Path, *args: str) -> str:
    proc = nestgate_verify(folder, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for sums in [folder / SUMS, *folder.rglob(f"*/{SUMS}")]:
        check = subprocess.run(["sha256sum", "-c", "--strict", SUMS], cwd=sums.parent, capture_output=True,
                               text=True, check=False)
        assert check.returncode == 0 and "FAILED" not in check.stdout, check.stdout + check.stderr
    return proc.stdout


def assert_changed_byte_is_named(folder: Path, victim: str) -> None:
    path = folder / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    proc = nestgate_verify(folder)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"  {victim}: SHA-256 " in proc.stdout and "NOT VERIFIED" in proc.stdout
    assert subprocess.run(["sha256sum", "-c", "--quiet", SUMS], cwd=folder, capture_output=True,
                          check=False).returncode == 1
    assert "Traceback" not in proc.stderr


def rehash_gate_bundle(bundle: Path) -> None:
    """What a forger does after editing evidence.json: recompute manifest.json and SHA256SUMS."""
    manifest = json.loads((bundle / MANIFEST).read_text())
    for name, entry in manifest["files"].items():
        entry.update(sha256=sha256_file(bundle / name), bytes=(bundle / name).stat().st_size)
    (bundle / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    keep_signature(bundle, write_sums)


def keep_signature(folder: Path, rewrite: Callable[[Path], object]) -> None:
    """The forger keeps the old SHA256SUMS.sig (nestgate's writer drops a signature it did not make)."""
    sig = folder / SIGNATURE
    old = sig.read_bytes() if sig.is_file() else None
    rewrite(folder)
    if old is not None:
        sig.write_bytes(old)


def flip_failed_to_passed(bundle: Path) -> None:
    evidence = json.loads((bundle / "evidence.json").read_text())
    flipped = [r for r in evidence["controls"] if r["outcome"] == "failed"]
    assert flipped, "the fixture run should have a failed record to flip"
    for record in flipped:
        record["outcome"], record["message"] = "passed", ""
    (bundle / "evidence.json").write_text(json.dumps(evidence, indent=2) + "\n")


def test_a_signed_gate_bundle_verifies_and_a_changed_byte_is_named(suite, signer):
    key, allowed = signer
    proc = run_suite(suite, ["-m", "security", f"--nestgate-sign-key={key}"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [bundle] = bundles(suite)
    assert "(manifest verified, signed)" in proc.stdout
    out = assert_verifies(bundle, "--allowed-signers", str(allowed))
    assert ".: gate bundle: 5 files match; good signature by release@example.org" in out
    assert "signature present, not checked" in assert_verifies(bundle)
    assert_changed_byte_is_named(bundle, "junit.xml")


def test_a_flipped_record_rehashed_passes_unsigned_and_fails_signed_verification(suite, signer):
    key, allowed = signer
    run_suite(suite, ["-m", "security", f"--nestgate-sign-key={key}"], mode="fail")
    [bundle] = bundles(suite)
    flip_failed_to_passed(bundle)
    rehash_gate_bundle(bundle)
    assert_verifies(bundle)  # unsigned hashes only catch accidents: a forger recomputes them
    proc = nestgate_verify(bundle, "--allowed-signers", str(allowed))
    assert proc.returncode == 1, proc.stdout
    assert "  SHA256SUMS.sig: does not verify SHA256SUMS as signed by release@example.org" in proc.stdout


def test_a_bad_sign_key_stops_the_gate_run_before_any_bundle(suite, tmp_path):
    (tmp_path / "bad.key").write_text("not a key\n")
    proc = run_suite(suite, ["-m", "security", f"--nestgate-sign-key={tmp_path / 'bad.key'}"])
    assert proc.returncode == 4 and "cannot sign" in proc.stderr, proc.stdout + proc.stderr
    assert not (suite / "reports").exists() or not bundles(suite)


def test_a_signed_deploy_folder_verifies_with_its_nested_bundles_and_the_tamper_fails(suite, signer):
    key, allowed = signer
    proc = run_deploy(["--suite", str(suite), "--gate", "security", "--post-gate", "INF-04", "--post-gate-deadline",
                       "0", "--sign-key", str(key), "--", "sh", "-c", "true"], cwd=suite, mode="fail")
    [folder] = (suite / "reports").glob("*-deploy-security")
    assert (folder / "deploy.json").is_file(), proc.stdout + proc.stderr
    out = assert_verifies(folder, "--allowed-signers", str(allowed))
    assert ".: deploy folder: " in out and "good signature by release@example.org" in out
    assert "gate: gate bundle: 5 files match; unsigned (covered by the outer signature)" in out
    # the gate refused (SEC-02 failed): flip it, rehash the gate bundle and the deploy folder
    flip_failed_to_passed(folder / "gate")
    rehash_gate_bundle(folder / "gate")
    keep_signature(folder, lambda f: write_tree_manifest(f, json.loads((f / MANIFEST).read_text())["format"]))
    assert_verifies(folder)
    proc = nestgate_verify(folder, "--allowed-signers", str(allowed))
    assert proc.returncode == 1 and "SHA256SUMS.sig: does not verify" in proc.stdout, proc.stdout


def test_a_bad_sign_key_is_a_deploy_usage_error(suite, tmp_path):
    proc = run_deploy(["--suite", str(suite), "--gate", "security", "--sign-key", str(tmp_path / "nope"),
                       "--", "true"], cwd=suite)
    assert proc.returncode == 2 and "sign key" in proc.stdout + proc.stderr
    assert not (suite / "reports").exists() or not list((suite / "reports").glob("*-deploy-*"))


def test_an_untouched_deploy_folder_verifies_and_a_changed_byte_is_named(suite):
    run_deploy(["--suite", str(suite), "--gate", "security", "--post-gate", "INF-04", "--post-gate-deadline", "0",
                "--", "sh", "-c", "true"], cwd=suite)
    [folder] = (suite / "reports").glob("*-deploy-security")
    assert "signature" not in assert_verifies(folder)
    assert_changed_byte_is_named(folder, "post-gate-1/evidence.json")


def test_an_incident_bundle_verifies_and_a_changed_byte_is_named(suite, tmp_path):
    run_suite(suite, ["-m", "security"])
    out = tmp_path / "incident"
    proc = subprocess.run([sys.executable, "-m", "nestgate.cli", "incident", "collect", "--target-config",
                           str(suite / "nestgate.toml"), "--reports", str(suite / "reports"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (out / SUMS).is_file(), proc.stdout + proc.stderr
    assert ".: incident bundle: " in assert_verifies(out)
    assert_changed_byte_is_named(out, "gate/evidence.json")


def test_a_watch_capture_verifies_and_a_changed_byte_is_named(suite):
    cfg = load_config(suite / "nestgate.toml")
    t = cfg.model.target
    record = capture_logs(Event(1, time.time(), 1, "service_down", "app", {}, []), cfg,
                          Engine(t.docker_host, t.call_timeout_s, t.stack, t.orchestrator))
    folder = Path(record["path"])
    assert ".: watch capture: 4 files match" in assert_verifies(folder)
    assert_changed_byte_is_named(folder, "event.json")

"""`nestgate complete`, `nestgate signoff` and `nestgate deploy --require-signoff`, end to end on the
fixture suite (real pytest, the real plugin, real bundles and deploy folders; the controls are
stubs): every box proven when every piece of evidence is there; each piece taken away turns
exactly its box ✗; a deploy requiring two roles refuses with one signature and proceeds with two;
the canary secret appears in no output. The watch history is a real History file written here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nestgate.gate.bundle import verify_tree_manifest
from nestgate.watch.actions import ANNOUNCED_KEY
from nestgate.watch.history import History, Sample
from nestgate.watch.triggers import BASELINE_KEY
from selftest.fixture_suite import run_deploy
from selftest.stub_controls import stub_tests

CANARY = "canary-completion-5b9e1f7d2c"
REFUSED = 10
INF06 = '''\
import pytest

from nestgate.gate.params import each_service

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-06", service=each_service)
def test_service_running(service, evidence):
    evidence.source(f"stub of INF-06 for {service}")
    evidence.measure(replicas=1)
'''
WATCH = '''
[watch]
history = "history.sqlite"
evidence_dir = "watch"
endpoints = ["/health"]

[watch.actions]
notify_command = ["true"]
rollback_command = ["true"]
'''
CONFIG = '''\
[target]
name = "fixture"
stack = "fixture-stack"
project_dir = "."
compose_files = ["compose.yml"]
base_url = "http://127.0.0.1:9"
services = ["app"]
call_timeout_s = 5
''' + WATCH


def write_suite(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "nestgate.toml").write_text(CONFIG)
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (root / "compose.yml").write_text("services:\n  app:\n    image: busybox\n")
    for gate in ("security", "build", "performance", "infra"):
        (root / f"tests_{gate}").mkdir()
        stubs = stub_tests(gate, without=(("INF-06", "runtime"),))  # INF-06's runtime side: per service, below
        (root / f"tests_{gate}" / f"test_{gate}_stubs.py").write_text(stubs)
    (root / "tests_infra" / "test_inf06_stub.py").write_text(INF06)
    return root


def write_history(root: Path, after: float, announced: bool = True, baseline: bool = True) -> Path:
    path = root / "history.sqlite"
    path.unlink(missing_ok=True)
    h = History(path)
    try:
        for i in range(3):
            h.add_samples(after + 10 + i, [Sample("http.ok", "/health", 1.0),
                                           Sample("http.response_s", "/health", 0.01)])
        if baseline:
            h.set_meta(BASELINE_KEY, {"/health": {"median_s": 0.01}})
        h.set_meta(ANNOUNCED_KEY, [{"action": "notify-command", "to": "true", "ok": announced, "message": "exit 0"}])
    finally:
        h.close()
    return path


def complete(root: Path, *folders: Path, out: Path) -> tuple[int, str, dict]:
    proc = subprocess.run([sys.executable, "-m", "nestgate.cli", "complete", *map(str, folders),
                           f"--target-config={root / 'nestgate.toml'}", f"--out={out}"],
                          capture_output=True, text=True, timeout=120, env=_env())
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    record = json.loads((out / "completion.json").read_text()) if (out / "completion.json").is_file() else {}
    return proc.returncode, proc.stdout + proc.stderr, record


def _env() -> dict[str, str]:
    return {**os.environ, "NG_COMPLETION_TOKEN": CANARY}  # a secret-named variable: its value is redacted


def not_proven(record: dict) -> set[str]:
    return {b["box"] for b in record["boxes"] if not b["ok"]}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> tuple[Path, Path]:
    root = write_suite(tmp_path_factory.mktemp("completion") / "suite")
    notes = root / "notes.md"
    notes.write_text(f"Release 2.4: new login flow. Token used for the smoke test: {CANARY}\n")
    proc = run_deploy(["--suite", str(root), "--gate", "security", "--gate", "build", "--gate", "performance",
                       "--gate", "infra", "--post-gate", "INF-04", "--post-gate-deadline", "0", "--notes", str(notes),
                       "--", "sh", "-c", "true"], cwd=root, env={"NG_COMPLETION_TOKEN": CANARY})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [folder] = root.glob("reports/*-deploy-*")
    record = json.loads((folder / "deploy.json").read_text())
    write_history(root, dt.datetime.fromisoformat(record["finished"]).timestamp())
    return root, folder


def test_every_box_is_proven_by_the_evidence_and_says_which(deployed, tmp_path):
    root, folder = deployed
    code, out, record = complete(root, folder, out=tmp_path / "record")
    assert code == 0 and record["complete"], out
    assert not_proven(record) == set() and len(record["boxes"]) == 12
    proofs = {b["box"]: b["proof"] for b in record["boxes"]}
    assert "SEC-03 passed" in proofs["authentication"] and str(folder) in proofs["authentication"]
    assert proofs["services"].startswith("INF-06 passed") and "(1/1)" in record["boxes"][0]["line"]
    assert "notes.md" in proofs["notes"] and "notify-command" in proofs["support"]
    verify_tree_manifest(tmp_path / "record")
    page = (tmp_path / "record" / "completion.html").read_text()
    assert "Final Validation: COMPLETE (12/12" in page
    for path in [*(tmp_path / "record").rglob("*"), *folder.rglob("*")]:
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    assert CANARY not in out


@pytest.mark.parametrize(("take_away", "box"), [
    ("notes", "notes"), ("announcement", "support"), ("baseline", "baseline"), ("routes", "monitoring"),
    ("level3", "incident-response"), ("history", None),
])
def test_each_piece_of_evidence_taken_away_turns_exactly_its_box(deployed, tmp_path, take_away, box):
    root, folder = deployed
    copy = tmp_path / "suite"
    shutil.copytree(root, copy)
    deploy = copy / folder.relative_to(root)
    finished = json.loads((deploy / "deploy.json").read_text())["finished"]
    after = dt.datetime.fromisoformat(finished).timestamp()
    config = copy / "nestgate.toml"
    if take_away == "notes":  # a deploy folder without notes: re-sealed, so it still verifies
        (deploy / "notes.md").unlink()
        data = json.loads((deploy / "deploy.json").read_text()) | {"notes": None}
        (deploy / "deploy.json").write_text(json.dumps(data))
        from nestgate.gate.bundle import write_tree_manifest

        write_tree_manifest(deploy, "nestgate-deploy/1")
    elif take_away == "announcement":
        write_history(copy, after, announced=False)
    elif take_away == "baseline":
        write_history(copy, after, baseline=False)
    elif take_away == "routes":
        config.write_text(config.read_text().replace('notify_command = ["true"]\n', ""))
    elif take_away == "level3":
        config.write_text(config.read_text().replace('rollback_command = ["true"]\n', ""))
    elif take_away == "history":
        (copy / "history.sqlite").unlink()
    code, out, record = complete(copy, deploy, out=tmp_path / "record")
    assert code == 1, out
    if box is None:  # no watch history: every box the watch proves
        assert not_proven(record) == {"security-monitoring", "monitoring", "support", "baseline", "incident-response"}
    else:
        assert not_proven(record) == {box}, record["boxes"]


def test_a_tampered_bundle_is_refused_as_evidence(deployed, tmp_path):
    root, folder = deployed
    copy = tmp_path / "suite"
    shutil.copytree(root, copy)
    deploy = copy / folder.relative_to(root)
    evidence = deploy / "gate" / "evidence.json"
    evidence.write_text(evidence.read_text().replace('"failed"', '"passed"') + " ")
    code, out, record = complete(copy, deploy, out=tmp_path / "record")
    assert code == 1 and "does not verify" in out and record["evidence"]["refused"]
    assert "authentication" in not_proven(record)


def _key(tmp_path: Path, name: str) -> tuple[Path, str]:
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True, timeout=60)
    return key, (tmp_path / f"{name}.pub").read_text().strip()


def test_a_deploy_requiring_two_roles_refuses_with_one_signature_and_proceeds_with_two(deployed, tmp_path):
    root, folder = deployed
    code, _, _ = complete(root, folder, out=tmp_path / "record")
    assert code == 0
    record = tmp_path / "record"
    sec, sec_pub = _key(tmp_path, "sec")
    ops, ops_pub = _key(tmp_path, "ops")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'security-lead,alice@example.org namespaces="nestgate-signoff" {sec_pub}\n'
                       f'operations-lead namespaces="nestgate-signoff" {ops_pub}\n')

    def signoff(role: str, key: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "nestgate.cli", "signoff", str(record), "--role", role,
                               "--key", str(key), "--signer", role.split("-")[0]], capture_output=True, text=True,
                              timeout=60)

    def deploy() -> subprocess.CompletedProcess[str]:
        return run_deploy(["--suite", str(root), "--gate", "security", "--post-gate", "security",
                           "--post-gate-deadline", "0", "--require-signoff", "security-lead,operations-lead",
                           "--allowed-signers", str(allowed), "--signoff-record", str(record), "--",
                           "sh", "-c", "touch deployed"], cwd=root)

    assert signoff("security-lead", sec).returncode == 0
    assert signoff("operations-lead", sec).returncode == 0  # signed, but with a key not listed for the role
    refused = deploy()
    assert refused.returncode == REFUSED, refused.stdout
    assert "Operations Lead: signature not valid for operations-lead" in refused.stdout
    assert not (root / "deployed").exists()
    assert signoff("operations-lead", ops).returncode == 0
    proceeded = deploy()
    assert proceeded.returncode == 0, proceeded.stdout
    assert "sign-off: security-lead, operations-lead signed" in proceeded.stdout and (root / "deployed").exists()
    assert verify_tree_manifest(record)["complete"] is True  # the record still verifies with its sign-offs in it
    page = (record / "signoffs" / "index.html").read_text()
    assert "Security Lead" in page and "Operations Lead" in page
    (record / "completion.json").write_text((record / "completion.json").read_text() + " ")
    changed = deploy()  # the record changed after it was signed
    assert changed.returncode == REFUSED and "completion.json" in changed.stdout

"""A GO is bound to what gets deployed (issue 21), on the reference engine and swarm with real
`docker stack deploy`: a scratch stack of one service (a reference-stack image) is gated with INF-01
and deployed. Each seeded case changes what would be deployed between the gate and the deploy (a
conftest hook in a copy of the suite acts when the gate finishes), names another file, or leaves a
service on an ungated image: the deploy command never runs, or the post-deploy check fails and the
rollback runs."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from nestgate.gate.bundle import verify_bundle
from selftest.conftest import derive_config
from selftest.fixture_suite import run_deploy
from selftest.gaterun import ROOT

STACK = "ngbind"
TAG = "nestgate-bind/probe:1"
OTHER = "nestgate-bind/other:1"
SECRET = "ngbind_token_v1"
DEPLOYED, REFUSED, ROLLED_BACK = 0, 10, 12


def _testbed_image(name: str) -> str:
    images = docker.from_env().images.list(name=f"nestgate-testbed/{name}")
    assert images, f"no nestgate-testbed/{name} image: the testbed builds it"
    return images[0].tags[0]


@pytest.fixture
def scratch(testbed, default_config, tmp_path) -> Iterator[dict]:
    """A one-service stack file on a reference-stack image, its config, a secret; removed after."""
    client = docker.from_env()
    base = _testbed_image("base")
    client.images.get(base).tag(TAG)
    # another image that runs the same command: what a retag or an ungated deploy would swap in
    client.images.build(fileobj=io.BytesIO(f"FROM {base}\nLABEL nestgate.bind=other\n".encode()), tag=OTHER,
                        rm=True)
    client.secrets.create(name=SECRET, data=b"bound")
    compose = tmp_path / "bind.yml"
    compose.write_text(
        f"services:\n  probe:\n    image: {TAG}\n    command: [\"sleep\", \"3600\"]\n"
        f"    secrets: [{SECRET}]\n    deploy:\n      replicas: 1\n"
        f"secrets:\n  {SECRET}:\n    external: true\n")
    config = derive_config(default_config, tmp_path, target={
        "stack": STACK, "project_dir": str(tmp_path), "compose_files": ["bind.yml"], "docker_host": ""})
    try:
        yield {"compose": compose, "config": config, "other": OTHER, "base": base}
    finally:
        subprocess.run(["docker", "stack", "rm", STACK], capture_output=True, check=False)
        label = {"label": f"com.docker.stack.namespace={STACK}"}
        for _ in range(60):  # stack rm returns before its network is gone; the next test would race it
            if not client.networks.list(filters=label) and not client.containers.list(all=True, filters=label):
                break
            time.sleep(0.5)
        for _ in range(30):  # the stack's tasks release the secret before it can go
            try:
                client.secrets.get(SECRET).remove()
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError:
                time.sleep(1)
        client.images.remove(TAG, noprune=True)
        client.images.remove(OTHER)


def _suite_with_hook(tmp_path: Path, hook: str) -> Path:
    """A copy of the gate suite (the real tests_infra) whose conftest runs `hook` when the gate ends."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "tests_infra").symlink_to(ROOT / "tests_infra")
    (suite / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers -p no:cacheprovider\n")
    (suite / "conftest.py").write_text(
        "import subprocess\nfrom pathlib import Path\n\n\n"
        "def pytest_sessionfinish(session):\n"
        "    # what an operator or a pipeline might do while the gate ran\n"
        f"    {hook}\n")
    return suite


def _deploy(scratch: dict, tmp_path: Path, command: list[str], *extra: str, suite: Path = ROOT,
            opaque: bool = False):
    proc = run_deploy(["--suite", str(suite), "--reports", str(tmp_path / "reports"),
                       f"--target-config={scratch['config']}", "--gate", "infra", "--control", "INF-01",
                       "--post-gate", "INF-01", "--post-gate-deadline", "60", "--post-gate-interval", "2",
                       *extra, "--", *command], timeout_s=600, cwd=tmp_path, opaque=opaque)
    folders = list((tmp_path / "reports").glob("*-deploy-infra"))
    record = json.loads((folders[0] / "deploy.json").read_text()) if folders else {}
    return proc, proc.stdout + proc.stderr, folders[0] if folders else None, record


def _stack_deploy(scratch: dict, compose: Path | None = None) -> list[str]:
    return ["docker", "stack", "deploy", "--resolve-image", "never", "--detach=true", "-c",
            str(compose or scratch["compose"]), STACK]


def _deployed() -> bool:
    return bool(docker.from_env().services.list(filters={"label": f"com.docker.stack.namespace={STACK}"}))


def test_a_clean_bound_deploy_deploys_and_records_its_manifest(scratch, tmp_path):
    proc, out, folder, record = _deploy(scratch, tmp_path, _stack_deploy(scratch))
    assert proc.returncode == DEPLOYED, out[-4000:]
    manifest = record["deploy_manifest"]
    assert manifest["compose_files"] == {str(scratch["compose"]): manifest["compose_files"][str(scratch["compose"])]}
    assert manifest["images"][TAG]["services"] == ["probe"]
    assert manifest["images"][TAG]["id"] == docker.from_env().images.get(scratch["base"]).id
    assert manifest["secrets"][SECRET] and record["opaque_command"] is False
    # the gate's own bundle names the deployment it judged
    judged = verify_bundle(folder / "gate")["target"]["deploy_manifest_sha256"]
    assert judged == record["deploy_manifest_sha256"]
    assert json.loads((folder / "deploy-manifest.json").read_text()) == manifest


def test_a_command_naming_another_file_is_refused_before_the_gate(scratch, tmp_path):
    other = tmp_path / "other.yml"
    other.write_text(scratch["compose"].read_text())
    proc, out, _, record = _deploy(scratch, tmp_path, _stack_deploy(scratch, other))
    assert proc.returncode == REFUSED, out[-3000:]
    assert f"docker stack deploy deploys {other}; the gate judged {scratch['compose']}" in out
    assert [s["name"] for s in record["steps"]] == [] and not _deployed()


def test_a_command_nestgate_cannot_read_is_refused_unless_opaque(scratch, tmp_path):
    proc, out, _, _ = _deploy(scratch, tmp_path, ["sh", "-c", shlex.join(_stack_deploy(scratch))])
    assert proc.returncode == REFUSED and not _deployed(), out[-3000:]
    assert "deploy command cannot be checked: sh is neither docker nor docker-compose" in out


@pytest.mark.parametrize(("hook", "says"), [
    ("Path({compose!r}).write_text(Path({compose!r}).read_text() + '# edited while the gate ran\\n')",
     "compose file {compose}: "),
    ("subprocess.run(['docker', 'tag', {other!r}, {tag!r}], check=True)", "image {tag}: sha256:"),
    ("subprocess.run(['docker', 'secret', 'rm', {secret!r}], check=True); "
     "subprocess.run(['docker', 'secret', 'create', {secret!r}, '-'], input=b'swapped', check=True)",
     "secret {secret}: "),
], ids=["compose-file-edited", "image-retagged", "secret-replaced"])
def test_a_change_between_gate_and_deploy_refuses_naming_it(scratch, tmp_path, hook, says):
    names = {"compose": str(scratch["compose"]), "other": scratch["other"], "tag": TAG, "secret": SECRET}
    suite = _suite_with_hook(tmp_path, hook.format(**names))
    proc, out, _folder, record = _deploy(scratch, tmp_path, _stack_deploy(scratch), suite=suite)
    assert proc.returncode == REFUSED, out[-4000:]
    assert "gate: PASSED" in out and not _deployed()
    assert [s["name"] for s in record["steps"]] == ["gate"]
    expected = says.format(**names)
    assert any(p.startswith(expected) and p.endswith(" now") for p in record["binding_problems"]), (
        expected, record["binding_problems"])
    assert f"not the deploy that was gated: {expected}" in out


def test_a_service_left_on_an_ungated_image_fails_the_post_gate_and_rolls_back(scratch, tmp_path):
    service = f"{STACK}_probe"
    deploy = (f"{shlex.join(_stack_deploy(scratch))} && docker service update --detach=false --quiet "
              f"--image {scratch['other']} {service}")
    rollback = f"docker service update --detach=false --quiet --image {TAG} {service}"
    proc, out, _folder, record = _deploy(scratch, tmp_path, ["sh", "-c", deploy], "--rollback", rollback,
                                        opaque=True)
    assert proc.returncode == ROLLED_BACK, out[-4000:]
    assert record["opaque_command"] is True
    post = next(s for s in record["steps"] if s["name"].startswith("post-gate-"))
    assert any(p.startswith("service probe: task ") and f"the gate judged {TAG} = sha256:" in p
               for p in post["problems"]), post["problems"]
    assert "rollback" in [s["name"] for s in record["steps"]]

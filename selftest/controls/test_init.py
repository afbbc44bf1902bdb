"""`nestgate init` on real checkouts with the real Compose CLI: the MediaNest-shaped fixtures under
selftest/data/checkouts/ (see its README.md) and the reference stack's own project folder, whose
config, with only what init cannot know filled in, must be GO on the clean stack."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

from nestgate.cli import main
from nestgate.config.load import load_config
from nestgate.init.cli import write_config
from nestgate.init.discovery import InitError
from selftest.gaterun import ROOT, run_gates

CHECKOUTS = ROOT / "selftest" / "data" / "checkouts"
MEDIANEST = CHECKOUTS / "medianest"


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _init(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["init", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def medianest(tmp_path_factory) -> tuple[dict, list[str], Path]:
    """init on the full fixture, once: the written config (as TOML), the printed guesses, its path."""
    out = tmp_path_factory.mktemp("init") / "nestgate.toml"
    before = _tree_hash(MEDIANEST)
    lines = write_config(MEDIANEST, out)
    assert _tree_hash(MEDIANEST) == before, "init wrote into the checkout"
    return tomllib.loads(out.read_text()), lines, out


def test_output_loads_strictly_and_points_at_the_checkout(medianest):
    _, _, out = medianest
    loaded = load_config(out)
    assert loaded.project_dir == MEDIANEST.resolve()
    assert [p.name for p in loaded.compose_paths] == ["docker-compose.hardened.yml"]
    assert all(p.is_file() for p in loaded.compose_paths)


def test_every_service_listed_profiled_ones_with_their_profiles(medianest):
    data, lines, _ = medianest
    assert data["target"]["services"] == ["app", "nginx", "postgres", "redis"]
    assert data["target"]["compose_profiles"] == "all"  # every profiled service is in the model
    [profiles] = [ln for ln in lines if ln.startswith("target.compose_profiles")]
    for shown in ("backup [backup]", "frontend [full]", "prometheus [monitoring]", "trivy [security-scan]"):
        assert shown in profiles


def test_data_and_edge_services(medianest):
    data, _, _ = medianest
    assert data["target"]["data_services"] == ["postgres", "redis"]
    assert data["target"]["edge_services"] == ["nginx"]
    assert data["security"]["isolation"]["data_ports"] == {"postgres": [5432], "redis": [6379]}
    assert (data["infra"]["database"]["service"], data["infra"]["redis"]["service"]) == ("postgres", "redis")


def test_swarm_file_chosen_compose_only_file_told_apart(medianest):
    data, lines, _ = medianest
    assert data["target"]["orchestrator"] == "swarm"
    assert data["target"]["compose_files"] == ["docker-compose.hardened.yml"]
    [why] = [ln for ln in lines if ln.startswith("target.compose_files")]
    assert "for swarm (external secrets" in why and "named by deploy-secure.sh" in why
    assert "stack deploy cannot serve app: build without image" in why
    [note] = [ln for ln in lines if ln.startswith("note: also found docker-compose.yml: for compose (")]
    assert "app: container_name" in note and note.endswith("), not gated"), note


def test_found_files_and_what_init_cannot_know(medianest):
    data, lines, out = medianest
    assert data["security"]["scan"]["reports"] == [{"path": "security-reports/trivy-app.json", "format": "trivy"}]
    assert (data["security"]["secrets"]["prefix"], data["security"]["secrets"]["expected_count"]) == ("medianest", 4)
    assert data["infra"]["env"] == {"services": ["app"], "env_example": ".env.example"}
    assert "note: app is built from Dockerfile (target backend-production): HEALTHCHECK in stage " \
           "backend-production, line 17" in lines
    assert "note: frontend is built from frontend/Dockerfile: no HEALTHCHECK in stage 0" in lines
    todo = sorted(ln.split(" = ")[0] for ln in lines if ln.startswith("TODO "))
    assert todo == ["TODO infra.database.password", "TODO infra.redis.password", "TODO infra.rollback.drill_reports",
                    "TODO security.auth.token", "TODO target.base_url", "TODO target.stack"]
    assert load_config(out).model.target.base_url.endswith(".invalid")  # never resolves: fails closed if left


def test_compose_only_checkout(tmp_path, capsys):
    code, out, _ = _init(capsys, str(CHECKOUTS / "medianest-compose"), "--out", str(tmp_path / "c.toml"))
    assert code == 0
    target = load_config(tmp_path / "c.toml").model.target
    assert (target.orchestrator, target.compose_files) == ("compose", ["docker-compose.yml"])
    # postgres and redis publish host ports here: still data services, never edge ones (SEC-05 fails them).
    assert (target.data_services, target.edge_services) == (["postgres", "redis"], ["adminer", "app", "frontend"])
    assert "note: data service postgres publishes 5432: not made an edge service, so SEC-05 fails on it" in out


def test_rejected_file_is_named_and_the_config_still_loads(tmp_path, capsys):
    code, out, _ = _init(capsys, str(CHECKOUTS / "medianest-rejected"), "--out", str(tmp_path / "r.toml"))
    assert code == 0
    assert load_config(tmp_path / "r.toml").model.target.compose_files == ["docker-compose.hardened.yml"]
    assert "REJECTED by Compose (validating " in out and "healthcheck_interval" in out
    assert "BLD-06 fails until it is fixed" in out


def test_refuses_to_overwrite_then_force_replaces(tmp_path, capsys):
    out = tmp_path / "nestgate.toml"
    out.write_text("# mine\n")
    code, printed, err = _init(capsys, str(MEDIANEST), "--out", str(out))
    assert code != 0 and printed == ""
    assert err.strip() == f"nestgate: {out} exists: not overwritten (pass --force to replace it)"
    assert out.read_text() == "# mine\n"
    code, printed, err = _init(capsys, str(MEDIANEST), "--out", str(out), "--force")
    assert code == 0 and "target.compose_files = ['docker-compose.hardened.yml']" in printed
    assert f"wrote {out}" in err
    assert load_config(out).model.target.services == ["app", "nginx", "postgres", "redis"]


def test_default_out_is_beside_the_caller_with_a_relative_project_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _init(capsys, str(MEDIANEST))[0] == 0
    written = tomllib.loads((tmp_path / "nestgate.toml").read_text())
    assert not Path(written["target"]["project_dir"]).is_absolute()
    assert load_config(tmp_path / "nestgate.toml").project_dir == MEDIANEST.resolve()


@pytest.mark.parametrize(("make", "says"), [
    (lambda p: p / "missing", "not a directory"),
    (lambda p: p, "no compose file found"),
])
def test_bad_checkout_is_one_line(tmp_path, capsys, make, says):
    code, printed, err = _init(capsys, str(make(tmp_path)), "--out", str(tmp_path / "x.toml"))
    assert code == 2 and printed == "" and says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.toml").exists()
    with pytest.raises(InitError):
        write_config(make(tmp_path), tmp_path / "y.toml")


def test_init_on_the_reference_stack_is_go_with_only_what_init_cannot_know(testbed, tmp_path):
    """The issue's "Done when": init on the testbed's project folder, then only the TODO lines filled
    in from the testbed's own generated config, and every gate is GO on the clean stack."""
    out = tmp_path / "nestgate.toml"
    lines = write_config(testbed.project_dir, out)
    data = tomllib.loads(out.read_text())
    mine = tomllib.loads(testbed.config_path.read_text())
    # What init guessed from the files matches what the testbed knows about itself.
    for key in ("stack", "orchestrator", "compose_files", "data_services", "edge_services"):
        assert data["target"][key] == mine["target"][key], key
    assert sorted(data["target"]["services"]) == sorted(mine["target"]["services"])
    assert data["security"]["secrets"]["prefix"] == mine["security"]["secrets"]["prefix"]
    assert data["security"]["secrets"]["expected_count"] == mine["security"]["secrets"]["expected_count"]
    todo = {ln.split(" = ")[0].removeprefix("TODO ") for ln in lines if ln.startswith("TODO ")}
    assert todo == {"target.base_url", "target.stack", "security.auth.token", "security.scan.reports",
                    "infra.database.password", "infra.redis.password", "infra.rollback.drill_reports"}

    def held(ref: dict) -> dict:  # the testbed's credential files, relative to its own config
        return {"file": str(testbed.state_dir / ref["file"])} if "file" in ref else ref

    data["target"]["base_url"] = mine["target"]["base_url"]
    auth = mine["security"]["auth"]["mint"]
    data["security"]["auth"] = {"mint": {**auth, "secret": held(auth["secret"])}}
    data["infra"]["database"]["password"] = held(mine["infra"]["database"]["password"])
    data["infra"]["redis"]["password"] = held(mine["infra"]["redis"]["password"])
    # Not in the checkout on the testbed (it keeps them in its state folder): where they are is told.
    data["security"]["scan"]["reports"] = [{**r, "path": str(testbed.state_dir / r["path"])}
                                           for r in mine["security"]["scan"]["reports"]]
    rollback = mine["infra"]["rollback"]
    data["infra"]["rollback"] = {**rollback, "drill_record": str(testbed.state_dir / rollback["drill_record"])}
    import tomli_w

    out.write_text(tomli_w.dumps(data))
    load_config(out)
    run = run_gates([], out, timeout_s=900)
    for gate in ("security", "build", "performance", "infra"):
        run.assert_go(gate)

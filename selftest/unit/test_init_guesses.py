"""`nestgate init`'s pure guesses, plan and writer: no files, no Compose (those are in
selftest/controls/test_init.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from nestgate.config.load import load_config
from nestgate.init.discovery import Checkout, ComposeFile
from nestgate.init.guesses import (
    TODO_BASE_URL,
    classify,
    dockerfile_health,
    dockerfile_path,
    kind_of,
    pick,
    published,
    report_format,
    secret_prefix,
)
from nestgate.init.plan import build_plan
from nestgate.init.writer import render
from selftest.unit.test_layering import PACKAGE, ROOT, io_calls, runtime_imports

SWARM = {"services": {"app": {"image": "a", "deploy": {"replicas": 2}}}}
COMPOSE = {"services": {"app": {"build": ".", "container_name": "x",
                               "depends_on": {"db": {"condition": "service_healthy"}}}}}


@pytest.mark.parametrize("module", ["guesses", "plan", "writer"])
def test_guess_plan_and_writer_do_no_io(module):
    """Only discovery reads the checkout and runs Compose; the rest is judgement and text."""
    path = PACKAGE / "init" / f"{module}.py"
    io = [i.module for i in runtime_imports(path) if i.module.split(".")[0] in {"os", "subprocess", "shutil", "yaml",
                                                                                  "docker", "io", "glob"}]
    assert not io and not io_calls(path), (io, io_calls(path))
    assert not any(i.module.startswith(("nestgate.probes.compose", "nestgate.init.discovery"))
                   for i in runtime_imports(path)), path.relative_to(ROOT)


def test_classify_tells_swarm_compose_and_either_apart():
    assert classify(SWARM) == ("swarm", ["app: deploy.replicas"])
    kind, why = classify(COMPOSE)
    assert kind == "compose"
    # BLD-06's table order: what `docker stack deploy` refuses or drops
    assert sorted(why) == ["app: build without image", "app: container_name", "app: depends_on condition"]
    assert classify({"services": {"web": {"image": "nginx"}}})[0] == "either"
    # External secrets and overlay networks are swarm; a build with no image is named as what swarm cannot serve.
    kind, why = classify({"secrets": {"s": {"external": True}}, "networks": {"n": {"driver": "overlay"}},
                          "services": {"app": {"build": "."}}})
    assert (kind, why) == ("swarm", ["external secrets", "overlay networks", "stack deploy cannot serve app: build "
                                                                             "without image"])
    # depends_on as a list is fine for both.
    assert classify({"services": {"a": {"image": "x", "depends_on": ["b"]}}})[0] == "either"


@pytest.mark.parametrize(("name", "image", "kind"), [
    ("postgres", "postgres:16-alpine", "postgres"), ("db", "bitnami/postgresql:16", "postgresql"),
    ("cache", "redis:7-alpine", "redis"), ("medianest-redis", None, "redis"), ("store", "mongo:7", "mongo"),
    ("sql", "mariadb:11", "mariadb"), ("x", "nestgate-testbed/postgres:5713dbc2", "postgres"),
    ("app", "node:20", ""), ("nginx", "nginx:1.25-alpine", ""), ("backup", "alpine:3.19", ""),
    ("prometheus", "prom/prometheus:v2.48.0", ""), ("adminer", "adminer:4", ""), ("redisinsight", None, ""),
])
def test_data_kind_by_image_or_name(name, image, kind):
    assert kind_of(name, image) == kind


def test_published_ports_in_both_syntaxes():
    svc = {"ports": ["80:80", "127.0.0.1:8443:443/tcp", "9000", {"target": 5432, "published": "15432"},
                     {"target": 6379}]}
    assert published(svc) == ["80", "8443", "15432"]
    assert published({"expose": ["9090"]}) == []


@pytest.mark.parametrize(("data", "fmt"), [
    ({"SchemaVersion": 2, "ArtifactName": "img", "Results": []}, "trivy"),
    ({"matches": [], "descriptor": {"timestamp": "x"}}, "grype"),
    ({"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}, "sarif"),
    ({"hello": 1}, ""), ([1, 2], ""), (None, ""),
])
def test_report_format_by_content(data, fmt):
    assert report_format(data) == fmt


def test_secret_prefix_is_the_most_common_one():
    resolved = {"secrets": {"a": {"name": "h5_jwt_secret_v2", "external": True},
                            "b": {"name": "h5_redis_password_v2", "external": True},
                            "c": {"name": "other_x", "external": True}, "d": {"file": "./local"}}}
    assert secret_prefix(resolved) == ("h5", 2, ["h5_jwt_secret_v2", "h5_redis_password_v2", "other_x"])
    assert secret_prefix({}) == ("", 0, [])


def test_pick_prefers_accepted_swarm_files_named_by_a_deploy_script():
    hardened = ComposeFile("docker-compose.hardened.yml", SWARM, SWARM)
    dev = ComposeFile("docker-compose.yml", COMPOSE, COMPOSE)
    broken = ComposeFile("docker-compose.prod.yml", SWARM, None, "services.x: bad")
    chosen, why = pick([dev, broken, hardened], {"deploy-secure.sh": "docker compose -f docker-compose.hardened.yml"})
    assert chosen is hardened
    assert why == "for swarm (app: deploy.replicas); named by deploy-secure.sh; chosen over 2 other file(s)"
    chosen, why = pick([broken], {})
    assert chosen is broken and "REJECTED by Compose (services.x: bad)" in why
    # A deploy script's mention outweighs a name hint between two swarm files.
    stack = ComposeFile("stack.yml", SWARM, SWARM)
    assert pick([hardened, stack], {"scripts/deploy.sh": "docker stack deploy -c stack.yml m"})[0] is stack


def test_dockerfile_path_from_resolved_and_written_builds():
    root = "/src/medianest"
    assert dockerfile_path({"context": "/src/medianest", "dockerfile": "Dockerfile"}, root) == "Dockerfile"
    assert dockerfile_path({"context": "/src/medianest/frontend"}, root) == "frontend/Dockerfile"
    assert dockerfile_path("./backend", root) == "backend/Dockerfile"
    assert dockerfile_path({"context": ".", "dockerfile": "docker/app.Dockerfile"}, root) == "docker/app.Dockerfile"
    assert dockerfile_path({"context": "/elsewhere"}, root) == "/elsewhere/Dockerfile"


def test_dockerfile_health_reads_the_target_stage():
    text = ("FROM node:20 AS prod\nHEALTHCHECK --interval=30s CMD true\n"
            "FROM node:20 AS other\nCMD [\"x\"]\n")
    assert dockerfile_health(text, "prod") == "HEALTHCHECK in stage prod, line 2"
    assert dockerfile_health(text, None) == "no HEALTHCHECK in stage other"
    assert dockerfile_health(text, "missing") == "target stage 'missing' is not in the Dockerfile (stages: prod, other)"
    assert dockerfile_health("FROM x\nHEALTHCHECK NONE\n", None) == "HEALTHCHECK NONE in stage 0, line 2"
    # Continuation lines and comments; a stage FROM an earlier one inherits its HEALTHCHECK.
    chained = ("# c\nFROM node:20 AS base\nHEALTHCHECK --interval=5s \\\n  CMD true\n"
               "FROM --platform=linux/amd64 base AS final\nCMD [\"x\"]\n")
    assert dockerfile_health(chained, None) == "HEALTHCHECK in stage final (from base), line 3"


def _checkout(root: Path, resolved: dict, reports: dict | None = None, env: list[str] | None = None) -> Checkout:
    return Checkout(root=root, compose_files=[ComposeFile("compose.yml", resolved, resolved)], dockerfiles={},
                    env_examples=env or [], reports=reports or {})


def test_plan_renders_a_config_the_strict_loader_accepts(tmp_path):
    resolved = {"services": {
        "api": {"build": {"context": str(tmp_path)}, "ports": [{"target": 4000, "published": "4000"}]},
        "db": {"image": "postgres:16"}, "kv": {"image": "valkey/valkey:8"},
        "scan": {"image": "aquasec/trivy", "profiles": ["security-scan"]}},
        "secrets": {"jwt": {"name": "shop_jwt_v1", "external": True}}}
    plan = build_plan(_checkout(tmp_path, resolved, {"reports/security/t.json": {"SchemaVersion": 2}}, [".env.sample"]),
                      ".", {"compose_profiles"}, "shop")
    out = tmp_path / "nestgate.toml"
    out.write_text(render(plan, str(tmp_path)))
    model = load_config(out).model
    assert model.target.services == ["api", "db", "kv"]
    assert (model.target.data_services, model.target.edge_services) == (["db", "kv"], ["api"])
    assert (model.target.stack, model.target.base_url, model.target.orchestrator) == ("shop", TODO_BASE_URL, "swarm")
    assert (model.security.secrets.prefix, model.security.secrets.expected_count) == ("shop", 1)
    assert [r.path for r in model.security.scan.reports] == ["reports/security/t.json"]
    assert model.security.isolation.data_ports == {"db": [5432], "kv": [6379]}
    assert (model.infra.database.service, model.infra.redis.service) == ("db", "kv")
    assert model.infra.env.services == ["api"] and model.infra.env.env_example == ".env.sample"
    assert [a.service for a in model.infra.app_reports] == ["api"]  # not MediaNest's "app": its report follows
    text = out.read_text()
    assert "# TODO: the URL your edge service answers on" in text
    assert "scan [security-scan]" in text  # every profiled service named, with its profiles
    lines = plan.lines()
    assert "TODO target.base_url = 'http://set-base-url.invalid'" in lines[5]
    assert any(ln.startswith("note: no monitor service found") for ln in lines)


def test_newer_target_keys_are_written_only_when_the_config_knows_them(tmp_path):
    resolved = {"services": {"app": {"image": "x", "profiles": ["p"]}, "web": {"image": "nginx"}}}
    without = render(build_plan(_checkout(tmp_path, resolved), ".", set(), "m"), "m")
    assert "compose_profiles" not in tomllib.loads(without)["target"]
    assert "profiled services: app [p]" in without
    with_key = tomllib.loads(render(build_plan(_checkout(tmp_path, resolved), ".", {"compose_profiles"}, "m"), "m"))
    assert with_key["target"]["compose_profiles"] == "all"


def test_comments_stay_one_line():
    plan = build_plan(_checkout(Path("/x"), {"services": {"a": {"image": "b"}}}), ".", set(), "m")
    plan.notes.append("two\nlines")
    text = render(plan, "/x\n[target]")
    assert "#   two lines" in text
    assert tomllib.loads(text)["target"]["services"] == ["a"]

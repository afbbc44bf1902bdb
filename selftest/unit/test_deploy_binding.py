"""Binding a GO to what gets deployed (issue 21), pure parts: reading the deploy command, and what
changed between the manifest the gate judged and the one just before the deploy."""

from pathlib import Path

import pytest

from nestgate.gate.deploy_command import Opaque, command_problems, parse
from nestgate.gate.deploy_manifest import differences, judged_image_ids

STACK = "medianest"


@pytest.mark.parametrize(("argv", "kind", "files", "name"), [
    (["docker", "stack", "deploy", "-c", "a.yml", "medianest"], "docker stack deploy", ["a.yml"], "medianest"),
    (["docker", "-H", "unix:///x.sock", "stack", "deploy", "--compose-file=a.yml", "-c", "b.yml", "--prune",
      "--with-registry-auth", "medianest"], "docker stack deploy", ["a.yml", "b.yml"], "medianest"),
    (["/usr/bin/docker", "--context", "prod", "stack", "deploy", "-c", "a.yml", "--detach=true", "medianest"],
     "docker stack deploy", ["a.yml"], "medianest"),
    (["docker", "compose", "-f", "a.yml", "-p", "medianest", "up", "-d", "--wait"], "docker compose up", ["a.yml"],
     "medianest"),
    (["docker-compose", "--file=a.yml", "--project-name=medianest", "up", "--detach"], "docker compose up",
     ["a.yml"], "medianest"),
])
def test_deploy_commands_are_read(argv, kind, files, name):
    command = parse(argv)
    assert (command.kind, command.files, command.name) == (kind, files, name)


@pytest.mark.parametrize(("argv", "says"), [
    (["touch", "x"], "touch is neither docker nor docker-compose"),
    (["sh", "-c", "docker stack deploy -c a.yml medianest"], "sh is neither docker"),
    (["docker", "service", "update", "--image", "x", "medianest_app"], "docker service update is not a deploy"),
    (["docker", "stack", "deploy", "-c", "a.yml"], "needs exactly one stack name, got none"),
    (["docker", "stack", "deploy", "--bogus", "-c", "a.yml", "medianest"], "option --bogus is not one nestgate"),
    (["docker", "compose", "-f", "a.yml", "down"], "docker compose down is not a deploy"),
    (["docker", "stack", "deploy", "-c"], "-c has no value"),
])
def test_commands_nestgate_cannot_read_are_opaque(argv, says):
    with pytest.raises(Opaque, match=says):
        parse(argv)


def _problems(argv, gated, hashes=None, cwd=Path("/srv")):
    return command_problems(parse(argv), cwd, gated, STACK, hashes if hashes is not None else dict(gated))


def test_the_gated_files_and_stack_pass():
    gated = {"/srv/a.yml": "1" * 64, "/srv/b.yml": "2" * 64}
    assert _problems(["docker", "stack", "deploy", "-c", "a.yml", "-c", "/srv/b.yml", STACK], gated) == []


def test_another_file_an_extra_file_or_another_order_is_named():
    gated = {"/srv/a.yml": "1" * 64}
    assert _problems(["docker", "stack", "deploy", "-c", "other.yml", STACK], gated) == [
        "docker stack deploy deploys /srv/other.yml; the gate judged /srv/a.yml"]
    assert _problems(["docker", "stack", "deploy", "-c", "a.yml", "-c", "extra.yml", STACK], gated) == [
        "docker stack deploy deploys /srv/a.yml, /srv/extra.yml; the gate judged /srv/a.yml"]
    two = {"/srv/a.yml": "1" * 64, "/srv/b.yml": "2" * 64}
    assert _problems(["docker", "stack", "deploy", "-c", "b.yml", "-c", "a.yml", STACK], two)[0].startswith(
        "docker stack deploy deploys /srv/b.yml, /srv/a.yml; the gate judged /srv/a.yml, /srv/b.yml")


def test_a_changed_file_no_file_and_another_stack_are_named():
    gated = {"/srv/a.yml": "1" * 64}
    assert _problems(["docker", "stack", "deploy", "-c", "a.yml", STACK], gated, {"/srv/a.yml": "9" * 64}) == [
        "/srv/a.yml: changed since the gate judged it"]
    assert _problems(["docker", "compose", "-p", STACK, "up"], gated) == [
        "docker compose up names no compose file (-c/-f): it would not deploy what the gate judged"]
    assert _problems(["docker", "stack", "deploy", "-c", "a.yml", "other"], gated) == [
        "docker stack deploy targets other; the gate judged stack medianest"]


MANIFEST = {"compose_files": {"/srv/a.yml": "1" * 64}, "env_files": {}, "model_sha256": "m1",
            "images": {"app:1": {"id": "sha256:" + "a" * 64, "services": ["app", "worker"]},
                       "postgres:16": {"id": "sha256:" + "b" * 64, "services": ["postgres"]}},
            "secrets": {"medianest_jwt_v1": "2026-12-01T10:00:00Z"}, "networks": {"medianest_backend": "2026-12-01"}}


def _changed(**sections):
    return {**MANIFEST, **sections}


def test_an_unchanged_manifest_has_no_differences():
    assert differences(MANIFEST, dict(MANIFEST)) == []


def test_each_kind_of_change_is_named():
    assert differences(MANIFEST, _changed(compose_files={"/srv/a.yml": "2" * 64}, model_sha256="m2")) == [
        "compose file /srv/a.yml: 111111111111 when judged, 222222222222 now"]
    assert differences(MANIFEST, _changed(model_sha256="m2")) == ["the resolved compose model changed"]
    retagged = {**MANIFEST["images"], "app:1": {"id": "sha256:" + "c" * 64, "services": ["app", "worker"]}}
    assert differences(MANIFEST, _changed(images=retagged)) == [
        "image app:1: sha256:aaaaaaaaaaaa when judged, sha256:cccccccccccc now"]
    assert differences(MANIFEST, _changed(secrets={"medianest_jwt_v1": "2026-12-02T09:00:00Z"})) == [
        "secret medianest_jwt_v1: 2026-12-01T10:00:00Z when judged, 2026-12-02T09:00:00Z now"]
    assert differences(MANIFEST, _changed(secrets={"medianest_jwt_v1": None})) == [
        "secret medianest_jwt_v1: 2026-12-01T10:00:00Z when judged, absent now"]
    assert differences(MANIFEST, _changed(networks={})) == [
        "network medianest_backend: 2026-12-01 when judged, gone now"]


def test_judged_image_ids_map_each_service_to_its_image():
    assert judged_image_ids(MANIFEST) == {"app": ("app:1", "sha256:" + "a" * 64),
                                          "worker": ("app:1", "sha256:" + "a" * 64),
                                          "postgres": ("postgres:16", "sha256:" + "b" * 64)}

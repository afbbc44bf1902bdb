"""Declared-side findings about a Dockerfile located at its line: a failed BLD-01 build (the line the
builder named, else the instruction it named), BLD-05's image without a healthcheck (the built stage's
FROM); the compose key when the Dockerfile cannot be read. And the SARIF of such a result is valid."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from nestgate.gate.locations import DockerfileQuery, Location, Locator, dockerfile_query, failures
from nestgate.gate.sarif import sarif_document
from nestgate.probes.readers.dockerfile import DockerfileUnparsable, find, instructions, stage_start

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())

DOCKERFILE = """\
# syntax is BuildKit's
ARG BASE_IMAGE=base:1
FROM ${BASE_IMAGE} AS build
RUN --mount=type=cache,target=/var/cache/x \\
    make   all
  FROM build AS runtime
COPY --from=build /out /srv
FROM runtime
USER 10001
"""
COMPOSE = """\
services:
  app:
    build:
      context: ./app
      target: runtime
  monitor:
    build: ./monitor
  db:
    image: postgres
"""


def test_instructions_keep_their_lines_and_columns():
    found = instructions(DOCKERFILE)
    assert [(i.keyword, i.line, i.column) for i in found] == [
        ("ARG", 2, 1), ("FROM", 3, 1), ("RUN", 4, 1), ("FROM", 6, 3), ("COPY", 7, 1), ("FROM", 8, 1), ("USER", 9, 1)]
    assert find(found, "RUN --mount=type=cache,target=/var/cache/x make all").line == 4  # whitespace aside
    assert find(found, "run --mount=type=cache,target=/var/cache/x     make all").line == 4
    assert find(found, "RUN make") is None and find(found, "") is None
    assert stage_start(found).line == 8 and stage_start(found, "runtime").line == 6
    assert stage_start(found, "nope") is None
    with pytest.raises(DockerfileUnparsable, match="unterminated heredoc"):
        instructions("FROM x\nRUN <<EOT\n")


@pytest.mark.parametrize(("cid", "subject", "prop", "measured", "query"), [
    ("BLD-01", "service app", "docker build", {"result": "failed", "dockerfile": "/p/Dockerfile",
                                               "instruction": "RUN make", "line": None},
     DockerfileQuery(Path("/p/Dockerfile"), instruction="RUN make")),
    ("BLD-01", "service app", "docker build", {"dockerfile": "/p/D", "instruction": "", "line": 4},
     DockerfileQuery(Path("/p/D"), line=4)),
    ("BLD-01", "service app", "docker build", "failed", None),  # an older record: the compose key
    ("BLD-05", "service app", "healthcheck", None, DockerfileQuery(service="app")),
    ("BLD-05", "service app", "healthcheck", "disabled", None),  # disabled in the compose file
    ("SEC-04", "service app (compose)", "user", None, None),
])
def test_which_findings_are_about_a_dockerfile(cid, subject, prop, measured, query):
    assert dockerfile_query(cid, subject, prop, measured) == query


def _project(tmp_path: Path) -> Locator:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "compose.yml").write_text(COMPOSE)
    return Locator([tmp_path / "compose.yml"])


def test_the_builders_line_the_named_instruction_or_the_built_stage(tmp_path):
    loc, dockerfile = _project(tmp_path), tmp_path / "app" / "Dockerfile"
    assert loc.locate_in_dockerfile(DockerfileQuery(dockerfile, line=6)) == Location(dockerfile, 6, 3)
    assert loc.locate_in_dockerfile(DockerfileQuery(dockerfile, line=5)) == Location(dockerfile, 5, 1)
    named = DockerfileQuery(dockerfile, instruction="COPY --from=build /out /srv")
    assert loc.locate_in_dockerfile(named) == Location(dockerfile, 7, 1)
    # not found as written (e.g. a FROM printed with its resolved image): the Dockerfile as a whole
    assert loc.locate_in_dockerfile(DockerfileQuery(dockerfile, instruction="FROM docker.io/x")) == Location(dockerfile)
    # BLD-05: the service's build section names the Dockerfile and its target stage
    assert loc.locate_in_dockerfile(DockerfileQuery(service="app")) == Location(dockerfile, 6, 3)
    assert loc.notes == []


def test_no_dockerfile_to_read_falls_back_to_the_compose_key_with_a_note(tmp_path):
    loc = _project(tmp_path)
    assert loc.locate_in_dockerfile(DockerfileQuery(service="db")) is None  # not built: no Dockerfile
    assert loc.locate_in_dockerfile(DockerfileQuery(service="monitor")) is None  # ./monitor has none
    assert loc.notes == [f"{tmp_path / 'monitor' / 'Dockerfile'}: unreadable, findings point at the compose file "
                         "instead: No such file or directory"]
    record = {"nodeid": "t.py::b[BLD-05[monitor]]", "control_id": "BLD-05", "outcome": "failed",
              "message": "BLD-05: service monitor: declares no healthcheck (compose file, image)",
              "findings": [{"subject": "service monitor", "property": "healthcheck", "measured": None,
                            "message": "service monitor: declares no healthcheck (compose file, image)"}]}
    [found] = failures([record], {record["nodeid"]: "declared"}, loc)
    assert found.location == Location(tmp_path / "compose.yml", 6, 3, "services.monitor")  # no healthcheck key


def test_a_failed_build_in_sarif_points_at_the_dockerfile_line(tmp_path):
    loc = _project(tmp_path)
    record = {"nodeid": "tests_build/test_bld01.py::test_b[BLD-01]", "control_id": "BLD-01", "outcome": "failed",
              "message": "[call] BLD-01: service app: docker build failed at [2/3] RUN --mount=type=cache,"
                         "target=/var/cache/x make all: exit code: 2",
              "findings": [{"subject": "service app", "property": "docker build",
                            "measured": {"result": "failed", "dockerfile": str(tmp_path / "app" / "Dockerfile"),
                                         "instruction": "RUN --mount=type=cache,target=/var/cache/x make all",
                                         "line": None},
                            "message": "service app: docker build failed at [2/3] RUN --mount=type=cache,"
                                       "target=/var/cache/x make all: exit code: 2"}]}
    found = failures([record], {record["nodeid"]: "declared"}, loc)
    assert [f.location for f in found] == [Location(tmp_path / "app" / "Dockerfile", 4, 1)]
    doc = sarif_document(found, "0.1.0", tmp_path, complete=True)
    jsonschema.validate(doc, SCHEMA)
    [result] = doc["runs"][0]["results"]
    assert result["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "app/Dockerfile", "uriBaseId": "PROJECTROOT"},
        "region": {"startLine": 4, "startColumn": 1}}}]

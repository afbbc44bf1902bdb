"""BLD-05's Dockerfile reader: the HEALTHCHECK of the built stage, as `docker build` would give it."""

import pytest

from nestgate.probes.dockerfile_health import dockerfile_path
from nestgate.probes.readers.dockerfile_healthcheck import DockerfileError, stage_health, stages
from nestgate.probes.readers.health_log import DeclaredCheck, image_check
from nestgate.rules.bld05_healthchecks import absent_image, declared_findings, timings

MULTI = """\
# syntax=docker/dockerfile:1
ARG BASE=node:20-alpine
FROM ${BASE} AS base
HEALTHCHECK --interval=10s \\
    --timeout=3s --retries=4 \\
  CMD wget -q -O /dev/null http://127.0.0.1:4000/health || exit 1

FROM base AS build
RUN true

FROM node:20-alpine AS plain

FROM base AS quiet
HEALTHCHECK NONE

FROM build AS production
HEALTHCHECK --interval=30s --start-period=40s CMD ["node", "health.js"]

FROM build
"""


def test_the_target_stage_decides_and_continuations_join():
    own = stage_health(MULTI, "production")
    assert (own.stage, own.line, own.chain) == ("production", 17, ["production"])
    assert own.healthcheck == {"Test": ["CMD", "node", "health.js"], "Interval": 30_000_000_000,
                               "StartPeriod": 40_000_000_000}
    assert image_check(own.healthcheck) == DeclaredCheck(["CMD", "node", "health.js"], 30.0)


def test_a_stage_inherits_the_healthcheck_of_the_stage_it_is_from():
    last = stage_health(MULTI)  # no target: the last stage, FROM build FROM base
    assert (last.stage, last.chain, last.line) == ("5", ["5", "build", "base"], 4)
    assert last.healthcheck["Test"] == ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:4000/health || exit 1"]
    assert timings(last.healthcheck) == {"interval_s": 10.0, "timeout_s": 3.0, "retries": 4}


def test_healthcheck_none_disables_and_an_image_base_ends_the_chain():
    assert image_check(stage_health(MULTI, "quiet").healthcheck).disabled
    plain = stage_health(MULTI, "PLAIN")  # stage names are case-insensitive, as in `docker build --target`
    assert (plain.healthcheck, plain.base_image) == (None, "node:20-alpine")
    assert [s.name for s in stages(MULTI)] == ["base", "build", "plain", "quiet", "production", "5"]


def test_bad_dockerfiles_are_one_line_errors():
    with pytest.raises(DockerfileError, match="target stage 'prod' is not in the Dockerfile"):
        stage_health(MULTI, "prod")
    with pytest.raises(DockerfileError, match="no FROM instruction"):
        stage_health("ARG X=1\n")
    with pytest.raises(DockerfileError, match="not a valid Dockerfile: file with no instructions"):
        stage_health("# nothing\n")
    with pytest.raises(DockerfileError, match="line 2: HEALTHCHECK --interval=soon is not valid"):
        stage_health("FROM x\nHEALTHCHECK --interval=soon CMD true\n")
    with pytest.raises(DockerfileError, match="line 1: HEALTHCHECK before any FROM"):
        stage_health("HEALTHCHECK CMD true\nFROM x\n")


def test_an_interval_at_the_limit_is_within_it():
    at_limit = image_check(stage_health(MULTI, "production").healthcheck)
    assert declared_findings("app", at_limit, "Dockerfile", 30.0) == []
    [late] = declared_findings("app", at_limit, "Dockerfile", 29.0)
    assert late.expected == "<= 29"


def test_where_the_dockerfile_is(tmp_path):
    assert dockerfile_path({"context": "/src/app", "dockerfile": "Dockerfile.prod"}, tmp_path) == (
        tmp_path / "/src/app/Dockerfile.prod")
    assert dockerfile_path({"context": "backend"}, tmp_path) == tmp_path / "backend" / "Dockerfile"
    assert dockerfile_path({"context": ".", "dockerfile_inline": "FROM x"}, tmp_path) is None


def test_a_pulled_image_absent_from_the_engine_says_what_to_do():
    said = absent_image("redis", "redis:7-alpine")
    assert "`docker pull redis:7-alpine`" in said and "declare the healthcheck in the compose file" in said
    assert "no image and no build" in absent_image("x", "")

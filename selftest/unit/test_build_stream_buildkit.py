"""BuildKit's plain progress (`docker build --progress=plain`, engine 20.10's embedded BuildKit, output
recorded on this machine) folded into a build outcome: the image, the failing step, the builder's error
line, and the Dockerfile line when the builder names one."""

from nestgate.drills.builder import step_detail
from nestgate.probes.readers.build_stream import read_progress, read_stream

BUILT = """\
#4 [stage-0 1/2] FROM docker.io/nestgate-testbed/base:b0bd468fc28376f8
#4 sha256:57884aee836e92ecb3447e1ac1b61d2103678587097b7f855377da01e183f0c1
#4 CACHED

#5 [stage-0 2/2] RUN --mount=type=cache,target=/var/cache/x echo ok > /var/cache/x/y
#5 sha256:86ff24f8c314c1fc8a20653f56f3213096e0cb8ff739492e9382f643584fb201
#5 DONE 0.3s

#6 exporting to image
#6 exporting layers 0.1s done
#6 writing image sha256:f459261185e7641449b79923c52e34157f95c6c1c4e5ace46334f508fbb4f1d0 done
#6 naming to docker.io/library/h2probe:t done
#6 DONE 0.1s
"""
SECRET_MISSING = """\
#4 [1/3] FROM docker.io/nestgate-testbed/base:b0bd468fc28376f8
#4 CACHED

#5 [2/3] RUN echo warming up
#5 0.212 warming up
#5 DONE 0.3s

#6 [3/3] RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok
#6 0.101 reading the token
#6 ERROR: secret tok not found: not found
------
 > [3/3] RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok:
------
secret tok not found: not found
"""
PARSE_ERROR = """\
#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 115B 0.0s done
#1 DONE 0.0s
failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 4: \
unknown instruction: ECHO
"""
# BuildKit 0.10+ (buildx) quotes the Dockerfile under its path and line.
QUOTED = """\
#5 [2/2] RUN false
#5 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1
------
 > [2/2] RUN false:
------
Dockerfile:2
--------------------
   1 |     FROM base
   2 | >>> RUN false
--------------------
ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1
"""


def test_a_built_image_has_its_id_and_steps():
    out = read_progress(BUILT.splitlines())
    assert out.ok and out.buildkit
    assert out.image_id == "sha256:f459261185e7641449b79923c52e34157f95c6c1c4e5ace46334f508fbb4f1d0"
    assert out.steps == 2
    assert out.step == "[stage-0 2/2] RUN --mount=type=cache,target=/var/cache/x echo ok > /var/cache/x/y"
    assert step_detail(out) == "step 2/2"


def test_a_failed_step_names_itself_its_output_and_the_builders_error_line():
    out = read_progress(SECRET_MISSING.splitlines())
    assert not out.ok and out.dockerfile_line is None
    assert out.instruction == "RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok"
    assert out.failure() == ("at [3/3] RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok: "
                             "secret tok not found: not found (output: reading the token)")


def test_a_parse_error_names_the_dockerfile_line_before_any_step():
    out = read_progress(PARSE_ERROR.splitlines())
    assert not out.ok and out.dockerfile_line == 4 and out.steps == 0
    assert out.failure() == ("before the first step: failed to solve with frontend dockerfile.v0: failed to create "
                             "LLB definition: dockerfile parse error line 4: unknown instruction: ECHO")
    assert step_detail(out) == "sending the context"


def test_newer_buildkit_quotes_the_line_it_blames():
    out = read_progress(QUOTED.splitlines())
    assert out.dockerfile_line == 2 and out.instruction == "RUN false"
    assert out.error == 'failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1'


def test_the_legacy_builders_parse_error_names_its_line_too():
    out = read_stream([{"errorDetail": {"message": "dockerfile parse error line 7: unknown instruction: ECHO"}}])
    assert not out.ok and out.dockerfile_line == 7 and not out.buildkit

"""Read a build's output: the legacy builder's JSON stream (POST /build) or BuildKit's plain progress
(`docker build --progress=plain`): which step failed, the builder's error line, and the Dockerfile line
when the builder names one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nestgate.probes.readers.ansi import strip_ansi

_STEP = re.compile(r"^Step (\d+/\d+) : (.*)$")
_BUILT = re.compile(r"^Successfully built ([0-9a-f]{12,64})$")
_LAYER = re.compile(r"^---> ([0-9a-f]{12,64})$")
# How much of the failing step's own output the failure message carries.
TAIL_LINES = 3
# BuildKit plain progress: "#6 [stage-0 2/3] RUN make", "#6 0.231 output", "#6 ERROR: ...", "#6 DONE 0.2s"
_VERTEX = re.compile(r"^#(\d+) (.*)$")
_BK_STEP = re.compile(r"^\[(?:\S+ )?(\d+/\d+)\] (.*)$")
_BK_OUTPUT = re.compile(r"^\d+\.\d+ (.*)$")
_BK_IMAGE = re.compile(r"^writing image (sha256:[0-9a-f]{64})")
# Where a builder names the Dockerfile line: "dockerfile parse error line 4: ..." (BuildKit and legacy),
# "Dockerfile:4" above the quoted source (BuildKit 0.10 and later).
_PARSE_LINE = re.compile(r"(?:dockerfile )?parse error (?:on )?line (\d+)", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"^\S*Dockerfile[^:\s]*:(\d+)$")


@dataclass
class BuildOutcome:
    steps: int = 0  # steps started
    step: str = ""  # the last step started (or the one that failed), as the builder prints it: "3/9 : RUN make"
    error: str = ""  # the builder's error line; "" when the build succeeded
    image_id: str = ""
    step_output: list[str] = field(default_factory=list)  # output of the last step, without builder chatter
    # Layers this build committed (not FROM images, not cache hits), oldest first: what a failed
    # build leaves behind as dangling images.
    new_layers: list[str] = field(default_factory=list)
    buildkit: bool = False  # read from BuildKit's progress (its steps read "[2/3] RUN make")
    dockerfile_line: int | None = None  # the Dockerfile line the builder blamed, when it names one

    @property
    def instruction(self) -> str:
        """The instruction of `step` as the Dockerfile spells it ("RUN make"), for finding its line."""
        return self.step.split(" : ", 1)[-1] if not self.buildkit else self.step.split("] ", 1)[-1]

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.image_id)

    def failure(self) -> str:
        """One line: where the build failed and why, in the builder's words."""
        where = (f"at {self.step}" if self.buildkit else f"at Step {self.step}") if self.step else \
            "before the first step"
        tail = [line for line in self.step_output if line != self.error][-TAIL_LINES:]
        detail = f" (output: {' | '.join(tail)})" if tail else ""
        return f"{where}: {self.error or 'no image was produced'}{detail}"


def _lines(text: str) -> list[str]:
    return [clean for line in text.splitlines() if (clean := strip_ansi(line).strip())]


def read_stream(chunks: Iterable[dict[str, Any]], out: BuildOutcome | None = None) -> BuildOutcome:
    """Fold the decoded chunks of POST /build (legacy builder) into an outcome; into `out` when
    given, so a caller whose stream broke off still knows which layers were committed."""
    out = out if out is not None else BuildOutcome()
    fresh = False  # the current step commits a layer of its own (not FROM, not a cache hit)
    for chunk in chunks:
        if chunk.get("error") or chunk.get("errorDetail"):
            detail = chunk.get("errorDetail") or {}
            out.error = " ".join(str(detail.get("message") or chunk.get("error") or "").split()) or "build error"
            continue
        aux = chunk.get("aux")
        if isinstance(aux, dict) and aux.get("ID"):
            out.image_id = str(aux["ID"])
        for line in _lines(str(chunk.get("stream") or "")):
            if step := _STEP.match(line):
                out.steps += 1
                out.step = f"{step.group(1)} : {step.group(2)}"
                out.step_output = []
                fresh = not step.group(2).upper().startswith("FROM ")
            elif line == "---> Using cache":
                fresh = False
            elif (layer := _LAYER.match(line)) and fresh:
                out.new_layers.append(layer.group(1))
            elif built := _BUILT.match(line):
                out.image_id = out.image_id or built.group(1)
            elif not line.startswith(("--->", "Removing intermediate container", "Successfully tagged")):
                out.step_output.append(line)
    if parse := _PARSE_LINE.search(out.error):
        out.dockerfile_line = int(parse.group(1))
    return out


def read_progress(lines: Iterable[str], out: BuildOutcome | None = None) -> BuildOutcome:
    """Fold BuildKit's plain progress lines (`docker build --progress=plain`, stdout and stderr together)
    into an outcome; into `out` when given, so a caller whose build was cut off knows where it was."""
    out = out if out is not None else BuildOutcome()
    out.buildkit = True
    names: dict[str, str] = {}  # vertex -> its step ("[2/3] RUN make"), for steps only
    output: dict[str, list[str]] = {}
    failed_vertex = ""
    for raw in lines:
        line = strip_ansi(raw).rstrip()
        if not line.strip():
            continue
        vertex = _VERTEX.match(line)
        if vertex is None:  # the trailer: a quoted step between "------" rules, then the error line
            text = line.strip()
            if source := _SOURCE_LINE.match(text):
                out.dockerfile_line = int(source.group(1))
            elif not text.startswith(("------", "> ", ">>>")) and not re.match(r"^\d+ \| ", text):
                out.error = " ".join(text.removeprefix("ERROR: ").split())
            continue
        vid, rest = vertex.groups()
        if _BK_STEP.match(rest):
            if vid not in names:
                names[vid] = rest
                out.steps += 1
                out.step = rest if not failed_vertex else out.step
        elif rest.startswith("ERROR: "):
            failed_vertex = failed_vertex or vid
            out.error = out.error or " ".join(rest.removeprefix("ERROR: ").split())
        elif image := _BK_IMAGE.match(rest):
            out.image_id = image.group(1)
        elif said := _BK_OUTPUT.match(rest):
            output.setdefault(vid, []).append(said.group(1).strip())
    if failed_vertex:
        out.image_id = ""
        out.step = names.get(failed_vertex, out.step)
        out.step_output = [ln for ln in output.get(failed_vertex, []) if ln]
    elif out.error:
        out.image_id = ""
    if out.dockerfile_line is None and (parse := _PARSE_LINE.search(out.error)):
        out.dockerfile_line = int(parse.group(1))
    return out

"""Read the legacy builder's JSON output stream: which step failed, and the builder's error line."""

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


@dataclass
class BuildOutcome:
    steps: int = 0  # steps started
    step: str = ""  # the last step started, as the builder prints it: "3/9 : RUN make"
    error: str = ""  # the builder's error line; "" when the build succeeded
    image_id: str = ""
    step_output: list[str] = field(default_factory=list)  # output of the last step, without builder chatter
    # Layers this build committed (not FROM images, not cache hits), oldest first: what a failed
    # build leaves behind as dangling images.
    new_layers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.image_id)

    def failure(self) -> str:
        """One line: where the build failed and why, in the builder's words."""
        where = f"at Step {self.step}" if self.step else "before the first step"
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
    return out

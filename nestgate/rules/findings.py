"""What a rule found wrong: the subject, the property, the measured value and the expected one.

Every rule returns findings (an empty list when the checklist line holds). The gate records them
in the control's evidence and derives the failure message from them, so the message, the
evidence.json record and the HTML report cannot say different things (goss's TestResult has the
same shape: title, property, found, expected).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nestgate.rules.messages import listed


@dataclass(frozen=True)
class Finding:
    subject: str  # who: "service app (compose)", "container medianest_app.1.x", "GET /api/health"
    property: str  # what was judged: "user", "p95_s", "replicas running"
    measured: Any  # what was seen (JSON-able, never a secret value)
    expected: Any  # what the control requires
    says: str = ""  # the sentence after the subject; by default "<property> is <measured>, expected <expected>"

    @property
    def sentence(self) -> str:
        return self.says or f"{self.property} is {self.measured!r}, expected {self.expected}"

    def __str__(self) -> str:
        return f"{self.subject}: {self.sentence}" if self.subject else self.sentence

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "property": self.property, "measured": self.measured,
                "expected": self.expected, "message": str(self)}


def message(findings: Iterable[Finding]) -> str:
    """One line for the failure: findings grouped by subject, in order ("a: x; y; b: z"), capped
    (nestgate.rules.messages): past the cap it ends "and N more findings"; every finding stays in the
    evidence."""
    groups: dict[str, list[str]] = {}
    for f in findings:
        groups.setdefault(f.subject, []).append(f.sentence)
    sentences = [(f"{subject}: " if subject and i == 0 else "") + sentence
                 for subject, said in groups.items() for i, sentence in enumerate(said)]
    return listed(sentences, sep="; ", more="more findings")


class Findings(list[Finding]):
    """A control's findings, as the gate recorded them; `message` is the failure text."""

    @property
    def message(self) -> str:
        return message(self)


class NodeGap(Protocol):
    """A node that runs tasks of the stack but whose facts could not be read (probes.nodes.NodeProblem)."""

    reason: str
    tasks: tuple[str, ...]  # "app.2"

    def describe(self) -> str: ...


def node_gap_findings(gaps: Sequence[NodeGap], services: Sequence[str] | None = None) -> list[Finding]:
    """Fail closed per node: each node whose facts are missing, naming it and the tasks on it (only
    those of `services` when given). Shared by every control that reads facts per node (SEC-04,
    SEC-05, PRF-04, PRF-06, and the stack's running containers)."""
    out = []
    for gap in gaps:
        tasks = [t for t in gap.tasks if services is None or t.rpartition(".")[0] in services]
        if services is None or tasks:
            subject = gap.describe().partition(": ")[0]
            out.append(Finding(subject, "node facts", gap.reason, "readable through its [target.nodes] host",
                               says=f"{gap.reason}; its tasks {', '.join(tasks) or 'none'} are not judged"))
    return out
